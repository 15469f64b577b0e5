/*
 * strata-deflate: the pinned raw-deflate encoder of strata's layers (format
 * blocked-deflate-3, encoder version 1; docs/reproducibility.md §2, ADR 0161).
 *
 * The output of sdef_compress is a pure function of (dictionary, block, last): it does
 * not depend on the platform, the compiler, the thread or anything compressed before.
 * Changing any byte it produces is a new format version.
 */
#ifndef STRATA_DEFLATE_H
#define STRATA_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#define SDEF_MAX_BLOCK (128u * 1024u)
#define SDEF_MAX_DICT (32u * 1024u)

typedef struct sdef_state sdef_state;

/* A reusable encoder state (about 1.2 MiB); NULL when out of memory. */
sdef_state *sdef_new(void);
void sdef_free(sdef_state *s);

/* An output capacity always large enough for a block of `len` input bytes. */
size_t sdef_bound(size_t len);

/*
 * Compress `block` (at most SDEF_MAX_BLOCK bytes) as raw deflate (RFC 1951), with the
 * `dict_len` bytes of `dict` (at most SDEF_MAX_DICT) as the preceding history. With
 * `last` the final deflate block has BFINAL set and the output is padded to a byte;
 * otherwise it ends with an empty non-final stored block (00 00 ff ff), byte-aligned.
 * Returns the number of bytes written to `out`, or 0 on a bad argument (the output is
 * never empty).
 */
size_t sdef_compress(sdef_state *s, const uint8_t *dict, size_t dict_len, const uint8_t *block, size_t block_len,
                     int last, uint8_t *out, size_t out_cap);

/* CRC-32 of ISO 3309 / RFC 1952 (reflected, polynomial 0xedb88320), continued from `crc`. */
uint32_t sdef_crc32(uint32_t crc, const uint8_t *data, size_t len);

#endif
