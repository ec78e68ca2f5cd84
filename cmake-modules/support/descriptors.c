// dup(), dup2() and dup3() for WASI (docs/posix.md). Preview 1 cannot
// duplicate a descriptor, so these call two functions wasibuild's runner
// provides (module "wasibuild"): it keeps a table of the program's
// descriptor numbers over Wasmtime's, in which a duplicate shares the open
// file, its offset and flags, and the file closes with its last number
// (runner/src/descriptors.hpp). Test frameworks capture stdout this way
// (googletest). The price: a program that calls them runs only under
// wasibuild, as other runtimes lack the imports. Weak, as the whole layer.
// Preview 1 only: a WASI 0.2 component cannot link the runner's imports.
#ifndef __wasip2__
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

__attribute__((import_module("wasibuild"), import_name("fd_dup"))) int32_t __wasibuild_fd_dup(int32_t, int32_t*);
__attribute__((import_module("wasibuild"), import_name("fd_dup2"))) int32_t __wasibuild_fd_dup2(int32_t, int32_t);

// support/devices.c: /dev/null and friends are descriptors of the
// program's own, duplicated without the runner.
int __wasibuild_is_device(int descriptor);
int __wasibuild_device_duplicate(int descriptor, int target);
void __wasibuild_device_forget(int descriptor);

__attribute__((weak)) int dup(int descriptor) {
  if (__wasibuild_is_device(descriptor)) return __wasibuild_device_duplicate(descriptor, -1);
  int32_t duplicate = -1;
  const int32_t error = __wasibuild_fd_dup(descriptor, &duplicate);
  if (error != 0) {
    errno = error;  // wasi-libc's errno values are WASI's
    return -1;
  }
  return duplicate;
}

__attribute__((weak)) int dup2(int descriptor, int target) {
  if (descriptor < 0 || target < 0) {
    errno = EBADF;
    return -1;
  }
  if (__wasibuild_is_device(descriptor)) {
    return descriptor == target ? target : __wasibuild_device_duplicate(descriptor, target);
  }
  const int32_t error = __wasibuild_fd_dup2(descriptor, target);
  if (error != 0) {
    errno = error;
    return -1;
  }
  __wasibuild_device_forget(target);  // a device laid over `target` by an earlier dup2()
  return target;
}

// WASI has no close-on-exec (nothing executes), so O_CLOEXEC changes nothing.
__attribute__((weak)) int dup3(int descriptor, int target, int flags) {
  if (descriptor == target || (flags & ~O_CLOEXEC) != 0) {
    errno = EINVAL;
    return -1;
  }
  return dup2(descriptor, target);
}

// pipe() and pipe2(): a pipe the runner keeps (module "wasibuild",
// fd_pipe). WASI has no threads, so a program can only read what it wrote
// itself, up to 64 KiB buffered, as Linux's default capacity: reading an
// empty pipe whose write end is open (or writing a full one) would wait
// forever and ends the program with a message instead, unless O_NONBLOCK
// makes it EAGAIN. Output captured through a pipe (stdout dup2()ed onto its
// write end, then read back) works.
__attribute__((import_module("wasibuild"), import_name("fd_pipe"))) int32_t __wasibuild_fd_pipe(int32_t*);

__attribute__((weak)) int pipe(int descriptors[2]) {
  int32_t ends[2];
  const int32_t error = __wasibuild_fd_pipe(ends);
  if (error != 0) {
    errno = error;
    return -1;
  }
  descriptors[0] = ends[0];
  descriptors[1] = ends[1];
  return 0;
}

__attribute__((weak)) int pipe2(int descriptors[2], int flags) {
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) != 0) {
    errno = EINVAL;
    return -1;
  }
  if (pipe(descriptors) != 0) return -1;
  if ((flags & O_NONBLOCK) != 0) {
    (void)fcntl(descriptors[0], F_SETFL, O_NONBLOCK);
    (void)fcntl(descriptors[1], F_SETFL, O_NONBLOCK);
  }
  return 0;
}

#endif
