// signal(), raise(), psignal() and strsignal() where the sysroot has no
// linkable libwasi-emulated-signal.a: wasm32-wasip1-threads, whose archive
// was built without atomics, so wasm-ld refuses it in a shared-memory
// module (docs/posix.md). WasiSupport.cmake adds this file to the support
// archive only then, and wasi.cmake defines _WASI_EMULATED_SIGNAL with it.
// The same meaning as wasi-libc's emulation: WASI has no asynchronous
// signals, so a handler runs only inside raise(), and a signal's default
// action that ends the process aborts it with a line naming the signal.
// Thread-safe: each handler is one atomic word, so threads installing and
// raising at once see one handler or the other, never a torn one. Weak, as
// the whole layer.
#ifndef _WASI_EMULATED_SIGNAL
#define _WASI_EMULATED_SIGNAL  // wasi-libc's <signal.h> requires it
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*handler_t)(int);

// wasi-libc's SIG_IGN and SIG_ERR are functions (on wasm, 1 and -1 could be
// function pointers); calling SIG_ERR is a program's bug.
__attribute__((weak)) void __SIG_IGN(int signal_number) { (void)signal_number; }
__attribute__((weak)) void __SIG_ERR(int signal_number) {
  (void)signal_number;
  __builtin_trap();
}

// SIG_DFL (null) until signal() installs another; read and written whole.
static handler_t handlers[_NSIG];

enum action { kTerminate, kCore, kIgnore, kStop, kContinue };

static enum action default_action(int signal_number) {
  switch (signal_number) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case SIGSYS: case SIGXCPU: case SIGXFSZ:
      return kCore;
    case SIGCHLD: case SIGURG: case SIGWINCH:
      return kIgnore;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return kStop;
    case SIGCONT:
      return kContinue;
    default:
      return kTerminate;
  }
}

static void run_default(int signal_number) {
  const char* kind = NULL;
  switch (default_action(signal_number)) {
    case kIgnore: case kContinue: return;
    case kCore: kind = "fatal"; break;
    case kStop: kind = "stop"; break;
    case kTerminate: kind = "termination"; break;
  }
  fprintf(stderr, "Program received %s signal: %s\n", kind, strsignal(signal_number));
  abort();
}

__attribute__((weak)) int raise(int signal_number) {
  if (signal_number < 1 || signal_number >= _NSIG) {
    errno = EINVAL;
    return -1;
  }
  const handler_t handler = __atomic_load_n(&handlers[signal_number], __ATOMIC_ACQUIRE);
  if (handler == SIG_DFL) {
    run_default(signal_number);
  } else {
    handler(signal_number);
  }
  return 0;
}

__attribute__((weak)) handler_t signal(int signal_number, handler_t handler) {
  if (signal_number < 1 || signal_number >= _NSIG || signal_number == SIGKILL || signal_number == SIGSTOP) {
    errno = EINVAL;
    return SIG_ERR;
  }
  return __atomic_exchange_n(&handlers[signal_number], handler, __ATOMIC_ACQ_REL);
}

__attribute__((weak)) handler_t bsd_signal(int signal_number, handler_t handler) {
  return signal(signal_number, handler);
}

__attribute__((weak)) handler_t __sysv_signal(int signal_number, handler_t handler) {
  return signal(signal_number, handler);
}

// musl's descriptions, by number.
static const char* const descriptions[] = {
    [0] = "Unknown signal",
    [SIGHUP] = "Hangup",
    [SIGINT] = "Interrupt",
    [SIGQUIT] = "Quit",
    [SIGILL] = "Illegal instruction",
    [SIGTRAP] = "Trace/breakpoint trap",
    [SIGABRT] = "Aborted",
    [SIGBUS] = "Bus error",
    [SIGFPE] = "Arithmetic exception",
    [SIGKILL] = "Killed",
    [SIGUSR1] = "User defined signal 1",
    [SIGSEGV] = "Segmentation fault",
    [SIGUSR2] = "User defined signal 2",
    [SIGPIPE] = "Broken pipe",
    [SIGALRM] = "Alarm clock",
    [SIGTERM] = "Terminated",
    [SIGSTKFLT] = "Stack fault",
    [SIGCHLD] = "Child process status",
    [SIGCONT] = "Continued",
    [SIGSTOP] = "Stopped (signal)",
    [SIGTSTP] = "Stopped",
    [SIGTTIN] = "Stopped (tty input)",
    [SIGTTOU] = "Stopped (tty output)",
    [SIGURG] = "Urgent I/O condition",
    [SIGXCPU] = "CPU time limit exceeded",
    [SIGXFSZ] = "File size limit exceeded",
    [SIGVTALRM] = "Virtual timer expired",
    [SIGPROF] = "Profiling timer expired",
    [SIGWINCH] = "Window changed",
    [SIGPOLL] = "I/O possible",
    [SIGPWR] = "Power failure",
    [SIGSYS] = "Bad system call",
};

__attribute__((weak)) char* strsignal(int signal_number) {
  if (signal_number >= 32 && signal_number < _NSIG) return (char*)"Real-time signal";
  if (signal_number < 1 || signal_number >= (int)(sizeof descriptions / sizeof descriptions[0])) {
    return (char*)descriptions[0];
  }
  return (char*)descriptions[signal_number];
}

__attribute__((weak)) void psignal(int signal_number, const char* message) {
  if (message && *message) {
    fprintf(stderr, "%s: %s\n", message, strsignal(signal_number));
  } else {
    fprintf(stderr, "%s\n", strsignal(signal_number));
  }
}
