/* wasibuild's <setjmp.h> for the native setjmp mode (docs/setjmp.md): the
 * toolchain's own header, plus sigsetjmp and siglongjmp. wasi-libc declares
 * them but defines neither, and clang lowers only setjmp, _setjmp, longjmp
 * and _longjmp into exception handling. WASI has no signal masks to save,
 * so they are setjmp and longjmp, as in wasibuild's lowered-mode header.
 * The macros come after the declarations, which stay as they are. */
#include_next <setjmp.h>

#ifndef sigsetjmp
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp(env, value) longjmp(env, value)
#endif
