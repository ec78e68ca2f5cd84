/* wasibuild's POSIX gap layer (docs/posix.md): declares getpagesize, which
 * libwasibuild-support.a defines and older wasi-libc's <unistd.h> hides, the
 * chown family (support/owners.c) and dup, dup2, dup3, pipe, pipe2
 * (support/descriptors.c, over wasibuild's runner), which every wasi-libc
 * hides. */
#include_next <unistd.h>

#ifndef __WASIBUILD_UNISTD_H
#define __WASIBUILD_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int getpagesize(void);
#endif

/* Over the runner's preview-1 imports: not for WASI 0.2 components. */
#ifndef __wasip2__
int dup(int);
int dup2(int, int);
int pipe(int[2]);
#ifdef _GNU_SOURCE
int dup3(int, int, int);
int pipe2(int[2], int);
#endif
#endif

int chown(const char *, uid_t, gid_t);
int fchown(int, uid_t, gid_t);
int lchown(const char *, uid_t, gid_t);
int fchownat(int, const char *, uid_t, gid_t, int);

#ifdef __cplusplus
}
#endif
#endif
