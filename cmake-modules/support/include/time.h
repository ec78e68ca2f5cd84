/* wasibuild's POSIX gap layer (docs/posix.md): declares tzset and the
 * time-zone variables libwasibuild-support.a defines (always UTC, as
 * wasi-libc's localtime is), which wasi-libc's <time.h> hides. */
#include_next <time.h>

#ifndef __WASIBUILD_TIME_H
#define __WASIBUILD_TIME_H
#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || \
    defined(_BSD_SOURCE)
void tzset(void);
extern char *tzname[2];
#endif

#if defined(_XOPEN_SOURCE) || defined(_BSD_SOURCE) || defined(_GNU_SOURCE)
extern int daylight;
extern long timezone;
#endif

#ifdef __cplusplus
}
#endif
#endif
