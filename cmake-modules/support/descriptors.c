// dup(), dup2() and dup3() for WASI (docs/posix.md). Preview 1 cannot
// duplicate a descriptor, so these call two functions wasibuild's runner
// provides (module "wasibuild"): it keeps a table of the program's
// descriptor numbers over Wasmtime's, in which a duplicate shares the open
// file, its offset and flags, and the file closes with its last number
// (runner/src/descriptors.hpp). Test frameworks capture stdout this way
// (googletest). The price: a program that calls them runs only under
// wasibuild, as other runtimes lack the imports. Weak, as the whole layer.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

__attribute__((import_module("wasibuild"), import_name("fd_dup"))) int32_t __wasibuild_fd_dup(int32_t, int32_t*);
__attribute__((import_module("wasibuild"), import_name("fd_dup2"))) int32_t __wasibuild_fd_dup2(int32_t, int32_t);

__attribute__((weak)) int dup(int descriptor) {
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
  const int32_t error = __wasibuild_fd_dup2(descriptor, target);
  if (error != 0) {
    errno = error;
    return -1;
  }
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
