/* wasibuild's POSIX gap layer (docs/posix.md): declares getpagesize, which
 * libwasibuild-support.a defines and older wasi-libc's <unistd.h> hides. */
#include_next <unistd.h>

#ifndef __WASIBUILD_UNISTD_H
#define __WASIBUILD_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int getpagesize(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
