// Signal sets and masks for WASI (docs/posix.md). WASI has no asynchronous
// signals, so nothing can ever be delivered while blocked: a mask is state
// the process sets and reads back, which this keeps, and no signal is ever
// pending. Code that blocks signals around its threads or critical sections
// (xz's mythread.h, many daemons' helpers) then runs unchanged. wasi-libc
// has the sigset_t type but hides these functions. Weak, as the whole layer.
#define _GNU_SOURCE
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL  // wasi-libc's <signal.h> requires it (wasi.cmake sets it for projects)
#endif
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>

// musl's numbering: 1 to 64 (_NSIG is 65). wasi-libc's sigset_t is a
// placeholder of one byte (musl's is 128): a set holds one bit per signal up
// to its size, and the signals beyond share its last bit. Masks have no
// effect on WASI, so the only cost is that sigismember() may say yes for a
// signal above 7 when another one above 7 is in the set.
enum { kFirstSignal = 1, kLastSignal = 64, kBits = sizeof(sigset_t) * CHAR_BIT };

static sigset_t blocked;

static int valid(int signal_number) { return signal_number >= kFirstSignal && signal_number <= kLastSignal; }

static int bit_of(int signal_number) { return (signal_number < kBits ? signal_number : kBits) - 1; }

static unsigned char* byte(sigset_t* set, int signal_number) {
  return (unsigned char*)set + bit_of(signal_number) / CHAR_BIT;
}

static unsigned char mask_of(int signal_number) { return (unsigned char)(1u << (bit_of(signal_number) % CHAR_BIT)); }

__attribute__((weak)) int sigemptyset(sigset_t* set) {
  memset(set, 0, sizeof *set);
  return 0;
}

__attribute__((weak)) int sigfillset(sigset_t* set) {
  memset(set, 0, sizeof *set);
  for (int signal_number = kFirstSignal; signal_number <= kLastSignal; ++signal_number) {
    *byte(set, signal_number) |= mask_of(signal_number);
  }
  return 0;
}

__attribute__((weak)) int sigaddset(sigset_t* set, int signal_number) {
  if (!valid(signal_number)) return errno = EINVAL, -1;
  *byte(set, signal_number) |= mask_of(signal_number);
  return 0;
}

__attribute__((weak)) int sigdelset(sigset_t* set, int signal_number) {
  if (!valid(signal_number)) return errno = EINVAL, -1;
  *byte(set, signal_number) &= (unsigned char)~mask_of(signal_number);
  return 0;
}

__attribute__((weak)) int sigismember(const sigset_t* set, int signal_number) {
  if (!valid(signal_number)) return errno = EINVAL, -1;
  return (*byte((sigset_t*)set, signal_number) & mask_of(signal_number)) != 0;
}

// pthread_sigmask's contract: an error number, errno untouched.
__attribute__((weak)) int pthread_sigmask(int how, const sigset_t* restrict set, sigset_t* restrict old) {
  sigset_t previous = blocked;
  if (set) {
    if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK) return EINVAL;
    const unsigned char* change = (const unsigned char*)set;
    unsigned char* mask = (unsigned char*)&blocked;
    for (size_t i = 0; i < sizeof blocked; ++i) {
      if (how == SIG_BLOCK) mask[i] |= change[i];
      if (how == SIG_UNBLOCK) mask[i] &= (unsigned char)~change[i];
      if (how == SIG_SETMASK) mask[i] = change[i];
    }
  }
  if (old) *old = previous;
  return 0;
}

__attribute__((weak)) int sigprocmask(int how, const sigset_t* restrict set, sigset_t* restrict old) {
  const int error = pthread_sigmask(how, set, old);
  if (error) return errno = error, -1;
  return 0;
}

__attribute__((weak)) int sigpending(sigset_t* set) { return sigemptyset(set); }
