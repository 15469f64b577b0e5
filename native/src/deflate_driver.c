/*
 * A command-line driver of strata-deflate, for tests and measurements only (not shipped):
 * reads all of stdin and writes one gzip member in the blocked-deflate-3 framing (128 KiB
 * blocks, the previous block's last 32 KiB as dictionary; docs/reproducibility.md §2) to
 * stdout. src/tar/pinned-gzip.test.ts compiles it with -fsanitize=address,undefined and
 * checks that its bytes equal the addon's.
 *
 *   cc -O2 -o deflate_driver deflate_driver.c deflate.c && deflate_driver < in > out.gz
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

static int write_all(const uint8_t *p, size_t n) { return fwrite(p, 1, n, stdout) == n ? 0 : -1; }

int main(void) {
  size_t cap = 1u << 20, len = 0;
  uint8_t *in = (uint8_t *)malloc(cap);
  if (!in) return 2;
  for (;;) {
    if (len == cap) {
      cap *= 2;
      uint8_t *bigger = (uint8_t *)realloc(in, cap);
      if (!bigger) return 2;
      in = bigger;
    }
    size_t got = fread(in + len, 1, cap - len, stdin);
    if (got == 0) break;
    len += got;
  }
  sdef_state *s = sdef_new();
  uint8_t *out = (uint8_t *)malloc(sdef_bound(SDEF_MAX_BLOCK));
  if (!s || !out) return 2;
  static const uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
  if (write_all(header, sizeof header)) return 1;
  size_t off = 0;
  do {
    size_t n = len - off < SDEF_MAX_BLOCK ? len - off : SDEF_MAX_BLOCK;
    int last = off + n == len;
    const uint8_t *dict = off ? in + off - SDEF_MAX_DICT : NULL;
    size_t got = sdef_compress(s, dict, off ? SDEF_MAX_DICT : 0, in + off, n, last, out, sdef_bound(SDEF_MAX_BLOCK));
    if (got == 0 || write_all(out, got)) return 1;
    off += n;
  } while (off < len);
  uint32_t crc = sdef_crc32(0, in, len);
  uint8_t trailer[8];
  for (int i = 0; i < 4; i++) {
    trailer[i] = (uint8_t)(crc >> (8 * i));
    trailer[4 + i] = (uint8_t)((uint32_t)len >> (8 * i));
  }
  if (write_all(trailer, sizeof trailer)) return 1;
  sdef_free(s);
  free(out);
  free(in);
  return fflush(stdout) == 0 ? 0 : 1;
}
