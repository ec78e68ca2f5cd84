/* wasibuild's POSIX gap layer (docs/posix.md): declares the temp-file
 * functions libwasibuild-support.a defines, which wasi-libc's <stdlib.h>
 * hides, under the same feature macros as musl's. */
#include_next <stdlib.h>

#ifndef __WASIBUILD_STDLIB_H
#define __WASIBUILD_STDLIB_H
#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || \
    defined(_BSD_SOURCE)
int mkstemp(char *);
int mkostemp(char *, int);
char *mkdtemp(char *);
#endif

/* GNU's qsort_r (support/sort.c), which Debian 12's wasi-libc lacks and
 * newer ones declare without defining. */
#if defined(_GNU_SOURCE)
void qsort_r(void *, size_t, size_t, int (*)(const void *, const void *, void *), void *);
#endif

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
char *mktemp(char *);
int mkstemps(char *, int);
int mkostemps(char *, int, int);
#endif

#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#ifndef mkstemp64
#define mkstemp64 mkstemp
#define mkostemp64 mkostemp
#endif
#endif

#ifdef __cplusplus
}
#endif
#endif
