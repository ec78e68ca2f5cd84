// The system log for WASI (include/syslog.h): a module has no logger to
// reach, so this does what glibc and musl do on a system without one.
// Messages are dropped, unless openlog() asked for LOG_PERROR: then each
// message within setlogmask()'s mask is written to stderr as
// "IDENT: MESSAGE", one line each, %m as strerror(errno). LOG_PID adds
// nothing: a module has no process id of its own. Daemons and libraries that log this way build and run
// unchanged. Weak, as the whole layer.
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static const char* log_ident;
static int log_options;
static int log_mask = 0xff;

__attribute__((weak)) void openlog(const char* ident, int options, int facility) {
  (void)facility;
  log_ident = ident;
  log_options = options;
}

__attribute__((weak)) void closelog(void) {
  log_ident = NULL;
  log_options = 0;
}

__attribute__((weak)) int setlogmask(int mask) {
  const int previous = log_mask;
  if (mask != 0) log_mask = mask;
  return previous;
}

// Appends `piece` (length `length`) to `out` if all of it fits; a format is
// only ever cut between whole pieces, never inside a conversion.
static int append(char* out, size_t size, size_t* used, const char* piece, size_t length) {
  if (*used + length + 1 > size) return 0;
  memcpy(out + *used, piece, length);
  *used += length;
  return 1;
}

// `format` with each %m replaced by the message of `saved_errno`, its own
// '%' signs doubled so that it stays text. A format longer than `size`
// is cut before the first piece (a character, or a whole conversion such
// as %-10.3ld) that does not fit.
static void expand_errno(char* out, size_t size, const char* format, int saved_errno) {
  size_t used = 0;
  const char* at = format;
  while (*at != '\0') {
    size_t length = 1;
    if (at[0] == '%' && at[1] == 'm') {
      const char* message = strerror(saved_errno);
      int fits = 1;
      for (const char* c = message; *c != '\0' && fits; ++c) {
        fits = *c == '%' ? append(out, size, &used, "%%", 2) : append(out, size, &used, c, 1);
      }
      if (!fits) break;
      at += 2;
      continue;
    }
    if (at[0] == '%') {  // a whole conversion: '%', flags, width, precision, length, the letter
      length = 1 + strspn(at + 1, "-+ #0123456789.*'hlLjztq");
      if (at[length] != '\0') ++length;
    }
    if (!append(out, size, &used, at, length)) break;
    at += length;
  }
  out[used] = '\0';
}

__attribute__((weak)) void vsyslog(int priority, const char* format, va_list arguments) {
  if ((log_options & LOG_PERROR) == 0 || (log_mask & LOG_MASK(LOG_PRI(priority))) == 0) return;
  const int saved_errno = errno;
  char expanded[1024];
  expand_errno(expanded, sizeof expanded, format, saved_errno);
  char message[2048];
  vsnprintf(message, sizeof message, expanded, arguments);
  const size_t length = strlen(message);
  const char* newline = length > 0 && message[length - 1] == '\n' ? "" : "\n";
  fprintf(stderr, "%s: %s%s", log_ident ? log_ident : "syslog", message, newline);
  errno = saved_errno;
}

__attribute__((weak)) void syslog(int priority, const char* format, ...) {
  va_list arguments;
  va_start(arguments, format);
  vsyslog(priority, format, arguments);
  va_end(arguments);
}
