/* wasibuild: <setjmp.h> when setjmp/longjmp cannot be had (WasiSetjmp.cmake,
 * mode "off" under AUTO). Only code that includes it fails, here, with the
 * remedy; configure checks for setjmp.h answer no. docs/setjmp.md. */
#ifndef WASIBUILD_MISSING_SETJMP_H
#define WASIBUILD_MISSING_SETJMP_H
#error "setjmp/longjmp: this WASI toolchain has none and no binaryen wasm-opt with --translate-to-exnref was found; fix: run `wasibuild toolchain install binaryen` (its wasm-opt runs under node), then configure a new build directory"
/* Declarations only, so the #error above is the one message, not followed
 * by a cascade of unknown types and functions. */
typedef unsigned long long jmp_buf[32];
typedef jmp_buf sigjmp_buf;
#ifdef __cplusplus
extern "C" {
#endif
int setjmp(jmp_buf env);
__attribute__((__noreturn__)) void longjmp(jmp_buf env, int value);
#ifdef __cplusplus
}
#endif
#define _setjmp setjmp
#define _longjmp longjmp
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp longjmp
#endif
