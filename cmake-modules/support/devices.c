// /dev/null, /dev/zero, /dev/random, /dev/urandom and /dev/stdin,
// /dev/stdout, /dev/stderr for WASI (docs/posix.md), inside the guest.
//
// Test suites open them by name: to throw output away, to read nothing or
// zeros, to seed, or to hand a tool "/dev/stdout" as its output file. No
// runtime grants /dev (it would hand out every device), so wasi-libc's path
// lookup finds no directory for them. When no grant covers a path and it
// names one of these, support/cwd.c answers with a directory that is not
// one (kDeviceDirectory), support/links.c's wrappers of wasi-libc's
// openat, fstatat and faccessat hand it here, and the device opens as a
// descriptor of this file's own, numbered far above any the runtime hands
// out (from kFirstDevice). The toolchain file wraps wasi-libc's preview 1
// calls on descriptors (-Wl,--wrap=__wasi_fd_write and friends): each asks
// this table first, which is empty (one comparison) until a device opens.
// /dev/stdin and friends pass every call on to 0, 1 and 2.
//
// dup2() of a device onto a real number (stdout onto /dev/null, to silence
// a test) lays the device over that number until it is closed or another
// dup2() replaces it (support/descriptors.c). Runs on every runtime: no
// import of the runner's is needed.
// Preview 1 only: a wasm32-wasip2 wasi-libc reaches files through WASI
// 0.2 handles, not these calls.
#if __has_include(<wasi/libc-nocwd.h>) && !defined(__wasip2__)

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <wasi/api.h>

enum { kDeviceDirectory = 0x7fffff00, kFirstDevice = 0x40000000, kMaxDevices = 64 };

enum kind { kNull, kZero, kRandom, kStdin, kStdout, kStderr };

static const struct {
  const char* name;
  enum kind kind;
} kDevices[] = {
    {"null", kNull},     {"zero", kZero},     {"random", kRandom}, {"urandom", kRandom},
    {"stdin", kStdin},   {"stdout", kStdout}, {"stderr", kStderr},
};

struct device {
  int descriptor;  // a number of this table's own, or a real one it lies over
  enum kind kind;
};

static struct device devices[kMaxDevices];
static int device_count;

static struct device* find(int descriptor) {
  for (int i = 0; i < device_count; ++i) {
    if (devices[i].descriptor == descriptor) return &devices[i];
  }
  return NULL;
}

static void forget(struct device* device) { *device = devices[--device_count]; }

// The descriptor a standard stream's device passes calls on to, or -1.
static int passed_to(const struct device* device) {
  switch (device->kind) {
    case kStdin: return 0;
    case kStdout: return 1;
    case kStderr: return 2;
    default: return -1;
  }
}

static int add(int descriptor, enum kind kind) {
  if (device_count == kMaxDevices) {
    errno = EMFILE;
    return -1;
  }
  devices[device_count].descriptor = descriptor;
  devices[device_count].kind = kind;
  ++device_count;
  return descriptor;
}

static int lowest_free(void) {
  int candidate = kFirstDevice;
  while (find(candidate) != NULL) ++candidate;
  return candidate;
}

// For support/cwd.c: the directory "/dev/<name>" is in when it names one of
// the devices, or -1.
int __wasibuild_device_directory(const char* absolute, const char** name) {
  if (strncmp(absolute, "/dev/", 5) != 0) return -1;
  for (size_t i = 0; i < sizeof kDevices / sizeof kDevices[0]; ++i) {
    if (strcmp(absolute + 5, kDevices[i].name) == 0) {
      *name = kDevices[i].name;
      return kDeviceDirectory;
    }
  }
  return -1;
}

int __wasibuild_is_device_directory(int descriptor) { return descriptor == kDeviceDirectory; }

static int kind_named(const char* name, enum kind* kind) {
  for (size_t i = 0; i < sizeof kDevices / sizeof kDevices[0]; ++i) {
    if (strcmp(name, kDevices[i].name) == 0) {
      *kind = kDevices[i].kind;
      return 0;
    }
  }
  errno = ENOENT;
  return -1;
}

