/* wasibuild's POSIX gap layer (docs/posix.md): declares chmod, fchmod and
 * fchmodat (support/modes.c), which Debian 12's wasi-libc hides and newer
 * ones declare the same way, and umask(), which every wasi-libc hides. */
#include_next <sys/stat.h>

#ifndef __WASIBUILD_SYS_STAT_H
#define __WASIBUILD_SYS_STAT_H
#ifdef __cplusplus
extern "C" {
#endif

int chmod(const char *, mode_t);
int fchmod(int, mode_t);
int fchmodat(int, const char *, mode_t, int);
mode_t umask(mode_t);

#ifdef __cplusplus
}
#endif
#endif
