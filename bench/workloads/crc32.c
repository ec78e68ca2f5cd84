/* crc32: integer hashing. Table-driven CRC-32 (IEEE) over a pseudo-random
 * 1 MiB buffer, ROUNDS times, each round perturbing the buffer.
 * Usage: crc32 [ROUNDS]   Prints the combined CRC as the checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define BUF_SIZE (1u << 20)

static uint32_t table[256];
static uint8_t buf[BUF_SIZE];

static void make_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 10;
    make_table();
    uint32_t x = 2463534242u; /* xorshift32 */
    for (size_t i = 0; i < BUF_SIZE; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    uint32_t acc = 0;
    for (long r = 0; r < rounds; r++) {
        uint32_t c = crc32((uint32_t)r, buf, BUF_SIZE);
        buf[c & (BUF_SIZE - 1)] ^= (uint8_t)(c >> 24);
        acc = (acc * 31u) ^ c;
    }
    printf("checksum %08x\n", acc);
    return 0;
}
