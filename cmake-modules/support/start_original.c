// The same as support/start.c for the entry point of Debian 12's wasi-libc,
// whose crt1 calls __original_main.
void __wasibuild_cwd_anchor(void);
int __real___original_main(void);

int __wrap___original_main(void) {
  __wasibuild_cwd_anchor();
  return __real___original_main();
}
