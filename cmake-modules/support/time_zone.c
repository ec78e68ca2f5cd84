// Time-zone basics for WASI (docs/posix.md): tzset, tzname, timezone and
// daylight, which wasi-libc leaves out because it has no time-zone tables.
// Its localtime is UTC, so these describe UTC, whatever TZ says. Weak, so a
// wasi-libc that has its own wins without a link clash.
#define _GNU_SOURCE
#include <time.h>

static char utc[] = "UTC";

__attribute__((weak)) char* tzname[2] = {utc, utc};
__attribute__((weak)) long timezone = 0;
__attribute__((weak)) int daylight = 0;

__attribute__((weak)) void tzset(void) {}
