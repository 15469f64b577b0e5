/*
 * strata's own zstd block encoder (RFC 8878) and XXH64; pure C, no Node headers.
 * See zstd_encode.c and docs/reproducibility.md §2b for the exact rules.
 */
#ifndef STRATA_ZSTD_ENCODE_H
#define STRATA_ZSTD_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Largest block this encoder takes (RFC 8878 Block_Maximum_Size). */
#define ZS_BLOCK_MAX 131072u

/* Worst-case output size of zs_encode_blocks for n bytes (raw blocks). */
#define ZS_BOUND_BLOCKS(n) ((size_t)(n) + 3u * (((size_t)(n) + ZS_BLOCK_MAX - 1) / ZS_BLOCK_MAX + 1))

/*
 * Encode `data` (n bytes) as consecutive blocks of ZS_BLOCK_MAX bytes (the last holds the
 * rest; n == 0 gives one empty Raw block) into `out` (capacity ZS_BOUND_BLOCKS(n)); each
 * zstd block is a 3-byte block header and its content. Each block's history is the at
 * most `hist_size` bytes before it in hist ‖ data; matches reach at most `max_offset`
 * bytes back. A block's bytes are a pure function of (its history, the block,
 * max_offset, whether it is the last), so any grouping of blocks into calls gives the
 * same bytes. `last` marks the final block. Returns the bytes written, 0 on allocation
 * failure.
 */
size_t zs_encode_blocks(const uint8_t *hist, size_t hn, const uint8_t *data, size_t n,
                        uint32_t max_offset, size_t hist_size, int last, uint8_t *out);

/* XXH64 streaming state (seed 0). */
typedef struct {
  uint64_t total;
  uint64_t v[4];
  uint8_t mem[32];
  uint32_t memsize;
} zs_xxh64_state;

void zs_xxh64_init(zs_xxh64_state *s);
void zs_xxh64_update(zs_xxh64_state *s, const uint8_t *p, size_t n);
uint64_t zs_xxh64_digest(const zs_xxh64_state *s);

#endif
