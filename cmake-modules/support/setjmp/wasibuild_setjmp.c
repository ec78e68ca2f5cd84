/* The runtime that clang 19's setjmp/longjmp lowering calls
 * (WebAssemblyLowerEmscriptenEHSjLj with -wasm-enable-sjlj), for sysroots
 * whose wasi-libc has no libsetjmp. Compile it with -mllvm -wasm-enable-sjlj
 * too: that makes clang (up to 21) define the __c_longjmp tag that longjmp
 * throws; clang 22 no longer does, so this file defines it there (below).
 *
 * How the lowering works: a function that calls setjmp gets a unique
 * invocation id (the address of a stack slot) and numbers its setjmp call
 * sites from 1. setjmp records (id, label) in the jmp_buf. longjmp throws
 * the wasm exception tagged __c_longjmp with a pointer to {env, value}.
 * Every call in a setjmp-calling function is wrapped in a catch for that
 * tag; the catch asks __wasm_setjmp_test whether the jmp_buf belongs to this
 * invocation and, if so, branches to the label's continuation with value,
 * or else rethrows to outer frames. */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

/* What this runtime keeps in a jmp_buf. The thrown payload lives in the
 * jmp_buf itself, so no global or thread-local state is needed. */
struct wasibuild_jmp_buf {
  void* invocation;  /* the frame of the setjmp-calling function */
  uintptr_t label;   /* which setjmp call site in that frame (never 0) */
  struct {
    void* env;
    int value;
  } thrown;          /* read by the catching frame: the ABI's payload */
};
_Static_assert(sizeof(jmp_buf) >= sizeof(struct wasibuild_jmp_buf), "jmp_buf too small");
_Static_assert(_Alignof(jmp_buf) >= _Alignof(struct wasibuild_jmp_buf), "jmp_buf misaligned");

void __wasm_setjmp(void* env, uintptr_t label, void* invocation);
uintptr_t __wasm_setjmp_test(void* env, void* invocation);
__attribute__((__noreturn__)) void __wasm_longjmp(void* env, int value);

/* Tag index 1 of __builtin_wasm_throw is the C longjmp tag, __c_longjmp. */
enum { c_longjmp_tag = 1 };

void __wasm_setjmp(void* env, uintptr_t label, void* invocation) {
  struct wasibuild_jmp_buf* buf = env;
  /* Label 0 means "not mine" in __wasm_setjmp_test; a null id could match
   * an uninitialised buffer. Either is a compiler/runtime mismatch. */
  if (label == 0 || invocation == NULL) __builtin_trap();
  buf->invocation = invocation;
  buf->label = label;
}

uintptr_t __wasm_setjmp_test(void* env, void* invocation) {
  const struct wasibuild_jmp_buf* buf = env;
  if (buf->label == 0 || invocation == NULL) __builtin_trap();  /* longjmp to a jmp_buf never set */
  return buf->invocation == invocation ? buf->label : 0;
}

void __wasm_longjmp(void* env, int value) {
  struct wasibuild_jmp_buf* buf = env;
  buf->thrown.env = env;
  buf->thrown.value = value == 0 ? 1 : value;  /* C11 7.13.2.1: setjmp never returns 0 from a longjmp */
  __builtin_wasm_throw(c_longjmp_tag, &buf->thrown);
}

/* For translation units compiled without -wasm-enable-sjlj, and for longjmp
 * taken by address: clang rewrites direct calls, these reach the same code. */
void longjmp(jmp_buf env, int value) { __wasm_longjmp(env, value); }

/* LLVM 22 stopped emitting a weak definition of the tag in every object
 * that throws or catches it; wasi-libc's rt.c defines it since then, and so
 * does this runtime. Earlier clang still defines it, and a second
 * definition here would clash. */
#if __clang_major__ >= 22
__asm__(".globl __c_longjmp\n"
        ".tagtype __c_longjmp i32\n"
        "__c_longjmp:\n");
#endif
