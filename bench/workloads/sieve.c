/* sieve: Sieve of Eratosthenes (byte array, memory-bound inner loops),
 * counting primes below LIMIT, repeated REPS times.
 * Usage: sieve [REPS] [LIMIT]   Prints the accumulated count as the checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long reps = argc > 1 ? atol(argv[1]) : 1;
    long limit = argc > 2 ? atol(argv[2]) : 10000000;
    unsigned char *composite = malloc((size_t)limit + 1);
    if (!composite) { fprintf(stderr, "out of memory\n"); return 1; }
    unsigned long long acc = 0;
    for (long r = 0; r < reps; r++) {
        long n = limit - (r & 7); /* vary the bound so iterations differ */
        memset(composite, 0, (size_t)n + 1);
        long count = 0;
        for (long i = 2; i <= n; i++) {
            if (composite[i]) continue;
            count++;
            if (i > n / i) continue; /* i*i would pass n (and overflow a 32-bit long) */
            for (long j = i * i; j <= n; j += i) composite[j] = 1;
        }
        acc = acc * 1000003ull + (unsigned long long)count;
    }
    printf("checksum %llu\n", acc);
    free(composite);
    return 0;
}
