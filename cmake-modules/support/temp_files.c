// Temp files for WASI (docs/posix.md): the mkstemp family, mkdtemp, mktemp,
// tmpfile, tmpnam, tmpnam_r and tempnam, which wasi-libc leaves out because
// WASI has no designated temp directory. Files go to $TMPDIR if set, else
// /tmp (the test runner grants a private /tmp). Every definition is weak: a
// wasi-libc that has its own wins, and never clashes at link time.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WEAK __attribute__((weak))

enum { kRandomChars = 6, kAttempts = 100 };

static const char* temp_dir(void) {
  const char* dir = getenv("TMPDIR");
  return dir != NULL && dir[0] != '\0' ? dir : "/tmp";
}

// Replaces the six X before the suffix with random letters and digits.
static int randomize(char* template_, size_t suffix_length) {
  const size_t length = strlen(template_);
  if (length < kRandomChars + suffix_length) return -1;
  char* x = template_ + length - suffix_length - kRandomChars;
  if (memcmp(x, "XXXXXX", kRandomChars) != 0) return -1;
  unsigned char bytes[kRandomChars];
  if (getentropy(bytes, sizeof bytes) != 0) return -1;
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  for (int i = 0; i < kRandomChars; ++i) x[i] = kAlphabet[bytes[i] % (sizeof kAlphabet - 1)];
  return 0;
}

// Creates a file or directory from the template, retrying names that exist.
static int create(char* template_, size_t suffix_length, int flags, int directory) {
  const size_t length = strlen(template_);
  char original[kRandomChars];
  if (length < kRandomChars + suffix_length) {
    errno = EINVAL;
    return -1;
  }
  memcpy(original, template_ + length - suffix_length - kRandomChars, kRandomChars);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    memcpy(template_ + length - suffix_length - kRandomChars, original, kRandomChars);
    if (randomize(template_, suffix_length) != 0) {
      errno = EINVAL;
      return -1;
    }
    const int result = directory ? mkdir(template_, 0700)
                                 : open(template_, O_RDWR | O_CREAT | O_EXCL | (flags & ~O_ACCMODE), 0600);
    if (result >= 0 || errno != EEXIST) return result;
  }
  memcpy(template_ + length - suffix_length - kRandomChars, original, kRandomChars);
  errno = EEXIST;
  return -1;
}

WEAK int mkostemps(char* template_, int suffix_length, int flags) {
  if (suffix_length < 0) {
    errno = EINVAL;
    return -1;
  }
  return create(template_, (size_t)suffix_length, flags, 0);
}

WEAK int mkstemps(char* template_, int suffix_length) { return mkostemps(template_, suffix_length, 0); }
WEAK int mkostemp(char* template_, int flags) { return mkostemps(template_, 0, flags); }
WEAK int mkstemp(char* template_) { return mkostemps(template_, 0, 0); }

WEAK char* mkdtemp(char* template_) { return create(template_, 0, 0, 1) == 0 ? template_ : NULL; }

// A name that did not exist when it was chosen (racy by nature, as on every
// system; mkstemp is the safe form).
static char* unused_name(char* name) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    char* x = name + strlen(name) - kRandomChars;
    memcpy(x, "XXXXXX", kRandomChars);
    if (randomize(name, 0) != 0) return NULL;
    struct stat st;
    if (lstat(name, &st) != 0 && errno == ENOENT) return name;
  }
  errno = EEXIST;
  return NULL;
}

WEAK char* mktemp(char* template_) {
  const size_t length = strlen(template_);
  if (length < kRandomChars || memcmp(template_ + length - kRandomChars, "XXXXXX", kRandomChars) != 0 ||
      unused_name(template_) == NULL) {
    errno = EINVAL;
    template_[0] = '\0';
  }
  return template_;
}

// tmpnam's names fit L_tmpnam (20) whatever TMPDIR says: like glibc, it
// always uses P_tmpdir.
WEAK char* tmpnam_r(char* buffer) {
  if (buffer == NULL) return NULL;
  strcpy(buffer, "/tmp/tmpnam_XXXXXX");
  return unused_name(buffer);
}

WEAK char* tmpnam(char* buffer) {
  static char name[L_tmpnam];
  char own[L_tmpnam];
  if (tmpnam_r(own) == NULL) return NULL;
  char* out = buffer != NULL ? buffer : name;
  strcpy(out, own);
  return out;
}

WEAK char* tempnam(const char* dir, const char* prefix) {
  const char* from_environment = getenv("TMPDIR");
  if (from_environment != NULL && from_environment[0] != '\0') dir = from_environment;
  if (dir == NULL || dir[0] == '\0') dir = "/tmp";
  if (prefix == NULL) prefix = "temp_";
  const size_t size = strlen(dir) + 1 + strlen(prefix) + kRandomChars + 1;
  char* name = malloc(size);
  if (name == NULL) return NULL;
  snprintf(name, size, "%s/%s%s", dir, prefix, "XXXXXX");
  if (unused_name(name) == NULL) {
    free(name);
    return NULL;
  }
  return name;
}

// An anonymous file: created, then unlinked while open.
WEAK FILE* tmpfile(void) {
  const char* dir = temp_dir();
  const size_t size = strlen(dir) + sizeof "/tmpfile_XXXXXX";
  char* name = malloc(size);
  if (name == NULL) return NULL;
  snprintf(name, size, "%s/tmpfile_XXXXXX", dir);
  const int fd = mkstemp(name);
  if (fd < 0) {
    free(name);
    return NULL;
  }
  unlink(name);
  free(name);
  FILE* file = fdopen(fd, "w+");
  if (file == NULL) close(fd);
  return file;
}
