// sigaction() and sigaltstack() for WASI (docs/posix.md). WASI has no
// asynchronous signals; wasi-libc emulates signal() and raise() only and
// hides sigaction(), which test frameworks and servers use to install their
// crash and shutdown handlers (Catch2, googletest's death tests, most
// daemons). Here sigaction() installs through signal(), so raise() runs the
// handler: SA_SIGINFO handlers get a siginfo_t with si_signo and
// si_code = SI_USER, and SA_RESETHAND restores the default first. An
// alternate stack is recorded and reported back, never switched to: a
// handler only ever runs inside raise(), on the normal stack. Weak, as the
// whole layer, so a wasi-libc that gains these wins.
#define _GNU_SOURCE
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL  // wasi-libc's <signal.h> requires it (wasi.cmake sets it for projects)
#endif
#include <errno.h>
#include <signal.h>
#include <stddef.h>

enum { kSignals = 65 };  // musl's numbering, 1 to 64

// What sigaction() installed, per signal; valid only while signal() still
// holds `deliver` for it (a program may also call signal() itself).
static struct sigaction installed[kSignals];
static stack_t alternate_stack = {.ss_sp = NULL, .ss_flags = SS_DISABLE, .ss_size = 0};

static void deliver(int signal_number) {
  const struct sigaction action = installed[signal_number];
  if (action.sa_flags & SA_RESETHAND) {
    installed[signal_number] = (struct sigaction){0};
    signal(signal_number, SIG_DFL);
  }
  if (action.sa_flags & SA_SIGINFO) {
    siginfo_t info = {0};
    info.si_signo = signal_number;
    info.si_code = SI_USER;
    action.sa_sigaction(signal_number, &info, NULL);
  } else {
    action.sa_handler(signal_number);
  }
}

// The handler signal() holds, without changing it (no signal can arrive in
// between: WASI has none).
static void (*current_handler(int signal_number))(int) {
  void (*handler)(int) = signal(signal_number, SIG_IGN);
  signal(signal_number, handler);
  return handler;
}

static int runs_through_deliver(const struct sigaction* action) {
  return (action->sa_flags & SA_SIGINFO) || (action->sa_handler != SIG_DFL && action->sa_handler != SIG_IGN);
}

__attribute__((weak)) int sigaction(int signal_number, const struct sigaction* restrict action,
                                    struct sigaction* restrict previous) {
  if (signal_number < 1 || signal_number >= kSignals ||
      (action && (signal_number == SIGKILL || signal_number == SIGSTOP))) {
    errno = EINVAL;
    return -1;
  }
  if (previous) {
    void (*handler)(int) = current_handler(signal_number);
    if (handler == deliver) {
      *previous = installed[signal_number];
    } else {
      *previous = (struct sigaction){0};
      previous->sa_handler = handler;
    }
  }
  if (action) {
    if (signal(signal_number, runs_through_deliver(action) ? deliver : action->sa_handler) == SIG_ERR) return -1;
    installed[signal_number] = *action;
  }
  return 0;
}

__attribute__((weak)) int sigaltstack(const stack_t* restrict stack, stack_t* restrict previous) {
  if (stack) {
    if (stack->ss_flags & ~SS_DISABLE) {
      errno = EINVAL;
      return -1;
    }
    if (!(stack->ss_flags & SS_DISABLE) && stack->ss_size < MINSIGSTKSZ) {
      errno = ENOMEM;
      return -1;
    }
  }
  if (previous) *previous = alternate_stack;
  if (stack) alternate_stack = *stack;
  return 0;
}
