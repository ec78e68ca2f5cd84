// The working directory as a native test sees it (docs/testing.md, "Paths").
//
// wasi-libc resolves a relative path by appending it to its own idea of the
// working directory (`__wasilibc_cwd`, "/" until chdir()) and matching the
// result against the preopened directories, longest prefix first. Tests run
// with `wasibuild exec --host-cwd`, which grants the working directory at
// its host path too and sets PWD to it; the constructor below chdir()s there,
// so getcwd() answers the host path and relative paths land in the same
// grants as absolute ones.
//
// A `..` that leaves the directory a path matched (`../src/data/x` from a
// build directory, where the source tree is another grant) is then resolved
// lexically against that absolute path, as a shell's `cd ..` would, and the
// result matched again. A path whose `..` stays inside its grant is left to
// the runner, which follows it physically, links included. Nothing here can
// reach more than the grants: every path still goes through a preopen.
//
// wasi-libc's chdir.o defines __wasilibc_find_relpath_alloc weakly and its
// preopen code calls it; this strong definition replaces it. The toolchain
// file links this object into every program (support/start.c says how).

// What support/start.c calls so that this object is linked and kept.
void __wasibuild_cwd_anchor(void) {}

#if __has_include(<wasi/libc-find-relpath.h>)

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char* __wasilibc_cwd;
int __wasilibc_find_abspath(const char* abspath, const char** abs_prefix, const char** relative_path);
int __wasibuild_device_directory(const char* absolute, const char** name);  // support/devices.c

enum { kStackPath = 1024 };

// Does `relative` (a path below a preopen) climb above it with `..`?
static int leaves_grant(const char* relative) {
  long depth = 0;
  const char* p = relative;
  while (*p != '\0') {
    while (*p == '/') ++p;
    const char* end = p;
    while (*end != '\0' && *end != '/') ++end;
    const size_t length = (size_t)(end - p);
    if (length == 2 && p[0] == '.' && p[1] == '.') {
      if (--depth < 0) return 1;
    } else if (length > 0 && !(length == 1 && p[0] == '.')) {
      ++depth;
    }
    p = end;
  }
  return 0;
}

// A grant wasi-libc matches to every absolute path.
static int is_catch_all(const char* prefix) {
  return prefix[0] == '\0' || strcmp(prefix, "/") == 0 || strcmp(prefix, ".") == 0;
}

// Collapses `.`, `..` and repeated slashes of the absolute path `path` in
// place. A `..` above the root is kept, so such a path still fails as before.
// Each component is written at or before where it was read.
static void normalize(char* path) {
  char* out = path;    // the result so far: "" or "/c1/c2"
  char* floor = path;  // kept "/.." components end here
  const char* in = path;
  while (*in != '\0') {
    while (*in == '/') ++in;
    const char* end = in;
    while (*end != '\0' && *end != '/') ++end;
    const size_t length = (size_t)(end - in);
    if (length == 0 || (length == 1 && in[0] == '.')) {
      // nothing
    } else if (length == 2 && in[0] == '.' && in[1] == '.') {
      if (out > floor) {
        while (out > floor && *--out != '/') {
        }
      } else {
        memmove(out, "/..", 3);
        out += 3;
        floor = out;
      }
    } else {
      *out = '/';
      memmove(out + 1, in, length);
      out += length + 1;
    }
    in = end;
  }
  if (out == path) *out++ = '/';
  *out = '\0';
}

int __wasilibc_find_relpath_alloc(const char* path, const char** abs_prefix, char** relative_buf,
                                  size_t* relative_buf_len, int can_realloc) {
  // An empty path names no file (POSIX: ENOENT); wasi-libc would append it
  // to the working directory and find that.
  if (path[0] == '\0') {
    errno = ENOENT;
    return -1;
  }
  char stack[kStackPath];
  char* absolute = stack;
  const size_t cwd_length = strlen(__wasilibc_cwd);
  const size_t path_length = strlen(path);
  const size_t needed = (path[0] == '/' ? 0 : cwd_length + 1) + path_length + 1;
  if (needed > sizeof stack) {
    absolute = malloc(needed);
    if (absolute == NULL) {
      errno = ENOMEM;
      return -1;
    }
  }
  if (path[0] == '/') {
    memcpy(absolute, path, path_length + 1);
  } else {
    memcpy(absolute, __wasilibc_cwd, cwd_length);
    size_t at = cwd_length;
    if (at == 0 || absolute[at - 1] != '/') absolute[at++] = '/';
    memcpy(absolute + at, path, path_length + 1);
  }

  const char* relative = NULL;
  int fd = __wasilibc_find_abspath(absolute, abs_prefix, &relative);
  if (fd != -1 && leaves_grant(relative)) {
    normalize(absolute);
    fd = __wasilibc_find_abspath(absolute, abs_prefix, &relative);
  }
  // /dev/null and the few devices support/devices.c has, unless a grant of
  // /dev itself covers them: wasi-libc matches a "." or "/" grant to any
  // absolute path, and the host's /dev is never below a test's grants.
  if (fd == -1 || is_catch_all(*abs_prefix)) {
    const char* device = NULL;
    const int devices = __wasibuild_device_directory(absolute, &device);
    if (devices != -1) {
      fd = devices;
      relative = device;
    }
  }
  if (fd == -1) {
    if (absolute != stack) free(absolute);
    return -1;
  }
  if (relative[0] == '\0') relative = ".";
  const size_t relative_length = strlen(relative);
  if (*relative_buf_len < relative_length + 1) {
    char* grown = can_realloc ? realloc(*relative_buf, relative_length + 1) : NULL;
    if (grown == NULL) {
      errno = can_realloc ? ENOMEM : ERANGE;
      if (absolute != stack) free(absolute);
      return -1;
    }
    *relative_buf = grown;
    *relative_buf_len = relative_length + 1;
  }
  memmove(*relative_buf, relative, relative_length + 1);
  if (absolute != stack) free(absolute);
  return fd;
}

// Start where the runner says the guest is (exec --host-cwd sets PWD). A
// PWD no grant covers (`--inherit-env` without --host-cwd) changes nothing.
// Priority 101, the first one not reserved: before every C++ static
// initializer, which may already ask for the working directory
// (googletest records it when its first test registers).
__attribute__((constructor(101))) static void wasibuild_enter_host_cwd(void) {
  const char* pwd = getenv("PWD");
  if (pwd != NULL && pwd[0] == '/' && strcmp(pwd, "/") != 0) (void)chdir(pwd);
}

#endif
