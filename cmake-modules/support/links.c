// Symbolic links that leave their grant, followed by the guest itself
// (docs/testing.md, "Paths").
//
// Wasmtime resolves a path below a preopened directory and refuses (EPERM)
// any link whose target is absolute or climbs out of that directory. CMake's
// file(CREATE_LINK) writes exactly such links, from the build tree into the
// source tree, which a test reaches through another grant. When an open,
// stat, access or opendir fails with EPERM, the wrappers below resolve the
// path the way the kernel would, one component at a time (readlinkat on
// each), then match the result against the grants again and retry once.
//
// Why this is safe: the guest does nothing here it could not do itself
// with readlinkat() and open(). Every link is read and the final file opened
// through a preopen, so Wasmtime still checks each step; a link to a place
// no grant covers still fails. The host follows no link on the guest's
// behalf. Why only on failure: a path that works costs nothing more.
//
// The toolchain file wraps wasi-libc's internal calls
// (-Wl,--wrap=__wasilibc_nocwd_openat_nomode and friends, which its open(),
// stat(), access() and opendir() make after their path lookup).
// Preview 1 only: a wasm32-wasip2 wasi-libc reaches files through WASI
// 0.2 handles, not these calls.
#if __has_include(<wasi/libc-nocwd.h>) && !defined(__wasip2__)

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>
#include <wasi/libc-nocwd.h>

int __wasilibc_find_abspath(const char* abspath, const char** abs_prefix, const char** relative_path);

// support/devices.c: /dev/null and friends, which support/cwd.c finds in a
// directory of their own.
int __wasibuild_is_device_directory(int descriptor);
int __wasibuild_device_open(const char* name, int flags);
int __wasibuild_device_stat(const char* name, struct stat* status);

int __real___wasilibc_nocwd_openat_nomode(int, const char*, int);
int __real___wasilibc_nocwd_fstatat(int, const char* __restrict, struct stat* __restrict, int);
int __real___wasilibc_nocwd_faccessat(int, const char*, int, int);
DIR* __real___wasilibc_nocwd_opendirat(int, const char*);

enum { kMaxLinks = 40 };  // Linux's limit, then ELOOP

// A growable string; `text` is NUL-terminated once anything was appended.
struct text {
  char* text;
  size_t length;
  size_t capacity;
};

static int append(struct text* to, const char* from, size_t length) {
  if (to->length + length + 1 > to->capacity) {
    const size_t capacity = (to->length + length + 1) * 2;
    char* grown = realloc(to->text, capacity);
    if (grown == NULL) return -1;
    to->text = grown;
    to->capacity = capacity;
  }
  memcpy(to->text + to->length, from, length);
  to->length += length;
  to->text[to->length] = '\0';
  return 0;
}

// The host path `descriptor` was granted at, when it is a preopened
// directory granted at an absolute path (exec --host-cwd, tree grants).
static int grant_path(int descriptor, struct text* path) {
  __wasi_prestat_t prestat;
  if (__wasi_fd_prestat_get((__wasi_fd_t)descriptor, &prestat) != 0 || prestat.tag != __WASI_PREOPENTYPE_DIR) {
    return -1;
  }
  const size_t length = prestat.u.dir.pr_name_len;
  char* name = malloc(length + 1);
  if (name == NULL) return -1;
  int result = -1;
  if (__wasi_fd_prestat_dir_name((__wasi_fd_t)descriptor, (uint8_t*)name, length) == 0 && length > 0 &&
      name[0] == '/') {
    result = append(path, name, length);
  }
  free(name);
  return result;
}

// readlink() of an absolute path through the grant that covers it; -1 when
// it is not a link or no grant covers it. A "." or "/" grant, which
// wasi-libc matches to every absolute path, covers none here: asking it
// about each directory above the real grants (/home, /home/user...) would
// cost a call to the runtime apiece (bench/gap_layer_bench.sh).
static ssize_t read_link(const char* absolute, char* target, size_t size) {
  const char* prefix = NULL;
  const char* relative = NULL;
  const int descriptor = __wasilibc_find_abspath(absolute, &prefix, &relative);
  if (descriptor == -1 || relative[0] == '\0') return -1;
  if (prefix[0] == '\0' || strcmp(prefix, "/") == 0 || strcmp(prefix, ".") == 0) return -1;
  return readlinkat(descriptor, relative, target, size);
}

