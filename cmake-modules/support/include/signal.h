/* wasibuild's POSIX gap layer (docs/posix.md): declares the signal sets and
 * masks libwasibuild-support.a defines (support/signal_mask.c), which
 * wasi-libc's <signal.h> hides: WASI has no asynchronous signals, so a mask
 * is plain process state. wasi-libc's <signal.h> stops with an #error
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
#endif

#ifdef __cplusplus
}
#endif
#endif
