/* <setjmp.h> for WASI sysroots that have none (Debian's wasi-libc 2022).
 *
 * Provided by wasibuild (cmake-modules/support/setjmp): clang lowers each call to setjmp
 * and longjmp (compiled with -mllvm -wasm-enable-sjlj) into wasm exception
 * handling plus calls to the runtime in wasibuild_setjmp.c. See
 * docs/setjmp.md. */
#ifndef _SETJMP_H
#define _SETJMP_H

#ifndef __wasm_exception_handling__
#error "setjmp/longjmp need wasm exception handling: compile with -mllvm -wasm-enable-sjlj (wasibuild's toolchain file does when WASIBUILD_SETJMP is on)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* The shape of wasi-libc's (musl's) jmp_buf, so its size and alignment are
 * what code built against wasi-libc's own header expects. */
typedef struct __jmp_buf_tag {
  unsigned long __jb[8];
  unsigned long __fl;
  unsigned long __ss[128 / sizeof(long)];
} jmp_buf[1];
typedef jmp_buf sigjmp_buf;

/* clang recognises only calls to functions named exactly `setjmp` and
 * `longjmp`, so the other spellings are macros onto them. The signal mask is
 * not saved: WASI has no signals. */
int setjmp(jmp_buf __env) __attribute__((__returns_twice__));
/* The C standard makes setjmp a macro. Configure checks such as CMake's
 * check_symbol_exists then see it without taking its address, which the
 * lowering cannot handle (as in musl). */
#define setjmp setjmp
__attribute__((__noreturn__)) void longjmp(jmp_buf __env, int __value);
#define _setjmp(env) setjmp(env)
#define _longjmp(env, value) longjmp(env, value)
#define sigsetjmp(env, savemask) setjmp(env)
#define siglongjmp(env, value) longjmp(env, value)

#ifdef __cplusplus
}
#endif

#endif
