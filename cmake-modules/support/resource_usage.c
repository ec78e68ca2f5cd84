// getrusage() with Linux's whole struct rusage (include/sys/resource.h):
// wasi-libc's emulation (libwasi-emulated-process-clocks) fills a struct
// with only ru_utime and ru_stime, so programs that report their peak
// memory (ru_maxrss: benchmarks, test drivers) did not compile. Its two
// times are kept; ru_maxrss is the linear memory's size in KiB, Linux's
// unit (memory never shrinks, so its size is the peak); the counters WASI
// has no notion of are 0. Weak, as the whole layer.
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS  // wasi-libc's <sys/resource.h> requires it (wasi.cmake sets it for projects)
#endif
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

// wasi-libc's own getrusage() and the struct it fills.
struct wasi_libc_rusage {
  struct timeval ru_utime;
  struct timeval ru_stime;
};
int wasi_libc_getrusage(int, struct wasi_libc_rusage*) __asm__("getrusage");

__attribute__((weak)) int getrusage(int who, struct rusage* usage) {
  struct wasi_libc_rusage times;
  if (wasi_libc_getrusage(who, &times) != 0) return -1;  // errno from wasi-libc (EINVAL)
  memset(usage, 0, sizeof *usage);
  usage->ru_utime = times.ru_utime;
  usage->ru_stime = times.ru_stime;
  if (who == RUSAGE_SELF) usage->ru_maxrss = (long)(__builtin_wasm_memory_size(0) * 64);
  return 0;
}
