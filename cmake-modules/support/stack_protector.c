// -fstack-protector* support for WASI, which wasi-libc does not provide:
// the canary the compiler checks and the function it calls on a mismatch.
// Built by wasi.cmake into libwasibuild-support.a; linked only when some
// object refers to these symbols.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

uintptr_t __stack_chk_guard = 0;

// A random canary before main: a fixed one would be easy to forge. The low
// byte stays zero, as on glibc, so string overflows cannot copy it.
__attribute__((constructor)) static void wasibuild_init_stack_guard(void) {
  uintptr_t guard = 0;
  if (getentropy(&guard, sizeof guard) != 0) guard = (uintptr_t)0x5a17c0de00u;
  __stack_chk_guard = guard & ~(uintptr_t)0xff;
}

// Like glibc: report and trap (the runner prints a backtrace, exit 134).
_Noreturn void __stack_chk_fail(void) {
  fputs("*** stack smashing detected ***: terminated\n", stderr);
  abort();
}