// For support/links.c: open(), stat() and access() of /dev/<name>.
int __wasibuild_device_open(const char* name, int flags) {
  enum kind kind;
  if (kind_named(name, &kind) != 0) return -1;
  if ((flags & O_DIRECTORY) != 0) {
    errno = ENOTDIR;
    return -1;
  }
  if ((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0) {
    errno = EEXIST;
    return -1;
  }
  return add(lowest_free(), kind);
}

int __wasibuild_device_stat(const char* name, struct stat* status) {
  enum kind kind;
  if (kind_named(name, &kind) != 0) return -1;
  memset(status, 0, sizeof *status);
  status->st_mode = S_IFCHR | 0666;
  status->st_nlink = 1;
  status->st_ino = (ino_t)kind + 1;
  return 0;
}

// For support/descriptors.c: dup() and dup2() of a device, and dup2() onto
// a number a device lies over.
int __wasibuild_is_device(int descriptor) { return find(descriptor) != NULL; }

int __wasibuild_device_duplicate(int descriptor, int target) {
  const struct device* device = find(descriptor);
  if (device == NULL) {
    errno = EBADF;
    return -1;
  }
  const enum kind kind = device->kind;
  if (target < 0) return add(lowest_free(), kind);
  struct device* replaced = find(target);
  if (replaced != NULL) forget(replaced);
  return add(target, kind);
}

void __wasibuild_device_forget(int descriptor) {
  struct device* device = find(descriptor);
  if (device != NULL) forget(device);
}

// ---- wasi-libc's calls on descriptors ----

// What wasi-libc's own functions of these names call: the runtime's
// preview 1 functions, imported here directly rather than through
// --wrap's __real_ names, so that a build tree configured before these
// wraps existed (CMake keeps link flags in its cache) still links.
#define PREVIEW1(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
PREVIEW1(fd_read) __wasi_errno_t engine_fd_read(__wasi_fd_t, const __wasi_iovec_t*, size_t, __wasi_size_t*);
PREVIEW1(fd_write) __wasi_errno_t engine_fd_write(__wasi_fd_t, const __wasi_ciovec_t*, size_t, __wasi_size_t*);
PREVIEW1(fd_pread) __wasi_errno_t engine_fd_pread(__wasi_fd_t, const __wasi_iovec_t*, size_t, __wasi_filesize_t,
                                                  __wasi_size_t*);
PREVIEW1(fd_pwrite) __wasi_errno_t engine_fd_pwrite(__wasi_fd_t, const __wasi_ciovec_t*, size_t, __wasi_filesize_t,
                                                    __wasi_size_t*);
PREVIEW1(fd_close) __wasi_errno_t engine_fd_close(__wasi_fd_t);
PREVIEW1(fd_seek) __wasi_errno_t engine_fd_seek(__wasi_fd_t, __wasi_filedelta_t, __wasi_whence_t, __wasi_filesize_t*);
PREVIEW1(fd_tell) __wasi_errno_t engine_fd_tell(__wasi_fd_t, __wasi_filesize_t*);
PREVIEW1(fd_fdstat_get) __wasi_errno_t engine_fd_fdstat_get(__wasi_fd_t, __wasi_fdstat_t*);
PREVIEW1(fd_fdstat_set_flags) __wasi_errno_t engine_fd_fdstat_set_flags(__wasi_fd_t, __wasi_fdflags_t);
PREVIEW1(fd_filestat_get) __wasi_errno_t engine_fd_filestat_get(__wasi_fd_t, __wasi_filestat_t*);
PREVIEW1(fd_renumber) __wasi_errno_t engine_fd_renumber(__wasi_fd_t, __wasi_fd_t);
#undef PREVIEW1

// The device that answers a call on `*fd` itself, or NULL: then the call
// goes to the runtime with `*fd`, which a standard stream's device (stdin,
// stdout, stderr) has replaced with 0, 1 or 2.
static const struct device* answering(__wasi_fd_t* fd) {
  if (device_count == 0) return NULL;
  const struct device* device = find((int)*fd);
  if (device == NULL) return NULL;
  const int real = passed_to(device);
  if (real < 0) return device;
  *fd = (__wasi_fd_t)real;
  return NULL;
}

static __wasi_errno_t fill(const struct device* device, const __wasi_iovec_t* iovs, size_t count,
                           __wasi_size_t* done) {
  *done = 0;
  if (device->kind == kNull) return 0;  // end of file
  for (size_t i = 0; i < count; ++i) {
    if (device->kind == kZero) {
      memset(iovs[i].buf, 0, iovs[i].buf_len);
    } else {
      // random_get takes at most 256 bytes at a time on some runtimes.
      for (size_t at = 0; at < iovs[i].buf_len; at += 256) {
        const size_t part = iovs[i].buf_len - at < 256 ? iovs[i].buf_len - at : 256;
        const __wasi_errno_t error = __wasi_random_get(iovs[i].buf + at, part);
        if (error != 0) return error;
      }
    }
    *done += iovs[i].buf_len;
  }
  return 0;
}

static __wasi_errno_t swallow(const __wasi_ciovec_t* iovs, size_t count, __wasi_size_t* done) {
  *done = 0;
  for (size_t i = 0; i < count; ++i) *done += iovs[i].buf_len;
  return 0;
}

__wasi_errno_t __wrap___wasi_fd_read(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t count,
                                     __wasi_size_t* done) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_read(fd, iovs, count, done);
  return fill(device, iovs, count, done);
}

