// clock(), times() and getrusage() where the sysroot has no linkable
// libwasi-emulated-process-clocks.a: wasm32-wasip1-threads, whose archive
// was built without atomics, so wasm-ld refuses it in a shared-memory
// module (docs/posix.md). WasiSupport.cmake adds this file to the support
// archive only then, and wasi.cmake defines _WASI_EMULATED_PROCESS_CLOCKS
// with it. The same meaning as wasi-libc's emulation, so a program reads
// the same times on either target: the time since the program started, on
// the monotonic clock, counted as user time (Wasmtime answers the CPU-time
// clocks with EBADF). Thread-safe: the start is read once, by a constructor
// that runs before main and so before any thread, and never written again.
// Weak, as the whole layer.
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS  // wasi-libc's <sys/times.h> and <sys/resource.h> require it
#endif
#include <errno.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <wasi/api.h>

static __wasi_timestamp_t start;

// Early in the implementation-reserved range, as wasi-libc's: before any
// constructor of the program's own that might call clock().
__attribute__((constructor(10))) static void record_start(void) {
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &start);
}

static __wasi_timestamp_t since_start(void) {
  __wasi_timestamp_t now = start;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &now);
  return now - start;
}

// CLOCKS_PER_SEC is 1000000000 in wasi-libc: a clock_t counts nanoseconds.
__attribute__((weak)) clock_t clock(void) { return (clock_t)since_start(); }

__attribute__((weak)) clock_t times(struct tms* buffer) {
  *buffer = (struct tms){.tms_utime = (clock_t)since_start()};
  __wasi_timestamp_t now = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &now);
  return (clock_t)now;
}

// wasi-libc's struct rusage and getrusage(), under their own symbol: the
// gap layer's <sys/resource.h> gives programs Linux's struct and
// support/resource_usage.c's getrusage(), which calls this one.
struct wasi_libc_rusage {
  struct timeval ru_utime;
  struct timeval ru_stime;
};
__attribute__((weak)) int wasi_libc_getrusage(int who, struct wasi_libc_rusage* usage) __asm__("getrusage");

__attribute__((weak)) int wasi_libc_getrusage(int who, struct wasi_libc_rusage* usage) {
  if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN) {
    errno = EINVAL;
    return -1;
  }
  *usage = (struct wasi_libc_rusage){0};
  if (who == RUSAGE_SELF) {
    const __wasi_timestamp_t user = since_start();
    usage->ru_utime.tv_sec = (time_t)(user / 1000000000);
    usage->ru_utime.tv_usec = (suseconds_t)(user % 1000000000 / 1000);
  }
  return 0;
}
