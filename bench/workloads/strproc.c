/* strproc: JSON-ish string processing. Builds a text of records like
 * {"id":123,"name":"item123","tags":["a","b"],"price":12.5} with snprintf,
 * then tokenises it by hand ROUNDS times, hashing keys and summing integers.
 * Usage: strproc [ROUNDS]   Prints the combined hash as the checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS 4000

static char *build_text(size_t *len_out) {
    size_t cap = (size_t)RECORDS * 96 + 16, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[len++] = '[';
    for (int i = 0; i < RECORDS; i++) {
        int w = snprintf(s + len, cap - len,
                         "%s{\"id\":%d,\"name\":\"item%d\",\"tags\":[\"t%d\",\"u%d\"],\"price\":%d.%02d}",
                         i ? "," : "", i, i * 7, i % 13, i % 29, i % 500, i % 100);
        len += (size_t)w;
    }
    s[len++] = ']';
    s[len] = '\0';
    *len_out = len;
    return s;
}

/* One pass: FNV-1a over string tokens, integer sum over numbers, depth check. */
static uint64_t scan(const char *s, size_t n, uint64_t seed) {
    uint64_t h = seed ^ 1469598103934665603ull;
    int64_t numsum = 0;
    int depth = 0, maxdepth = 0;
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '"') {
            uint64_t th = 1469598103934665603ull;
            i++;
            while (i < n && s[i] != '"') {
                if (s[i] == '\\') i++;
                th = (th ^ (unsigned char)s[i]) * 1099511628211ull;
                i++;
            }
            i++;
            h = (h ^ th) * 1099511628211ull;
        } else if ((c >= '0' && c <= '9') || c == '-') {
            int neg = c == '-';
            if (neg) i++;
            int64_t v = 0;
            while (i < n && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
            if (i < n && s[i] == '.') { i++; while (i < n && s[i] >= '0' && s[i] <= '9') v += s[i++] - '0'; }
            numsum += neg ? -v : v;
        } else {
            if (c == '{' || c == '[') { if (++depth > maxdepth) maxdepth = depth; }
            else if (c == '}' || c == ']') depth--;
            i++;
        }
    }
    return h ^ (uint64_t)numsum ^ ((uint64_t)maxdepth << 56) ^ (uint64_t)depth;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 10;
    size_t len;
    char *text = build_text(&len);
    if (!text) { fprintf(stderr, "out of memory\n"); return 1; }
    uint64_t acc = 0;
    for (long r = 0; r < rounds; r++) {
        acc = scan(text, len, acc + (uint64_t)r); /* seed chains rounds together */
    }
    printf("checksum %016llx (%zu bytes)\n", (unsigned long long)acc, len);
    free(text);
    return 0;
}
