/* matmul: dense double-precision matrix multiply C = A*B (N x N, i-k-j
 * loop order), repeated REPS times with B perturbed between repetitions.
 * Usage: matmul [REPS] [N]   Prints the sum of C as the checksum. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long reps = argc > 1 ? atol(argv[1]) : 1;
    long n = argc > 2 ? atol(argv[2]) : 200;
    double *a = malloc(sizeof(double) * n * n);
    double *b = malloc(sizeof(double) * n * n);
    double *c = malloc(sizeof(double) * n * n);
    if (!a || !b || !c) { fprintf(stderr, "out of memory\n"); return 1; }
    for (long i = 0; i < n * n; i++) {
        a[i] = (double)((i * 7 + 3) % 101) / 101.0;
        b[i] = (double)((i * 13 + 5) % 97) / 97.0;
    }
    double total = 0.0;
    for (long r = 0; r < reps; r++) {
        for (long i = 0; i < n * n; i++) c[i] = 0.0;
        for (long i = 0; i < n; i++)
            for (long k = 0; k < n; k++) {
                double aik = a[i * n + k];
                for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
            }
        double s = 0.0;
        for (long i = 0; i < n * n; i++) s += c[i];
        total += s;
        b[r % (n * n)] += 0.5;
    }
    printf("checksum %.6f\n", total);
    free(a); free(b); free(c);
    return 0;
}
