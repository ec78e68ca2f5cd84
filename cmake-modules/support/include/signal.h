/* wasibuild's POSIX gap layer (docs/posix.md): declares the signal sets and
 * masks, sigaction() and sigaltstack() libwasibuild-support.a defines
 * (support/signal_mask.c, support/signal_action.c), which wasi-libc's
 * <signal.h> hides with their types: WASI has no asynchronous signals, so a
 * mask is plain process state and a handler runs only inside raise(). wasi-libc's <signal.h> stops with an #error
 * unless _WASI_EMULATED_SIGNAL is defined (the toolchain file defines it
 * where the sysroot has the emulation). */
#include_next <signal.h>

#ifndef __WASIBUILD_SIGNAL_H
#define __WASIBUILD_SIGNAL_H
#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || \
    defined(_BSD_SOURCE)
#define __NEED_sigset_t
#include <bits/alltypes.h>
#ifndef SIG_BLOCK
#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#endif
int sigemptyset(sigset_t *);
int sigfillset(sigset_t *);
int sigaddset(sigset_t *, int);
int sigdelset(sigset_t *, int);
int sigismember(const sigset_t *, int);
int sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int pthread_sigmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int sigpending(sigset_t *);

#ifndef SA_SIGINFO
/* musl's names and values; the siginfo_t fields are plain members here
 * (musl nests them in unions), as nothing in wasi-libc uses the type. */
#define __NEED_pid_t
#define __NEED_uid_t
#define __NEED_size_t
#include <bits/alltypes.h>
union sigval {
  int sival_int;
  void *sival_ptr;
};
typedef struct {
  int si_signo, si_errno, si_code;
  pid_t si_pid;
  uid_t si_uid;
  int si_status;
  void *si_addr;
  long si_band;
  union sigval si_value;
} siginfo_t;
struct sigaction {
  union {
    void (*sa_handler)(int);
    void (*sa_sigaction)(int, siginfo_t *, void *);
  } __sa_handler;
  sigset_t sa_mask;
  int sa_flags;
  void (*sa_restorer)(void);
};
#define sa_handler __sa_handler.sa_handler
#define sa_sigaction __sa_handler.sa_sigaction
struct sigaltstack {
  void *ss_sp;
  int ss_flags;
  size_t ss_size;
};
typedef struct sigaltstack stack_t;
#define SA_NOCLDSTOP 1
#define SA_NOCLDWAIT 2
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SA_NOMASK SA_NODEFER
#define SA_ONESHOT SA_RESETHAND
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048
#define SIGSTKSZ 8192
#ifndef SI_USER
#define SI_USER 0
#endif
int sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
#endif
#endif

#ifdef __cplusplus
}
#endif
#endif
