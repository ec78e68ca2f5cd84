// File modes for WASI (docs/posix.md). Preview 1 cannot change a file's
// permissions. Newer wasi-libc declares chmod(), fchmod() and fchmodat()
// and fails them with ENOSYS; Debian 12's hides them, so a program that
// calls one (zstd copies a file's mode) did not compile there. These give
// it the newer libc's answer. Weak, as the whole layer: a libc's own wins.
#include <errno.h>
#include <sys/stat.h>

__attribute__((weak)) int fchmodat(int directory, const char* path, mode_t mode, int flags) {
  (void)directory, (void)path, (void)mode, (void)flags;
  errno = ENOSYS;
  return -1;
}

__attribute__((weak)) int chmod(const char* path, mode_t mode) { return fchmodat(-1, path, mode, 0); }

__attribute__((weak)) int fchmod(int descriptor, mode_t mode) { return fchmodat(descriptor, "", mode, 0); }

// The file mode creation mask, as process state: set and read back, 022 at
// start (the usual login default). Files a module creates get no mode bits
// from it, since WASI has none to give; programs that set a mask around a
// file's creation and restore it (installers, archivers, test fixtures)
// then build and run unchanged.
static mode_t creation_mask = 022;

__attribute__((weak)) mode_t umask(mode_t mask) {
  const mode_t previous = creation_mask;
  creation_mask = mask & 0777;
  return previous;
}
