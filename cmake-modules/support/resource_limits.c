// getrlimit() and setrlimit() for WASI (docs/posix.md). WASI has no
// resource limits; wasi-libc hides both functions, which test programs call
// to read or raise their stack (pcre2test) or to turn core dumps off. The
// limits here are process state with the values a WASI program really has:
// RLIMIT_STACK is the linear-memory stack wasm-ld reserved (the toolchain
// file links 8 MiB), soft and hard, since it cannot grow; RLIMIT_CORE is 0,
// as a module never dumps core; RLIMIT_NOFILE is 1024, Linux's usual soft
// limit, so a loop over every descriptor up to it ends; the rest are
// unlimited. As for an unprivileged process, a limit may be lowered, and
// raising one above its hard limit is EPERM. A lowered limit is recorded and
// read back; it does not shrink the stack or stop a write. Weak, as the
// whole layer.
#ifndef _WASI_EMULATED_PROCESS_CLOCKS
#define _WASI_EMULATED_PROCESS_CLOCKS  // wasi-libc's <sys/resource.h> requires it (wasi.cmake sets it for projects)
#endif
#include <errno.h>
#include <stdbool.h>
#include <sys/resource.h>

// wasm-ld defines both around the stack it reserves.
extern char __stack_low[], __stack_high[];

static struct rlimit limits[RLIMIT_NLIMITS];
static bool initialized;

static void initialize(void) {
  for (int resource = 0; resource < RLIMIT_NLIMITS; ++resource) {
    limits[resource] = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
  }
  const rlim_t stack = (rlim_t)(__stack_high - __stack_low);
  limits[RLIMIT_STACK] = (struct rlimit){stack, stack};
  limits[RLIMIT_CORE] = (struct rlimit){0, 0};
  limits[RLIMIT_NOFILE] = (struct rlimit){1024, 1024};
  initialized = true;
}

static bool known(int resource) { return resource >= 0 && resource < RLIMIT_NLIMITS; }

__attribute__((weak)) int getrlimit(int resource, struct rlimit* limit) {
  if (!known(resource)) {
    errno = EINVAL;
    return -1;
  }
  if (!initialized) initialize();
  *limit = limits[resource];
  return 0;
}

__attribute__((weak)) int setrlimit(int resource, const struct rlimit* limit) {
  if (!known(resource) || limit->rlim_cur > limit->rlim_max) {
    errno = EINVAL;
    return -1;
  }
  if (!initialized) initialize();
  if (limit->rlim_max > limits[resource].rlim_max) {
    errno = EPERM;
    return -1;
  }
  limits[resource] = *limit;
  return 0;
}

// Scheduling priority (the nice value). WASI has no scheduler to ask, so it
// is process state, as for an unprivileged process: 0 at start, may be made
// nicer (up to 19), never less nice (EACCES: zstd asks for -20 and carries
// on without). Only this process, its group and its user exist: `who` 0.
static int nice_value;

static int check_target(int which, id_t who) {
  if (which != PRIO_PROCESS && which != PRIO_PGRP && which != PRIO_USER) {
    errno = EINVAL;
    return -1;
  }
  if (who != 0) {
    errno = ESRCH;
    return -1;
  }
  return 0;
}

__attribute__((weak)) int getpriority(int which, id_t who) {
  if (check_target(which, who) != 0) return -1;
  return nice_value;
}

__attribute__((weak)) int setpriority(int which, id_t who, int value) {
  if (check_target(which, who) != 0) return -1;
  if (value < PRIO_MIN) value = PRIO_MIN;
  if (value > PRIO_MAX - 1) value = PRIO_MAX - 1;
  if (value < nice_value) {
    errno = EACCES;
    return -1;
  }
  nice_value = value;
  return 0;
}
