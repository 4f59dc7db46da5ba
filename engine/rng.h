/* Counter-based random numbers: value i of stream `key` is a pure function of
 * (key, i), so dropout masks are regenerated in backward instead of stored and
 * a step is reproducible whatever the thread count. SplitMix64 finalizer. */
#ifndef PB_RNG_H
#define PB_RNG_H

#include <stdint.h>

static inline uint64_t pb_rng_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* Derive a sub-stream key (e.g. per layer and dropout site). */
static inline uint64_t pb_rng_key(uint64_t key, uint64_t site) { return pb_rng_mix(key ^ pb_rng_mix(site + 0x632BE59BD9B4E019ULL)); }
static inline uint64_t pb_rng_u64(uint64_t key, uint64_t i) { return pb_rng_mix(key + (i + 1) * 0x9E3779B97F4A7C15ULL); }
/* Uniform in [0, 1) with 24 bits. */
static inline float pb_rng_uniform(uint64_t key, uint64_t i) { return (float)(pb_rng_u64(key, i) >> 40) * (1.0f / 16777216.0f); }
/* Standard normal by Box-Muller over two counters. */
float pb_rng_normal(uint64_t key, uint64_t i);

#endif