__wasi_errno_t __wrap___wasi_fd_pread(__wasi_fd_t fd, const __wasi_iovec_t* iovs, size_t count,
                                      __wasi_filesize_t offset, __wasi_size_t* done) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_pread(fd, iovs, count, offset, done);
  return fill(device, iovs, count, done);
}

__wasi_errno_t __wrap___wasi_fd_write(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t count,
                                      __wasi_size_t* done) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_write(fd, iovs, count, done);
  return swallow(iovs, count, done);
}

__wasi_errno_t __wrap___wasi_fd_pwrite(__wasi_fd_t fd, const __wasi_ciovec_t* iovs, size_t count,
                                       __wasi_filesize_t offset, __wasi_size_t* done) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_pwrite(fd, iovs, count, offset, done);
  return swallow(iovs, count, done);
}

// Closing a device over a real number closes that number too, as the
// dup2() that laid the device over it would have.
__wasi_errno_t __wrap___wasi_fd_close(__wasi_fd_t fd) {
  struct device* device = device_count == 0 ? NULL : find((int)fd);
  if (device == NULL) return engine_fd_close(fd);
  forget(device);
  // The number under it may never have been open (dup2() onto any number).
  if ((int)fd < kFirstDevice) (void)engine_fd_close(fd);
  return 0;
}

__wasi_errno_t __wrap___wasi_fd_seek(__wasi_fd_t fd, __wasi_filedelta_t offset, __wasi_whence_t whence,
                                     __wasi_filesize_t* position) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_seek(fd, offset, whence, position);
  *position = 0;  // Linux: a character device stays at 0
  return 0;
}

__wasi_errno_t __wrap___wasi_fd_tell(__wasi_fd_t fd, __wasi_filesize_t* position) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_tell(fd, position);
  *position = 0;
  return 0;
}

// freopen("/dev/null", "w", stdout) opens the device and renumbers it
// onto 1 (wasi-libc has no dup3): the device then lies over 1, as after
// dup2(). A real descriptor renumbered onto a device's number replaces it.
__wasi_errno_t __wrap___wasi_fd_renumber(__wasi_fd_t fd, __wasi_fd_t to) {
  struct device* device = device_count == 0 ? NULL : find((int)fd);
  if (device == NULL) {
    const __wasi_errno_t error = engine_fd_renumber(fd, to);
    if (error == 0) __wasibuild_device_forget((int)to);
    return error;
  }
  if (fd == to) return 0;
  struct device* replaced = find((int)to);
  if (replaced == NULL) {
    device->descriptor = (int)to;
    return 0;
  }
  replaced->kind = device->kind;
  forget(device);
  return 0;
}

// Seekable rights, as Linux's /dev/null is: isatty() says no.
__wasi_errno_t __wrap___wasi_fd_fdstat_get(__wasi_fd_t fd, __wasi_fdstat_t* status) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_fdstat_get(fd, status);
  memset(status, 0, sizeof *status);
  status->fs_filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
  status->fs_rights_base = ~(__wasi_rights_t)0;
  return 0;
}

__wasi_errno_t __wrap___wasi_fd_fdstat_set_flags(__wasi_fd_t fd, __wasi_fdflags_t flags) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_fdstat_set_flags(fd, flags);
  return 0;
}

__wasi_errno_t __wrap___wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t* status) {
  const struct device* device = answering(&fd);
  if (device == NULL) return engine_fd_filestat_get(fd, status);
  memset(status, 0, sizeof *status);
  status->filetype = __WASI_FILETYPE_CHARACTER_DEVICE;
  status->nlink = 1;
  status->ino = (__wasi_inode_t)device->kind + 1;
  return 0;
}

#elif defined(__wasip2__)

// support/cwd.c still asks: no device directory in a component yet.
int __wasibuild_device_directory(const char* absolute, const char** name) {
  (void)absolute;
  (void)name;
  return -1;
}

#endif
