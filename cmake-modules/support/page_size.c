// getpagesize for WASI (docs/posix.md): older wasi-libc (Debian 12's)
// declares it in <unistd.h> but has no definition. A wasm page is 64 KiB,
// what newer wasi-libc returns too. Weak: a wasi-libc that has it wins.
#include <unistd.h>

__attribute__((weak)) int getpagesize(void) { return 65536; }
