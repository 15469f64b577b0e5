/*
 * strata-deflate, encoder version 1 (format blocked-deflate-3): a raw-deflate (RFC 1951)
 * encoder written for strata. Its bytes define the layer format, so everything that
 * decides them is explicit and portable C99:
 *   - bytes are loaded by explicit little-endian assembly (or memcpy where only equality
 *     or the index of the first differing byte matters, which does not depend on
 *     endianness once handled below);
 *   - no pointer values, uninitialised memory or platform sizes reach a decision;
 *   - Huffman construction breaks every tie by symbol number (docs/reproducibility.md).
 *
 * Algorithm (prose in docs/reproducibility.md §2):
 *   1. history = dictionary ‖ block in one buffer, positions are 32-bit indices into it;
 *      every dictionary position is inserted into the hash chains first.
 *   2. greedy parse with one-step lazy evaluation over hash chains of 4-byte prefixes
 *      (chain 128, nice 128, lazy 16, good 8, minimum match 4, window 32768);
 *   3. the symbols of the block are cut greedily into deflate blocks at multiples of
 *      4096 symbols where two blocks cost less than one; each deflate block is written
 *      as dynamic, fixed or stored, whichever has the smallest exact size in bits (ties:
 *      fixed over dynamic, either over stored);
 *   4. then the final bit pad, or the empty stored block of a sync flush.
 */
#include "deflate.h"

#include <stdlib.h>
#include <string.h>

/* ---- parameters of encoder version 1: changing any changes output bytes ---- */
#define WSIZE 32768u         /* deflate window */
#define WMASK (WSIZE - 1u)
#define HASH_BITS 15u
#define HASH_SIZE (1u << HASH_BITS)
#define MIN_MATCH 4u         /* shortest match the parser looks for */
#define MAX_MATCH 258u
#define MAX_CHAIN 128u       /* candidates examined per position */
#define NICE_LEN 128u        /* stop searching at a match this long */
#define LAZY_LEN 16u         /* no lazy evaluation after a match this long */
#define GOOD_LEN 8u          /* lazy search examines MAX_CHAIN/4 after a match this long */
#define SPLIT_CHUNK 4096u   /* deflate blocks are cut only at multiples of this many symbols */

/* Hash-chain entries store position + POS_BIAS so that 0 means "none" and is never in
 * the window: the window of position p is [p + POS_BIAS - WSIZE, p + POS_BIAS). */
#define POS_BIAS (WSIZE + 1u)
#define PAD 16u /* zero bytes after the data: word compares may read past the end */

#define LITLEN_SYMS 286u
#define LITLEN_CODES 288u /* the fixed code has 288 lengths (286 and 287 never occur) */
#define DIST_SYMS 30u
#define PRE_SYMS 19u

struct sdef_state {
  uint32_t head[HASH_SIZE];
  uint32_t prev[WSIZE];
  uint8_t win[SDEF_MAX_DICT + SDEF_MAX_BLOCK + PAD];
  uint32_t syms[SDEF_MAX_BLOCK + 1u];
  uint8_t len_sym[256];   /* (length - 3) -> litlen symbol - 257 */
  uint8_t fixed_ll[LITLEN_CODES]; /* lengths of the fixed codes (RFC 1951 §3.2.6) */
  uint8_t fixed_d[DIST_SYMS];
};

