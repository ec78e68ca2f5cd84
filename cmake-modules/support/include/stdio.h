/* wasibuild's POSIX gap layer (docs/posix.md): declares the temp-file
 * functions libwasibuild-support.a defines, which wasi-libc's <stdio.h>
 * hides or marks "not defined on WASI". The toolchain file puts this
 * directory first on the include path only when it links that library. */
/* wasi-libc declares tmpnam and tmpfile deprecated; a later declaration
 * cannot drop the attribute, so its own take other names here. */
#define tmpnam __wasilibc_declared_tmpnam
#define tmpfile __wasilibc_declared_tmpfile
#include_next <stdio.h>
#undef tmpnam
#undef tmpfile

#ifndef __WASIBUILD_STDIO_H
#define __WASIBUILD_STDIO_H
#ifdef __cplusplus
extern "C" {
#endif

#ifndef TMP_MAX
#define TMP_MAX 10000
#endif
#ifndef L_tmpnam
#define L_tmpnam 20
#endif
char *tmpnam(char *);
FILE *tmpfile(void);

#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
#ifndef P_tmpdir
#define P_tmpdir "/tmp"
#endif
char *tempnam(const char *, const char *);
#endif

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
char *tmpnam_r(char *);
#endif

#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#ifndef tmpfile64
#define tmpfile64 tmpfile
#endif
#endif

#ifdef __cplusplus
}
#endif
#endif
