/* hash: n bytes of xorshift-generated data (made in 64 KiB chunks) hashed
 * with byte-wise FNV-1a 64 and with a word-wise multiply/rotate mixer.
 * Checksum: fnv ^ rotl(mix, 17). */
#include "kernel.h"

#define CHUNK 65536

static inline u64 rotl(u64 x, int r) { return (x << r) | (x >> (64 - r)); }

EXPORT(run) i64 run(int n) {
    heap_reset();
    u8 *buf = heap_alloc(CHUNK);
    u64 state = 0x9E3779B97F4A7C15ull;
    u64 fnv = 0xcbf29ce484222325ull;
    u64 mix = 0x27D4EB2F165667C5ull;
    int left = n;
    while (left > 0) {
        int len = left < CHUNK ? left : CHUNK;
        for (int i = 0; i < len; i += 8) {
            u64 r = rng_next(&state);
            for (int k = 0; k < 8; k++)
                buf[i + k] = (u8)(r >> (8 * k));
        }
        for (int i = 0; i < len; i++) {
            fnv ^= buf[i];
            fnv *= 0x100000001b3ull;
        }
        int words = len / 8;
        for (int w = 0; w < words; w++) {
            u64 v = 0;
            for (int k = 0; k < 8; k++)
                v |= (u64)buf[w * 8 + k] << (8 * k);
            mix ^= v * 0xC2B2AE3D27D4EB4Full;
            mix = rotl(mix, 31) * 0x9E3779B185EBCA87ull;
        }
        for (int i = words * 8; i < len; i++)
            mix = rotl(mix ^ (buf[i] * 0x165667B19E3779F9ull), 11) * 0x9E3779B185EBCA87ull;
        left -= len;
    }
    mix ^= mix >> 33;
    mix *= 0xFF51AFD7ED558CCDull;
    mix ^= mix >> 33;
    return (i64)(fnv ^ rotl(mix, 17));
}
