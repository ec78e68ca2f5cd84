/* fib: naive doubly-recursive Fibonacci (call overhead, branches).
 * Usage: fib [N]   Prints fib(N) as the checksum. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long long fib(int n) { return n < 2 ? (unsigned long long)n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 30;
    printf("checksum %llu\n", fib(n));
    return 0;
}
