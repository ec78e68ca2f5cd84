/* wasibuild's POSIX gap layer (docs/posix.md): declares getrlimit(),
 * setrlimit(), getpriority() and setpriority(), which libwasibuild-support.a
 * defines (support/resource_limits.c) and wasi-libc's <sys/resource.h> hides
 * with struct rlimit and the RLIMIT_ and PRIO_ constants. wasi-libc's header stops with an #error unless
 * _WASI_EMULATED_PROCESS_CLOCKS is defined (the toolchain file defines it
 * where the sysroot has the emulation).
 *
 * It also gives struct rusage Linux's (musl's) fields: wasi-libc's has only
 * the two times, so code that reads ru_maxrss or ru_minflt did not compile.
 * wasi-libc's struct and getrusage() are renamed while its header is read;
 * getrusage() here is support/resource_usage.c's, under its own symbol. */
#if !defined(__WASIBUILD_RUSAGE) && !defined(__wasilibc___struct_rusage_h)
#define __WASIBUILD_RUSAGE 1
#define rusage __wasilibc_rusage
#define getrusage __wasilibc_getrusage
#include_next <sys/resource.h>
#undef rusage
#undef getrusage
#ifdef __cplusplus
extern "C" {
#endif
struct rusage {
  struct timeval ru_utime;
  struct timeval ru_stime;
  long ru_maxrss; /* KiB: the linear memory's size */
  long ru_ixrss;
  long ru_idrss;
  long ru_isrss;
  long ru_minflt;
  long ru_majflt;
  long ru_nswap;
  long ru_inblock;
  long ru_oublock;
  long ru_msgsnd;
  long ru_msgrcv;
  long ru_nsignals;
  long ru_nvcsw;
  long ru_nivcsw;
  long __reserved[16];
};
int getrusage(int, struct rusage *) __asm__("__wasibuild_getrusage");
#ifdef __cplusplus
}
#endif
#else
#include_next <sys/resource.h>
#endif

#ifndef __WASIBUILD_SYS_RESOURCE_H
#define __WASIBUILD_SYS_RESOURCE_H
#ifndef RLIMIT_STACK
#ifdef __cplusplus
extern "C" {
#endif

/* musl's names and values. */
typedef unsigned long long rlim_t;
struct rlimit {
  rlim_t rlim_cur;
  rlim_t rlim_max;
};
#define RLIM_INFINITY (~0ULL)
#define RLIM_SAVED_CUR RLIM_INFINITY
#define RLIM_SAVED_MAX RLIM_INFINITY
#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_RSS 5
#define RLIMIT_NPROC 6
#define RLIMIT_NOFILE 7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS 9
#define RLIMIT_LOCKS 10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE 13
#define RLIMIT_RTPRIO 14
#define RLIMIT_RTTIME 15
#define RLIMIT_NLIMITS 16
#define RLIM_NLIMITS RLIMIT_NLIMITS
int getrlimit(int, struct rlimit *);
int setrlimit(int, const struct rlimit *);

#ifdef __cplusplus
}
#endif
#endif

/* Scheduling priority (support/resource_limits.c), hidden with the rest. */
#ifndef PRIO_PROCESS
#ifdef __cplusplus
extern "C" {
#endif
#define PRIO_MIN (-20)
#define PRIO_MAX 20
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
int getpriority(int, id_t);
int setpriority(int, id_t, int);
#ifdef __cplusplus
}
#endif
#endif
#endif