/* RFC 1951 §3.2.5 */
static const uint16_t LEN_BASE[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t LEN_EXTRA[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t DIST_BASE[30] = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,   33,   49,   65,    97,    129,
                                       193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t DIST_EXTRA[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const uint8_t PRE_ORDER[PRE_SYMS] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* ---------------------------------------------------------------- byte access */

static inline uint32_t load32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint32_t hash4(const uint8_t *p) {
  return (uint32_t)(load32le(p) * 0x9E3779B1u) >> (32u - HASH_BITS);
}

/* Number of equal leading bytes of a and b, from `start`, at most `max` (start <= max).
 * Reads up to 7 bytes beyond a[max] and b[max]; the result does not depend on them. */
static inline uint32_t match_len(const uint8_t *a, const uint8_t *b, uint32_t start, uint32_t max) {
  uint32_t n = start;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
  while (n < max) {
    uint64_t x, y;
    memcpy(&x, a + n, 8);
    memcpy(&y, b + n, 8);
    uint64_t d = x ^ y;
    if (d != 0) {
      n += (uint32_t)__builtin_ctzll(d) >> 3;
      return n < max ? n : max;
    }
    n += 8;
  }
  return max;
#else
  while (n < max && a[n] == b[n]) n++;
  return n;
#endif
}

static inline unsigned floor_log2(uint32_t v) { /* v > 0 */
#if defined(__GNUC__)
  return 31u - (unsigned)__builtin_clz(v);
#else
  unsigned r = 0;
  while (v >>= 1) r++;
  return r;
#endif
}

static inline unsigned dist_code(uint32_t dist) { /* 1..32768 */
  uint32_t d = dist - 1u;
  if (d < 4u) return d;
  unsigned b = floor_log2(d);
  return 2u * b + ((d >> (b - 1u)) & 1u);
}

static inline uint32_t reverse_bits(uint32_t code, unsigned len) {
  uint32_t r = 0;
  for (unsigned i = 0; i < len; i++) {
    r = (r << 1) | (code & 1u);
    code >>= 1;
  }
  return r;
}

/* ---------------------------------------------------------------- bit writer */

typedef struct {
  uint8_t *out;
  size_t pos;
  uint64_t bb; /* pending bits, LSB first */
  unsigned bc; /* number of pending bits, < 32 between calls */
} bitw;

static inline void put_bits(bitw *w, uint32_t bits, unsigned n) { /* n <= 32 */
  w->bb |= (uint64_t)bits << w->bc;
  w->bc += n;
  if (w->bc >= 32u) {
    uint8_t *o = w->out + w->pos;
    o[0] = (uint8_t)w->bb;
    o[1] = (uint8_t)(w->bb >> 8);
    o[2] = (uint8_t)(w->bb >> 16);
    o[3] = (uint8_t)(w->bb >> 24);
    w->pos += 4;
    w->bb >>= 32;
    w->bc -= 32u;
  }
}

/* Write out whole pending bytes and pad the last partial byte with zero bits. */
static void align_byte(bitw *w) {
  while (w->bc > 0) {
    w->out[w->pos++] = (uint8_t)w->bb;
    w->bb >>= 8;
    w->bc = w->bc >= 8u ? w->bc - 8u : 0u;
  }
  w->bb = 0;
}

/* ---------------------------------------------------------------- Huffman codes */

typedef struct {
  uint8_t len[LITLEN_CODES];
  uint32_t code[LITLEN_CODES]; /* bit-reversed, ready for put_bits */
} hcode;

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/*
 * Code lengths (at most maxbits) for the n symbols with frequencies freq. Defined tie
 * rules: leaves are ordered by (frequency, symbol); the two-queue Huffman merge takes a
 * leaf before an internal node of equal weight; lengths over maxbits are clamped and the
 * Kraft sum restored by moving one leaf at a time from the deepest length below maxbits one
 * level down (while over-full) or from the deepest length one level up (while under-full);
 * the final lengths go to the leaves in (frequency, symbol) order, longest first. At least
 * two symbols always get a code (symbols 0 and 1 fill in), so every code is complete.
 */
static void huff_lengths(const uint32_t *freq, unsigned n, unsigned maxbits, uint8_t *lens) {
  uint32_t key[LITLEN_SYMS];
  uint32_t nodew[LITLEN_SYMS];
  uint16_t leafpar[LITLEN_SYMS], nodepar[LITLEN_SYMS];
  uint8_t depth[LITLEN_SYMS];
  unsigned count[64];
  unsigned m = 0;
  for (unsigned i = 0; i < n; i++) {
    lens[i] = 0;
    if (freq[i] != 0) key[m++] = (freq[i] << 9) | i;
  }
  if (m < 2) {
    unsigned used = m == 1 ? (key[0] & 511u) : 0u;
    lens[used] = 1;
    lens[used == 0 ? 1 : 0] = 1;
    return;
  }
  qsort(key, m, sizeof key[0], cmp_u32);
  unsigned li = 0, ni = 0, nn = 0;
  for (unsigned k = 0; k + 1 < m; k++) {
    uint32_t w = 0;
    for (int pick = 0; pick < 2; pick++) {
      if (li < m && (ni >= nn || (key[li] >> 9) <= nodew[ni])) {
        w += key[li] >> 9;
        leafpar[li++] = (uint16_t)nn;
      } else {
        w += nodew[ni];
        nodepar[ni++] = (uint16_t)nn;
      }
    }
    nodew[nn++] = w;
  }
  depth[nn - 1] = 0;
  for (unsigned j = nn - 1; j-- > 0;) {
    unsigned d = depth[nodepar[j]] + 1u;
    depth[j] = (uint8_t)(d > 63u ? 63u : d);
  }
  for (unsigned l = 0; l <= maxbits; l++) count[l] = 0;
  for (unsigned i = 0; i < m; i++) {
    unsigned d = depth[leafpar[i]] + 1u;
    count[d > maxbits ? maxbits : d]++;
  }
  const uint32_t target = 1u << maxbits;
  uint32_t kraft = 0;
  for (unsigned l = 1; l <= maxbits; l++) kraft += count[l] << (maxbits - l);
  while (kraft > target) {
    unsigned d = maxbits - 1u;
    while (count[d] == 0) d--;
    count[d]--;
    count[d + 1u]++;
    kraft -= 1u << (maxbits - d - 1u);
  }
  while (kraft < target) {
    unsigned d = maxbits;
    while (count[d] == 0) d--;
    count[d]--;
    count[d - 1u]++;
    kraft += 1u << (maxbits - d);
  }
  unsigned i = 0;
  for (unsigned l = maxbits; l >= 1u; l--)
    for (unsigned c = 0; c < count[l]; c++) lens[key[i++] & 511u] = (uint8_t)l;
}

/* Canonical codes (RFC 1951 §3.2.2) from lengths, bit-reversed. */
static void huff_codes(const uint8_t *lens, unsigned n, uint32_t *codes) {
  unsigned count[16] = {0};
  uint32_t next[16];
  for (unsigned i = 0; i < n; i++) count[lens[i]]++;
  count[0] = 0;
  uint32_t code = 0;
  for (unsigned l = 1; l < 16; l++) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  for (unsigned i = 0; i < n; i++) codes[i] = lens[i] ? reverse_bits(next[lens[i]]++, lens[i]) : 0u;
}

/* ---------------------------------------------------------------- block writer */

typedef struct {
  uint32_t lf[LITLEN_SYMS];
  uint32_t df[DIST_SYMS];
  uint64_t extra_bits;
  /* dynamic header */
  uint8_t ll_len[LITLEN_SYMS];
  uint8_t d_len[DIST_SYMS];
  unsigned hlit, hdist, hclen;
  uint8_t rle_sym[LITLEN_SYMS + DIST_SYMS];
  uint8_t rle_extra[LITLEN_SYMS + DIST_SYMS];
  unsigned rle_n;
  uint32_t pf[PRE_SYMS];
  uint8_t pre_len[PRE_SYMS];
  uint64_t dyn_bits; /* exact size of the dynamic block (set by plan_dynamic) */
} blockplan;

static void count_symbols(const sdef_state *s, const uint32_t *syms, size_t n, blockplan *bp) {
  memset(bp->lf, 0, sizeof bp->lf);
  memset(bp->df, 0, sizeof bp->df);
  uint64_t extra = 0;
  for (size_t i = 0; i < n; i++) {
    uint32_t v = syms[i];
    if (v < 256u) {
      bp->lf[v]++;
    } else {
      unsigned ls = s->len_sym[v & 255u];
      unsigned dc = dist_code(v >> 8);
      bp->lf[257u + ls]++;
      bp->df[dc]++;
      extra += (uint64_t)LEN_EXTRA[ls] + DIST_EXTRA[dc];
    }
  }
  bp->lf[256] = 1;
  bp->extra_bits = extra;
}

/* Run-length code the concatenated litlen and distance code lengths (RFC 1951 §3.2.7). */
static void rle_lengths(blockplan *bp) {
  uint8_t all[LITLEN_SYMS + DIST_SYMS];
  unsigned n = bp->hlit + bp->hdist;
  memcpy(all, bp->ll_len, bp->hlit);
  memcpy(all + bp->hlit, bp->d_len, bp->hdist);
  unsigned k = 0, i = 0;
  memset(bp->pf, 0, sizeof bp->pf);
#define EMIT(sym, ex)                   \
  do {                                  \
    bp->rle_sym[k] = (uint8_t)(sym);    \
    bp->rle_extra[k] = (uint8_t)(ex);   \
    bp->pf[sym]++;                      \
    k++;                                \
  } while (0)
  while (i < n) {
    uint8_t v = all[i];
    unsigned run = 1;
    while (i + run < n && all[i + run] == v) run++;
    i += run;
    if (v == 0) {
      while (run >= 11u) {
        unsigned r = run < 138u ? run : 138u;
        EMIT(18u, r - 11u);
        run -= r;
      }
      if (run >= 3u) {
        EMIT(17u, run - 3u);
        run = 0;
      }
      while (run > 0) {
        EMIT(0u, 0u);
        run--;
      }
    } else {
      EMIT(v, 0u);
      run--;
      while (run >= 3u) {
        unsigned r = run < 6u ? run : 6u;
        EMIT(16u, r - 3u);
        run -= r;
      }
      while (run > 0) {
        EMIT(v, 0u);
        run--;
      }
    }
  }
#undef EMIT
  bp->rle_n = k;
}

static uint64_t data_bits(const blockplan *bp, const uint8_t *ll, const uint8_t *dl) {
  uint64_t bits = bp->extra_bits;
  for (unsigned i = 0; i < LITLEN_SYMS; i++) bits += (uint64_t)bp->lf[i] * ll[i];
  for (unsigned i = 0; i < DIST_SYMS; i++) bits += (uint64_t)bp->df[i] * dl[i];
  return bits;
}

static void fixed_lengths(uint8_t *ll, uint8_t *dl) {
  for (unsigned i = 0; i < LITLEN_CODES; i++) ll[i] = i < 144u ? 8u : i < 256u ? 9u : i < 280u ? 7u : 8u;
  for (unsigned i = 0; i < DIST_SYMS; i++) dl[i] = 5u;
}

/* Exact size in bits of stored blocks holding len bytes, starting at bit offset bc. */
static uint64_t stored_bits(unsigned bc, size_t len) {
  uint64_t bits = 0;
  unsigned pos = bc & 7u;
  size_t left = len;
  do {
    size_t piece = left < 65535u ? left : 65535u;
    unsigned after_header = (pos + 3u) & 7u;
    bits += 3u + (after_header ? 8u - after_header : 0u) + 32u + 8u * (uint64_t)piece;
    pos = 0;
    left -= piece;
  } while (left > 0);
  return bits;
}

static void write_stored(bitw *w, const uint8_t *raw, size_t len, int final) {
  size_t left = len;
  do {
    size_t piece = left < 65535u ? left : 65535u;
    left -= piece;
    put_bits(w, (final && left == 0) ? 1u : 0u, 3);
    align_byte(w);
    uint8_t *o = w->out + w->pos;
    o[0] = (uint8_t)piece;
    o[1] = (uint8_t)(piece >> 8);
    o[2] = (uint8_t)~piece;
    o[3] = (uint8_t)(~piece >> 8);
    w->pos += 4;
    if (piece) memcpy(w->out + w->pos, raw, piece);
    w->pos += piece;
    raw += piece;
  } while (left > 0);
}

static void write_symbols(const sdef_state *s, bitw *w, const uint32_t *syms, size_t n, const uint8_t *ll_len,
                          const uint32_t *ll_code, const uint8_t *d_len, const uint32_t *d_code) {
  for (size_t i = 0; i < n; i++) {
    uint32_t v = syms[i];
    if (v < 256u) {
      put_bits(w, ll_code[v], ll_len[v]);
    } else {
      unsigned l3 = v & 255u;
      unsigned ls = s->len_sym[l3];
      unsigned sym = 257u + ls;
      put_bits(w, ll_code[sym] | ((uint32_t)(l3 + 3u - LEN_BASE[ls]) << ll_len[sym]), ll_len[sym] + LEN_EXTRA[ls]);
      uint32_t dist = v >> 8;
      unsigned dc = dist_code(dist);
      put_bits(w, d_code[dc] | ((dist - DIST_BASE[dc]) << d_len[dc]), d_len[dc] + DIST_EXTRA[dc]);
    }
  }
  put_bits(w, ll_code[256], ll_len[256]);
}

/* Code lengths, header and exact size in bits (bp->dyn_bits) of the dynamic-Huffman
 * block for the frequencies counted in bp. */
static void plan_dynamic(blockplan *bp) {
  huff_lengths(bp->lf, LITLEN_SYMS, 15, bp->ll_len);
  huff_lengths(bp->df, DIST_SYMS, 15, bp->d_len);
  bp->hlit = LITLEN_SYMS;
  while (bp->hlit > 257u && bp->ll_len[bp->hlit - 1u] == 0) bp->hlit--;
  bp->hdist = DIST_SYMS;
  while (bp->hdist > 1u && bp->d_len[bp->hdist - 1u] == 0) bp->hdist--;
  rle_lengths(bp);
  huff_lengths(bp->pf, PRE_SYMS, 7, bp->pre_len);
  bp->hclen = PRE_SYMS;
  while (bp->hclen > 4u && bp->pre_len[PRE_ORDER[bp->hclen - 1u]] == 0) bp->hclen--;
  uint64_t dyn = 3u + 5u + 5u + 4u + 3u * (uint64_t)bp->hclen;
  for (unsigned k = 0; k < bp->rle_n; k++) {
    unsigned sym = bp->rle_sym[k];
    dyn += bp->pre_len[sym] + (sym == 16u ? 2u : sym == 17u ? 3u : sym == 18u ? 7u : 0u);
  }
  bp->dyn_bits = dyn + data_bits(bp, bp->ll_len, bp->d_len);
}

/* One deflate block: the symbols syms[0..n) which encode raw[0..raw_len), counted and
 * planned in bp (count_symbols, plan_dynamic). */
static void write_block(const sdef_state *s, bitw *w, const blockplan *bp, const uint32_t *syms, size_t n, const uint8_t *raw,
                        size_t raw_len, int final) {
  hcode ll, dd;
  uint64_t dyn = bp->dyn_bits;
  uint64_t fix = 3u + data_bits(bp, s->fixed_ll, s->fixed_d);
  uint64_t sto = stored_bits(w->bc, raw_len);

  if (sto < fix && sto < dyn) {
    write_stored(w, raw, raw_len, final);
    return;
  }
  if (fix <= dyn) {
    put_bits(w, (final ? 1u : 0u) | (1u << 1), 3);
    memcpy(ll.len, s->fixed_ll, LITLEN_CODES);
    memcpy(dd.len, s->fixed_d, DIST_SYMS);
  } else {
    put_bits(w, (final ? 1u : 0u) | (2u << 1), 3);
    put_bits(w, bp->hlit - 257u, 5);
    put_bits(w, bp->hdist - 1u, 5);
    put_bits(w, bp->hclen - 4u, 4);
    for (unsigned k = 0; k < bp->hclen; k++) put_bits(w, bp->pre_len[PRE_ORDER[k]], 3);
    uint32_t pcode[PRE_SYMS];
    huff_codes(bp->pre_len, PRE_SYMS, pcode);
    for (unsigned k = 0; k < bp->rle_n; k++) {
      unsigned sym = bp->rle_sym[k];
      put_bits(w, pcode[sym], bp->pre_len[sym]);
      if (sym == 16u) put_bits(w, bp->rle_extra[k], 2);
      else if (sym == 17u) put_bits(w, bp->rle_extra[k], 3);
      else if (sym == 18u) put_bits(w, bp->rle_extra[k], 7);
    }
    memcpy(ll.len, bp->ll_len, LITLEN_SYMS);
    ll.len[286] = ll.len[287] = 0;
    memcpy(dd.len, bp->d_len, DIST_SYMS);
  }
  huff_codes(ll.len, LITLEN_CODES, ll.code);
  huff_codes(dd.len, DIST_SYMS, dd.code);
  write_symbols(s, w, syms, n, ll.len, ll.code, dd.len, dd.code);
}

/* ---------------------------------------------------------------- match finder + parse */

/*
 * Longest match for position pos (pos + MIN_MATCH <= end): walks at most `chain`
 * candidates of pos's hash chain newest first, keeps a candidate only if it is strictly
 * longer than `best` (so the nearest of equally long matches wins), stops at `nice` or
 * at the longest possible length. Then inserts pos into its chain. Returns the length
 * (0 if none beats `best`) and the distance in *dist.
 */
static inline uint32_t find_match(sdef_state *s, uint32_t pos, uint32_t end, uint32_t best, uint32_t chain,
                                  uint32_t *dist) {
  const uint8_t *w = s->win;
  const uint8_t *scan = w + pos;
  uint32_t h = hash4(scan);
  uint32_t cur = s->head[h];
  uint32_t maxlen = end - pos < MAX_MATCH ? end - pos : MAX_MATCH;
  uint32_t limit = pos + POS_BIAS - WSIZE;
  uint32_t found = 0;
  if (best >= maxlen) chain = 0;
  uint32_t first4 = load32le(scan);
  while (cur >= limit && chain-- > 0) {
    uint32_t cpos = cur - POS_BIAS;
    const uint8_t *m = w + cpos;
    if (load32le(m + best - 3u) == load32le(scan + best - 3u) && load32le(m) == first4) {
      uint32_t len = match_len(m, scan, 4u, maxlen);
      if (len > best) {
        best = len;
        found = len;
        *dist = pos - cpos;
        if (len >= NICE_LEN || len >= maxlen) break;
      }
    }
    cur = s->prev[cpos & WMASK];
  }
  s->prev[pos & WMASK] = s->head[h];
  s->head[h] = pos + POS_BIAS;
  return found;
}

static inline void insert_pos(sdef_state *s, uint32_t pos) {
  uint32_t h = hash4(s->win + pos);
  s->prev[pos & WMASK] = s->head[h];
  s->head[h] = pos + POS_BIAS;
}

/* Parse win[start..end) into symbols; returns their number. */
static size_t parse(sdef_state *s, uint32_t start, uint32_t end) {
  uint32_t *out = s->syms;
  size_t n = 0;
  const uint8_t *w = s->win;
  uint32_t pos = start;
  uint32_t next_insert = start; /* positions below it are in the chains (or too near the end) */
  while (pos < end) {
    if (end - pos < MIN_MATCH) {
      out[n++] = w[pos++];
      continue;
    }
    uint32_t dist = 0;
    uint32_t len = find_match(s, pos, end, MIN_MATCH - 1u, MAX_CHAIN, &dist);
    next_insert = pos + 1u;
    if (len == 0) {
      out[n++] = w[pos++];
      continue;
    }
    while (len < LAZY_LEN && end - (pos + 1u) >= MIN_MATCH) {
      uint32_t dist2 = 0;
      uint32_t len2 = find_match(s, pos + 1u, end, len, len >= GOOD_LEN ? MAX_CHAIN >> 2 : MAX_CHAIN, &dist2);
      next_insert = pos + 2u;
      if (len2 == 0) break;
      out[n++] = w[pos++];
      len = len2;
      dist = dist2;
    }
    out[n++] = (dist << 8) | (len - 3u);
    uint32_t stop = pos + len;
    uint32_t ins_end = end - MIN_MATCH + 1u; /* positions that have 4 bytes */
    if (ins_end > stop) ins_end = stop;
    for (uint32_t p = next_insert; p < ins_end; p++) insert_pos(s, p);
    pos = stop;
    next_insert = stop;
  }
  return n;
}

static size_t raw_bytes(const uint32_t *syms, size_t n) {
  size_t r = 0;
  for (size_t i = 0; i < n; i++) r += syms[i] < 256u ? 1u : (syms[i] & 255u) + 3u;
  return r;
}
static uint64_t block_cost(const sdef_state *s, blockplan *bp, size_t raw_len) {
  plan_dynamic(bp);
  uint64_t dyn = bp->dyn_bits;
  uint64_t fix = 3u + data_bits(bp, s->fixed_ll, s->fixed_d);
  uint64_t sto = stored_bits(0, raw_len);
  uint64_t m = dyn < fix ? dyn : fix;
  return m < sto ? m : sto;
}

/*
 * Cut the nsym symbols (encoding raw[..]) into deflate blocks and write them. Greedy, at
 * multiples of SPLIT_CHUNK symbols: the current block A grows by the next chunk B unless
 * cost(A) + cost(B) < cost(A ∪ B), in which case A is written and B starts the next block;
 * cost = the smallest of the exact dynamic, fixed and (byte-aligned) stored sizes in bits.
 */
static void write_blocks(const sdef_state *s, bitw *wp, size_t nsym, const uint8_t *raw, int last) {
  blockplan a, b, ab;
  size_t first = 0, cut = nsym < SPLIT_CHUNK ? nsym : SPLIT_CHUNK;
  count_symbols(s, s->syms, cut, &a);
  size_t raw_a = raw_bytes(s->syms, cut);
  uint64_t cost_a = block_cost(s, &a, raw_a);
  while (cut < nsym) {
    size_t next = nsym - cut < SPLIT_CHUNK ? nsym : cut + SPLIT_CHUNK;
    count_symbols(s, s->syms + cut, next - cut, &b);
    size_t raw_b = raw_bytes(s->syms + cut, next - cut);
    uint64_t cost_b = block_cost(s, &b, raw_b);
    ab = a;
    for (unsigned i = 0; i < LITLEN_SYMS; i++) ab.lf[i] += b.lf[i];
    ab.lf[256] = 1;
    for (unsigned i = 0; i < DIST_SYMS; i++) ab.df[i] += b.df[i];
    ab.extra_bits += b.extra_bits;
    uint64_t cost_ab = block_cost(s, &ab, raw_a + raw_b);
    if (cost_a + cost_b < cost_ab) {
      write_block(s, wp, &a, s->syms + first, cut - first, raw, raw_a, 0);
      raw += raw_a;
      first = cut;
      a = b;
      cost_a = cost_b;
      raw_a = raw_b;
    } else {
      a = ab;
      cost_a = cost_ab;
      raw_a += raw_b;
    }
    cut = next;
  }
  write_block(s, wp, &a, s->syms + first, nsym - first, raw, raw_a, last);
}

/* ---------------------------------------------------------------- public API */

sdef_state *sdef_new(void) {
  sdef_state *s = (sdef_state *)calloc(1, sizeof *s);
  if (!s) return NULL;
  for (unsigned ls = 0; ls < 29u; ls++) {
    unsigned lo = LEN_BASE[ls] - 3u;
    unsigned hi = ls == 28u ? 255u : (unsigned)(LEN_BASE[ls + 1u] - 3u) - 1u;
    if (ls == 27u) hi = 254u; /* length 258 is symbol 285 only */
    for (unsigned l = lo; l <= hi; l++) s->len_sym[l] = (uint8_t)ls;
  }
  fixed_lengths(s->fixed_ll, s->fixed_d);
  return s;
}

void sdef_free(sdef_state *s) { free(s); }

/* Every deflate block costs at most its stored size (5 header bytes per 65535 bytes
 * piece); there are at most len/4096 + 1 blocks, plus the sync marker and 4 bytes of
 * bit-writer slack. */
size_t sdef_bound(size_t len) { return len + (len >> 8) + 128u; }

size_t sdef_compress(sdef_state *s, const uint8_t *dict, size_t dict_len, const uint8_t *block, size_t block_len, int last,
                     uint8_t *out, size_t out_cap) {
  if (!s || dict_len > SDEF_MAX_DICT || block_len > SDEF_MAX_BLOCK || out_cap < sdef_bound(block_len)) return 0;
  if ((dict_len && !dict) || (block_len && !block) || !out) return 0;
  uint32_t start = (uint32_t)dict_len, end = (uint32_t)(dict_len + block_len);
  if (dict_len) memcpy(s->win, dict, dict_len);
  if (block_len) memcpy(s->win + dict_len, block, block_len);
  memset(s->win + end, 0, PAD);
  memset(s->head, 0, sizeof s->head);
  for (uint32_t p = 0; p < start && p + MIN_MATCH <= end; p++) insert_pos(s, p);
  size_t nsym = parse(s, start, end);

  bitw w = {out, 0, 0, 0};
  write_blocks(s, &w, nsym, s->win + start, last);
  if (last) {
    align_byte(&w);
  } else {
    put_bits(&w, 0, 3);
    align_byte(&w);
    w.out[w.pos++] = 0x00;
    w.out[w.pos++] = 0x00;
    w.out[w.pos++] = 0xff;
    w.out[w.pos++] = 0xff;
  }
  return w.pos;
}

/* CRC-32 table: entry n is the CRC of the byte n alone (polynomial 0xedb88320, reflected). */
static const uint32_t CRC_TABLE[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

uint32_t sdef_crc32(uint32_t crc, const uint8_t *data, size_t len) {
  uint32_t c = ~crc;
  for (size_t i = 0; i < len; i++) c = CRC_TABLE[(c ^ data[i]) & 0xffu] ^ (c >> 8);
  return ~c;
}