// Resolves every link in the absolute path `pending` (the last component's
// only when `follow_last`) into `resolved`, with `.` and `..` applied after
// the links before them, as the kernel does. Returns how many links it
// followed, or -1 with errno set.
static int resolve(const char* pending, int follow_last, struct text* resolved) {
  char* rest = strdup(pending);
  if (rest == NULL) return -1;
  char target[4096];
  int links = 0;
  size_t at = 0;
  resolved->length = 0;
  while (rest[at] != '\0') {
    while (rest[at] == '/') ++at;
    const size_t start = at;
    while (rest[at] != '\0' && rest[at] != '/') ++at;
    const size_t length = at - start;
    if (length == 0 || (length == 1 && rest[start] == '.')) continue;
    if (length == 2 && rest[start] == '.' && rest[start + 1] == '.') {
      while (resolved->length > 0 && resolved->text[--resolved->length] != '/') {
      }
      continue;
    }
    const size_t kept = resolved->length;
    if (append(resolved, "/", 1) != 0 || append(resolved, rest + start, length) != 0) goto failed;
    size_t after = at;
    while (rest[after] == '/') ++after;
    if (rest[after] == '\0' && !follow_last) break;
    const ssize_t target_length = read_link(resolved->text, target, sizeof target - 1);
    if (target_length <= 0) continue;
    if (++links > kMaxLinks) {
      errno = ELOOP;
      goto failed;
    }
    // The link's target replaces it; what followed it comes after.
    const size_t tail = strlen(rest + at);
    char* next = malloc((size_t)target_length + 1 + tail + 1);
    if (next == NULL) goto failed;
    memcpy(next, target, (size_t)target_length);
    next[target_length] = '/';
    memcpy(next + target_length + 1, rest + at, tail + 1);
    free(rest);
    rest = next;
    at = 0;
    resolved->length = target[0] == '/' ? 0 : kept;
  }
  if (resolved->length == 0 && append(resolved, "/", 1) != 0) goto failed;
  resolved->text[resolved->length] = '\0';
  free(rest);
  return links;
failed:
  free(rest);
  return -1;
}

// After a call on (descriptor, path) failed with EPERM: the grant and path
// below it that the same file has once links are resolved, or -1 when
// there is nothing different to retry (errno is then the original one).
static int redirect(int descriptor, const char* path, int follow_last, struct text* relative_out) {
  const int original = errno;
  struct text absolute = {0};
  struct text resolved = {0};
  int links = 0;
  if (grant_path(descriptor, &absolute) == 0 && append(&absolute, "/", 1) == 0 &&
      append(&absolute, path, strlen(path)) == 0) {
    links = resolve(absolute.text, follow_last, &resolved);
  }
  int grant = -1;
  if (links > 0) {
    const char* prefix = NULL;
    const char* relative = NULL;
    grant = __wasilibc_find_abspath(resolved.text, &prefix, &relative);
    if (relative != NULL && relative[0] == '\0') relative = ".";
    if (grant != -1 && append(relative_out, relative, strlen(relative)) != 0) grant = -1;
  }
  // A loop of links is the one new answer worth giving.
  const int answer = links == -1 && errno == ELOOP ? ELOOP : original;
  free(absolute.text);
  free(resolved.text);
  errno = answer;
  return grant;
}

int __wrap___wasilibc_nocwd_openat_nomode(int descriptor, const char* path, int flags) {
  if (__wasibuild_is_device_directory(descriptor)) return __wasibuild_device_open(path, flags);
  const int opened = __real___wasilibc_nocwd_openat_nomode(descriptor, path, flags);
  if (opened != -1 || errno != EPERM) return opened;
  struct text relative = {0};
  const int grant = redirect(descriptor, path, !(flags & O_NOFOLLOW), &relative);
  if (grant == -1) return -1;
  const int retried = __real___wasilibc_nocwd_openat_nomode(grant, relative.text, flags);
  free(relative.text);
  return retried;
}

int __wrap___wasilibc_nocwd_fstatat(int descriptor, const char* __restrict path, struct stat* __restrict status,
                                    int flags) {
  if (__wasibuild_is_device_directory(descriptor)) return __wasibuild_device_stat(path, status);
  const int result = __real___wasilibc_nocwd_fstatat(descriptor, path, status, flags);
  if (result != -1 || errno != EPERM) return result;
  struct text relative = {0};
  const int grant = redirect(descriptor, path, !(flags & AT_SYMLINK_NOFOLLOW), &relative);
  if (grant == -1) return -1;
  const int retried = __real___wasilibc_nocwd_fstatat(grant, relative.text, status, flags);
  free(relative.text);
  return retried;
}

int __wrap___wasilibc_nocwd_faccessat(int descriptor, const char* path, int mode, int flags) {
  if (__wasibuild_is_device_directory(descriptor)) {
    struct stat status;
    return __wasibuild_device_stat(path, &status);
  }
  const int result = __real___wasilibc_nocwd_faccessat(descriptor, path, mode, flags);
  if (result != -1 || errno != EPERM) return result;
  struct text relative = {0};
  const int grant = redirect(descriptor, path, !(flags & AT_SYMLINK_NOFOLLOW), &relative);
  if (grant == -1) return -1;
  const int retried = __real___wasilibc_nocwd_faccessat(grant, relative.text, mode, flags);
  free(relative.text);
  return retried;
}

DIR* __wrap___wasilibc_nocwd_opendirat(int descriptor, const char* path) {
  if (__wasibuild_is_device_directory(descriptor)) {
    errno = ENOTDIR;
    return NULL;
  }
  DIR* directory = __real___wasilibc_nocwd_opendirat(descriptor, path);
  if (directory != NULL || errno != EPERM) return directory;
  struct text relative = {0};
  const int grant = redirect(descriptor, path, 1, &relative);
  if (grant == -1) return NULL;
  DIR* retried = __real___wasilibc_nocwd_opendirat(grant, relative.text);
  free(relative.text);
  return retried;
}

#endif
