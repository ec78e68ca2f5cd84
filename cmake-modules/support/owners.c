// File owners for WASI (docs/posix.md). WASI has no owners: wasi-libc's
// stat() reports uid and gid 0 for every file, and nothing can change them.
// So these behave as for an unprivileged user: giving a file the owner it
// has (or -1, "unchanged") succeeds, anything else is EPERM, and a missing
// file is ENOENT. Programs that copy a file's metadata (zstd, archivers)
// then work; wasi-libc hides the functions. Weak, as the whole layer.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int same_owner(const struct stat* status, uid_t owner, gid_t group) {
  if ((owner != (uid_t)-1 && owner != status->st_uid) || (group != (gid_t)-1 && group != status->st_gid)) {
    errno = EPERM;
    return -1;
  }
  return 0;
}

__attribute__((weak)) int fchownat(int directory, const char* path, uid_t owner, gid_t group, int flags) {
  struct stat status;
  if (fstatat(directory, path, &status, flags) != 0) return -1;
  return same_owner(&status, owner, group);
}

__attribute__((weak)) int chown(const char* path, uid_t owner, gid_t group) {
  return fchownat(AT_FDCWD, path, owner, group, 0);
}

__attribute__((weak)) int lchown(const char* path, uid_t owner, gid_t group) {
  return fchownat(AT_FDCWD, path, owner, group, AT_SYMLINK_NOFOLLOW);
}

__attribute__((weak)) int fchown(int descriptor, uid_t owner, gid_t group) {
  struct stat status;
  if (fstat(descriptor, &status) != 0) return -1;
  return same_owner(&status, owner, group);
}
