// Keeps support/cwd.c in every command module (docs/testing.md, "Paths").
//
// cwd.c replaces wasi-libc's weak __wasilibc_find_relpath_alloc and enters
// the test's working directory from a constructor. Neither is certain to be
// linked: a program that calls chdir() takes wasi-libc's chdir.o, whose weak
// definition then satisfies the symbol before cwd.c is ever looked at, and
// the linker drops a constructor whose object nothing uses, as in a program
// that calls only getcwd(). The toolchain file wraps the entry point crt1
// calls (-Wl,--wrap=__main_void, and __original_main for Debian 12's older
// wasi-libc): _start, which every command has, then refers to this object,
// which refers to cwd.c, so both are taken from the archive before libc's
// and stay. Each wrapper only passes the call on, in its own file so that
// the one a libc does not have is never linked.
void __wasibuild_cwd_anchor(void);
int __real___main_void(void);

int __wrap___main_void(void) {
  __wasibuild_cwd_anchor();
  return __real___main_void();
}
