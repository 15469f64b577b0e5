/*
 * strata's own zstd block encoder (RFC 8878), written from the RFC. Pure C99: no global
 * state, no floating point, no reads of uninitialised memory, no dependence on byte
 * order (multi-byte values are assembled from bytes), so the output is a pure function
 * of the input on every platform. docs/reproducibility.md §2b states the rules; ADRs
 * 0166-0169 record the choices.
 *
 * One block: a hash-chain match finder over (history, block) with one step of lazy
 * evaluation → sequences → a Compressed_Block whose literals are Huffman-coded (4 streams;
 * weights direct or FSE-coded) or raw, and whose three sequence code streams each use the
 * predefined distribution, RLE, or the block's own FSE table, whichever costs fewest bits.
 * Repeat offsets are used only after three explicit offsets in the same block, so no
 * block depends on the repeat-offset state another block left, and no table is ever
 * repeated from an earlier block (Repeat_Mode is never used). Raw block when compression
 * does not pay, RLE block for a block of one byte value.
 */
#include "zstd_encode.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- match finder */

#define HASH_LOG 17
#define CHAIN_DEPTH 8
#define NICE_LENGTH 128
#define MIN_MATCH 4
/* a 4-byte match farther than this costs more than it saves */
#define FAR_MIN4 65536u

static uint32_t read32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The hash-chain bucket of a 4-byte prefix (its bytes as a little-endian word). */
static uint32_t hash_word(uint32_t v) {
  return (uint32_t)(v * 2654435761u) >> (32 - HASH_LOG);
}

static uint32_t hash4(const uint8_t *p) {
  return hash_word(read32(p));
}

/* Hash chains: head[hash] = the last position inserted with that hash, prev[p] the one before. */
typedef struct {
  const uint8_t *buf; /* history then block */
  size_t n;           /* total length */
  int32_t *head;      /* 1 << HASH_LOG, -1 = none */
  int32_t *prev;      /* n */
  int64_t last;       /* last position inserted (positions go in increasing order) */
  size_t low;         /* the current block's history starts here: older entries end a chain */
  uint32_t max_offset;
} finder;

static void insert(finder *f, size_t p) {
  if (p + MIN_MATCH > f->n || (int64_t)p <= f->last) return;
  uint32_t h = hash4(f->buf + p);
  f->prev[p] = f->head[h];
  f->head[h] = (int32_t)p;
  f->last = (int64_t)p;
}

/* insert() for every position in [from, to), faster: the 4 bytes roll in one at a time. */
static void insert_run(finder *f, size_t from, size_t to) {
  if (f->n < MIN_MATCH) return;
  if (to > f->n - MIN_MATCH + 1) to = f->n - MIN_MATCH + 1;
  if ((int64_t)from <= f->last) from = (size_t)(f->last + 1);
  if (from >= to) return;
  const uint8_t *b = f->buf;
  uint32_t v = read32(b + from);
  for (size_t p = from;;) {
    uint32_t h = hash_word(v);
    f->prev[p] = f->head[h];
    f->head[h] = (int32_t)p;
    if (++p >= to) break;
    v = (v >> 8) | ((uint32_t)b[p + 3] << 24);
  }
  f->last = (int64_t)(to - 1);
}

static size_t match_len(const uint8_t *a, const uint8_t *b, size_t limit) {
  size_t l = 0;
  while (l < limit && a[l] == b[l]) l++;
  return l;
}

/*
 * Longest match at p among the CHAIN_DEPTH most recent earlier positions with the same
 * hash, at most max_offset back; the first found wins ties. Returns its length (0 if none).
 */
static size_t find(const finder *f, size_t p, uint32_t *off) {
  if (p + MIN_MATCH > f->n) return 0;
  const uint8_t *buf = f->buf;
  size_t limit = f->n - p;
  size_t best = 0;
  uint32_t best_off = 0, here = read32(buf + p);
  int32_t c = f->head[hash4(buf + p)];
  for (int depth = 0; c >= 0 && depth < CHAIN_DEPTH; depth++) {
    size_t cand = (size_t)c;
    if (cand < f->low || cand >= p || p - cand > f->max_offset) break;
    if (buf[cand + best] == buf[p + best] && read32(buf + cand) == here) {
      size_t l = MIN_MATCH + match_len(buf + cand + MIN_MATCH, buf + p + MIN_MATCH, limit - MIN_MATCH);
      if (l > best && (l > MIN_MATCH || p - cand <= FAR_MIN4)) {
        best = l;
        best_off = (uint32_t)(p - cand);
        if (l >= NICE_LENGTH || l == limit) break;
      }
    }
    c = f->prev[cand];
  }
  *off = best_off;
  return best;
}

/* ---------------------------------------------------------------- sequences */

typedef struct {
  uint32_t ll, ml, off; /* literal length, match length, offset (bytes back) */
} seq_t;

/* Cut the block into sequences and literals (greedy with one step of lazy evaluation). */
static size_t parse(finder *f, size_t start, seq_t *seqs, uint8_t *lits, size_t *nlits) {
  const uint8_t *buf = f->buf;
  size_t ns = 0, nl = 0, anchor = start, p = start;
  while (p < f->n) {
    uint32_t off;
    size_t len = find(f, p, &off);
    if (len == 0) {
      insert(f, p);
      p++;
      continue;
    }
    /* lazy: a longer match one byte later wins */
    while (len < NICE_LENGTH && p + 1 < f->n) {
      insert(f, p);
      uint32_t off2;
      size_t len2 = find(f, p + 1, &off2);
      if (len2 <= len) break;
      p++;
      len = len2;
      off = off2;
    }
    size_t ll = p - anchor;
    memcpy(lits + nl, buf + anchor, ll);
    nl += ll;
    seqs[ns].ll = (uint32_t)ll;
    seqs[ns].ml = (uint32_t)len;
    seqs[ns].off = off;
    ns++;
    size_t end = p + len;
    /* positions inside the match (p itself may already be in from the lazy step) */
    insert_run(f, p, end);
    p = end;
    anchor = end;
  }
  size_t tail = f->n - anchor;
  memcpy(lits + nl, buf + anchor, tail);
  nl += tail;
  *nlits = nl;
  return ns;
}

/* ---------------------------------------------------------------- bit writer */

typedef struct {
  uint8_t *buf;
  size_t pos;
  uint64_t acc;
  unsigned bits;
} bitw;

static void bw_add(bitw *w, uint32_t v, unsigned nb) {
  if (nb == 0) return;
  w->acc |= (uint64_t)(v & (uint32_t)((1ull << nb) - 1)) << w->bits;
  w->bits += nb;
  while (w->bits >= 8) {
    w->buf[w->pos++] = (uint8_t)(w->acc & 0xFF);
    w->acc >>= 8;
    w->bits -= 8;
  }
}

/* Close a backward bitstream: a 1 bit, then zeros up to the byte boundary. */
static size_t bw_close(bitw *w) {
  bw_add(w, 1, 1);
  if (w->bits > 0) {
    w->buf[w->pos++] = (uint8_t)(w->acc & 0xFF);
    w->acc = 0;
    w->bits = 0;
  }
  return w->pos;
}

static unsigned highbit(uint32_t v) {
  unsigned r = 0;
  while (v >>= 1) r++;
  return r;
}

/* ---------------------------------------------------------------- FSE */

static const int16_t LL_DIST[36] = {4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2,
                                    2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1};
static const int16_t ML_DIST[53] = {1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1};
static const int16_t OF_DIST[29] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1,
                                    1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1};

#define FSE_MAX_SYMBOLS 53
#define FSE_MAX_LOG 9
#define FSE_MAX_TABLE (1 << FSE_MAX_LOG)

typedef struct {
  unsigned log, size, nsym;
  uint8_t sym[FSE_MAX_TABLE];
  uint8_t nb[FSE_MAX_TABLE];
  uint16_t base[FSE_MAX_TABLE];
  /* enc[s * size + x] = the state of symbol s whose range [base, base + 2^nb) holds x */
  uint16_t enc[FSE_MAX_SYMBOLS * FSE_MAX_TABLE];
  uint16_t first[FSE_MAX_SYMBOLS]; /* lowest state of each symbol */
} fse_table;

/*
 * The decoding table of RFC 8878 §4.1.1 for a distribution (counts summing to 2^log,
 * -1 = "less than 1"), and its inverse for encoding. log 0 with one symbol of count 1 is
 * the RLE table: every state transition costs 0 bits.
 */
static void fse_build(fse_table *t, const int16_t *dist, unsigned nsym, unsigned log) {
  unsigned size = 1u << log, high = size - 1, mask = size - 1;
  unsigned step = (size >> 1) + (size >> 3) + 3, pos = 0;
  uint16_t next[FSE_MAX_SYMBOLS];
  t->log = log;
  t->size = size;
  t->nsym = nsym;
  for (unsigned s = 0; s < nsym; s++) {
    if (dist[s] == -1) {
      t->sym[high--] = (uint8_t)s;
      next[s] = 1;
    } else {
      next[s] = (uint16_t)dist[s];
    }
  }
  for (unsigned s = 0; s < nsym; s++) {
    for (int i = 0; i < dist[s]; i++) {
      t->sym[pos] = (uint8_t)s;
      do pos = (pos + step) & mask;
      while (pos > high);
    }
  }
  for (unsigned s = 0; s < FSE_MAX_SYMBOLS; s++) t->first[s] = 0xFFFF;
  for (unsigned u = 0; u < size; u++) {
    unsigned s = t->sym[u];
    unsigned x = next[s]++;
    unsigned nb = log - highbit(x);
    t->nb[u] = (uint8_t)nb;
    t->base[u] = (uint16_t)((x << nb) - size);
    if (t->first[s] == 0xFFFF) t->first[s] = (uint16_t)u;
    for (unsigned v = t->base[u]; v < t->base[u] + (1u << nb); v++) t->enc[s * size + v] = (uint16_t)u;
  }
}

/* Move the encoder from `state` (the decoder's next state) to the state of symbol s. */
static unsigned fse_encode(bitw *w, const fse_table *t, unsigned state, unsigned s) {
  unsigned u = t->enc[s * t->size + state];
  bw_add(w, state - t->base[u], t->nb[u]);
  return u;
}

/* Bits the state transitions of `codes` cost with table t (initial state included). */
static uint64_t fse_cost(const fse_table *t, const uint8_t *codes, size_t n) {
  unsigned state = t->first[codes[n - 1]];
  uint64_t bits = t->log;
  for (size_t k = n - 1; k-- > 0;) {
    unsigned u = t->enc[codes[k] * t->size + state];
    bits += t->nb[u];
    state = u;
  }
  return bits;
}

/*
 * Normalise counts to a distribution summing to 2^log: every present symbol gets
 * round(count * 2^log / total), at least 1; the rounding error goes to the most frequent
 * symbol (lowest symbol on ties), or, if that would drop it below 1, is taken one by one
 * from the currently largest others. No -1 ("less than 1") entries are made.
 */
static void fse_normalize(const uint32_t *count, unsigned nsym, uint32_t total, unsigned log, int16_t *norm) {
  int32_t size = 1 << log, sum = 0;
  unsigned largest = 0;
  for (unsigned s = 0; s < nsym; s++) {
    int32_t n = 0;
    if (count[s]) {
      n = (int32_t)(((uint64_t)count[s] * (uint64_t)size + total / 2) / total);
      if (n < 1) n = 1;
    }
    norm[s] = (int16_t)n;
    sum += n;
    if (count[s] > count[largest]) largest = s;
  }
  int32_t fixed = norm[largest] + (size - sum);
  if (fixed >= 1) {
    norm[largest] = (int16_t)fixed;
    return;
  }
  norm[largest] = 1;
  for (int32_t need = 1 - fixed; need > 0; need--) {
    unsigned big = largest;
    for (unsigned s = 0; s < nsym; s++)
      if (s != largest && norm[s] > 1 && (big == largest || norm[s] > norm[big])) big = s;
    norm[big]--;
  }
}

/*
 * FSE_Compressed_Mode table description (RFC 8878 §4.1.1): Accuracy_Log - 5 in 4 bits,
 * then each symbol's count + 1 in a variable number of bits given by the probability
 * still to be distributed, a 2-bit repeat field after each zero, little-endian bit order,
 * padded to a whole byte. Returns the bytes written.
 */
static size_t fse_write_description(const int16_t *norm, unsigned nsym, unsigned log, uint8_t *out) {
  bitw w = {out, 0, 0, 0};
  bw_add(&w, log - 5, 4);
  int32_t remaining = (1 << log) + 1, threshold = 1 << log;
  unsigned nbits = log + 1, last = 0;
  for (unsigned s = 0; s < nsym; s++)
    if (norm[s] != 0) last = s;
  for (unsigned s = 0; s <= last; s++) {
    int32_t val = norm[s] + 1;
    int32_t max = 2 * threshold - 1 - remaining;
    if (val < max) bw_add(&w, (uint32_t)val, nbits - 1);
    else if (val >= threshold) bw_add(&w, (uint32_t)(val + max), nbits);
    else bw_add(&w, (uint32_t)val, nbits);
    remaining -= norm[s] < 0 ? -norm[s] : norm[s];
    while (remaining < threshold) {
      nbits--;
      threshold >>= 1;
    }
    if (norm[s] == 0) {
      unsigned z = 0;
      while (s + 1 + z < last && norm[s + 1 + z] == 0) z++;
      s += z;
      for (; z >= 3; z -= 3) bw_add(&w, 3, 2);
      bw_add(&w, z, 2);
    }
  }
  if (w.bits > 0) w.buf[w.pos++] = (uint8_t)(w.acc & 0xFF);
  return w.pos;
}

/* ---------------------------------------------------------------- codes */

static const uint32_t LL_BASE[36] = {0,  1,  2,  3,  4,  5,  6,  7,   8,   9,   10,   11,   12,   13,   14,   15,    16,    18,
                                     20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
static const uint8_t LL_BITS[36] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1,
                                    1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint32_t ML_BASE[53] = {3,  4,  5,  6,  7,  8,  9,  10, 11, 12,  13,  14,  15,  16,   17,   18,   19,   20,
                                     21, 22, 23, 24, 25, 26, 27, 28, 29, 30,  31,  32,  33,  34,   35,   37,   39,   41,
                                     43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027, 2051, 4099, 8195, 16387, 32771, 65539};
static const uint8_t ML_BITS[53] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                    0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static unsigned ll_code(uint32_t ll) {
  if (ll < 16) return ll;
  unsigned c = 35;
  while (LL_BASE[c] > ll) c--;
  return c;
}

static unsigned ml_code(uint32_t ml) {
  if (ml < 35) return ml - 3;
  unsigned c = 52;
  while (ML_BASE[c] > ml) c--;
  return c;
}

/* ---------------------------------------------------------------- Huffman literals */

#define HUF_MAX_BITS 11

typedef struct {
  uint32_t count;
  uint16_t sym;
  uint16_t parent; /* node index of the parent */
} huf_node;

/* Sort (count ascending, symbol ascending): insertion sort over at most 256 entries. */
static void sort_leaves(huf_node *v, unsigned n) {
  for (unsigned i = 1; i < n; i++) {
    huf_node x = v[i];
    unsigned j = i;
    while (j > 0 && (v[j - 1].count > x.count || (v[j - 1].count == x.count && v[j - 1].sym > x.sym))) {
      v[j] = v[j - 1];
      j--;
    }
    v[j] = x;
  }
}

/*
 * Code lengths (1..HUF_MAX_BITS, 0 for absent symbols) for the symbols 0..255 with the
 * given counts: Huffman's algorithm with the two-queue method and a fixed tie order, then
 * lengths over the limit brought down by the Kraft-sum repair below. Needs >= 2 symbols.
 */
static void huf_lengths(const uint32_t *count, uint8_t *len) {
  huf_node leaf[256];
  unsigned nl = 0;
  for (unsigned s = 0; s < 256; s++) {
    len[s] = 0;
    if (count[s]) {
      leaf[nl].count = count[s];
      leaf[nl].sym = (uint16_t)s;
      nl++;
    }
  }
  sort_leaves(leaf, nl);
  /* nodes 0..nl-1 leaves, nl.. internal; parent links give depths */
  uint32_t ncount[512];
  uint16_t parent[512];
  for (unsigned i = 0; i < nl; i++) ncount[i] = leaf[i].count;
  unsigned li = 0, ii = nl, next = nl;
  while (next < 2 * nl - 1) {
    unsigned pick[2];
    for (int k = 0; k < 2; k++) {
      /* leaves win ties: the order is fixed, so the tree is too */
      if (li < nl && (ii >= next || ncount[li] <= ncount[ii])) pick[k] = li++;
      else pick[k] = ii++;
    }
    ncount[next] = ncount[pick[0]] + ncount[pick[1]];
    parent[pick[0]] = (uint16_t)next;
    parent[pick[1]] = (uint16_t)next;
    next++;
  }
  unsigned root = 2 * nl - 2;
  uint8_t depth[512];
  depth[root] = 0;
  for (int i = (int)root - 1; i >= 0; i--) depth[i] = (uint8_t)(depth[parent[i]] + 1 > 255 ? 255 : depth[parent[i]] + 1);
  /* limit: clamp, then lengthen the shortest-but-rarest codes until the Kraft sum fits */
  uint32_t kraft = 0; /* in units of 2^-HUF_MAX_BITS */
  uint8_t l[256];
  for (unsigned i = 0; i < nl; i++) {
    l[i] = depth[i] > HUF_MAX_BITS ? HUF_MAX_BITS : depth[i];
    kraft += 1u << (HUF_MAX_BITS - l[i]);
  }
  const uint32_t full = 1u << HUF_MAX_BITS;
  /* leaves are in ascending count: lengthening from the rarest end costs least */
  while (kraft > full) {
    for (unsigned i = 0; i < nl && kraft > full; i++) {
      if (l[i] < HUF_MAX_BITS) {
        kraft -= 1u << (HUF_MAX_BITS - l[i] - 1);
        l[i]++;
      }
    }
  }
  /*
   * Use the slack (the decoder needs a complete code): shorten the most frequent codes
   * while the sum stays <= full, until nothing changes. It ends complete: the slack is a
   * multiple of the longest code's share, so that code can always be shortened.
   */
  for (int changed = 1; changed;) {
    changed = 0;
    for (int i = (int)nl - 1; i >= 0; i--) {
      while (l[i] > 1 && kraft + (1u << (HUF_MAX_BITS - l[i])) <= full) {
        kraft += 1u << (HUF_MAX_BITS - l[i]);
        l[i]--;
        changed = 1;
      }
    }
  }
  for (unsigned i = 0; i < nl; i++) len[leaf[i].sym] = l[i];
}

typedef struct {
  uint8_t len[256];
  uint16_t code[256];
  unsigned max_bits;
  unsigned last_sym; /* highest symbol present */
} huf_code;

/*
 * Canonical codes from the lengths as RFC 8878 §4.2.1 assigns them: weights
 * w = max_bits + 1 - len; states sorted by weight then symbol; the decoder's table gives
 * each symbol of weight w a run of 2^(w-1) entries, in order. The code of a symbol is the
 * index of its first entry shifted down by (w - 1) bits.
 */
static void huf_canonical(huf_code *h) {
  unsigned max = 0;
  for (unsigned s = 0; s < 256; s++)
    if (h->len[s] > max) max = h->len[s];
  h->max_bits = max;
  uint32_t start = 0;
  /* lowest weight first = longest codes first */
  for (unsigned w = 1; w <= max; w++) {
    unsigned l = max + 1 - w;
    for (unsigned s = 0; s < 256; s++) {
      if (h->len[s] != l) continue;
      h->code[s] = (uint16_t)(start >> (w - 1));
      start += 1u << (w - 1);
    }
  }
}

/* Weight of a symbol (RFC 8878 §4.2.1): 0 when absent, else max_bits + 1 - length. */
static unsigned huf_weight(const huf_code *h, unsigned s) {
  return h->len[s] ? h->max_bits + 1 - h->len[s] : 0;
}

/*
 * Direct 4-bit weights (RFC 8878 §4.2.1.1, headerByte >= 128): possible for at most 128
 * weights. Returns the bytes written, 0 if not possible.
 */
static size_t huf_tree_direct(const huf_code *h, uint8_t *out) {
  unsigned nw = h->last_sym; /* weights of symbols 0..last_sym-1; last_sym's is implied */
  if (nw > 128 || nw == 0) return 0;
  out[0] = (uint8_t)(127 + nw);
  size_t o = 1;
  for (unsigned s = 0; s < nw; s += 2) {
    unsigned w0 = huf_weight(h, s);
    unsigned w1 = s + 1 < nw ? huf_weight(h, s + 1) : 0;
    out[o++] = (uint8_t)((w0 << 4) | w1);
  }
  return o;
}

/*
 * FSE-compressed weights (RFC 8878 §4.2.1.2, headerByte < 128): a table description with
 * accuracy log 6, then a backward bitstream with two interleaved states. The decoder
 * reads state 1, state 2, then alternately takes a symbol from state 1 and 2, each time
 * updating that state, and stops when an update reads past the start of the stream, after
 * one more symbol from the other state. So for N weights the stream holds the two
 * initial states and the updates after symbols 0..N-3; the state of symbol N-2 is the
 * symbol's first state (which reads >= 1 bit, so its update overflows).
 * Returns the bytes written, 0 if not possible or not < 128 bytes.
 */
static size_t huf_tree_fse(const huf_code *h, uint8_t *out, fse_table *t) {
  unsigned nw = h->last_sym;
  if (nw < 2) return 0;
  uint8_t w[256];
  uint32_t count[16] = {0};
  unsigned maxw = 0, distinct = 0;
  for (unsigned s = 0; s < nw; s++) {
    w[s] = (uint8_t)huf_weight(h, s);
    if (count[w[s]]++ == 0) distinct++;
    if (w[s] > maxw) maxw = w[s];
  }
  if (distinct < 2) return 0;
  const unsigned log = 6;
  int16_t norm[16];
  fse_normalize(count, maxw + 1, nw, log, norm);
  uint8_t tmp[256];
  size_t dlen = fse_write_description(norm, maxw + 1, log, tmp);
  fse_build(t, norm, maxw + 1, log);
  bitw bw = {tmp + dlen, 0, 0, 0};
  unsigned state[2];
  state[(nw - 1) & 1] = t->first[w[nw - 1]];
  state[(nw - 2) & 1] = t->first[w[nw - 2]];
  for (size_t k = nw - 2; k-- > 0;) state[k & 1] = fse_encode(&bw, t, state[k & 1], w[k]);
  bw_add(&bw, state[1], log);
  bw_add(&bw, state[0], log);
  size_t size = dlen + bw_close(&bw);
  if (size >= 128) return 0;
  out[0] = (uint8_t)size;
  memcpy(out + 1, tmp, size);
  return 1 + size;
}

/* The shorter of the two tree descriptions; 0 when neither is possible. */
static size_t huf_write_tree(const huf_code *h, uint8_t *out, fse_table *t) {
  uint8_t fse[130];
  size_t d = huf_tree_direct(h, out);
  size_t f = huf_tree_fse(h, fse, t);
  if (f != 0 && (d == 0 || f < d)) {
    memcpy(out, fse, f);
    return f;
  }
  return d;
}

/* One Huffman stream: symbols written last-first so the decoder reads them first-first. */
static size_t huf_stream(const huf_code *h, const uint8_t *src, size_t n, uint8_t *out) {
  bitw w = {out, 0, 0, 0};
  for (size_t i = n; i-- > 0;) bw_add(&w, h->code[src[i]], h->len[src[i]]);
  return bw_close(&w);
}

/*
 * Literals section, Huffman-coded with 4 streams when that is possible and smaller,
 * else raw. Returns the bytes written to out (capacity >= n + 5).
 */
static size_t write_raw_literals(const uint8_t *lits, size_t n, uint8_t *out) {
  size_t o;
  if (n < 32) {
    out[0] = (uint8_t)(n << 3);
    o = 1;
  } else if (n < 4096) {
    out[0] = (uint8_t)((1u << 2) | ((n & 0xF) << 4));
    out[1] = (uint8_t)(n >> 4);
    o = 2;
  } else {
    out[0] = (uint8_t)((3u << 2) | ((n & 0xF) << 4));
    out[1] = (uint8_t)((n >> 4) & 0xFF);
    out[2] = (uint8_t)(n >> 12);
    o = 3;
  }
  memcpy(out + o, lits, n);
  return o + n;
}

/* scratch: capacity >= 2 * n + 128 */
static size_t write_literals(const uint8_t *lits, size_t n, uint8_t *out, uint8_t *scratch, fse_table *t) {
  size_t raw = write_raw_literals(lits, n, out);
  if (n < 64) return raw;
  uint32_t count[256] = {0};
  for (size_t i = 0; i < n; i++) count[lits[i]]++;
  huf_code h;
  unsigned distinct = 0, last = 0;
  for (unsigned s = 0; s < 256; s++)
    if (count[s]) {
      distinct++;
      last = s;
    }
  if (distinct < 2) return raw;
  h.last_sym = last;
  huf_lengths(count, h.len);
  huf_canonical(&h);
  /* header (5 bytes max) then tree then jump table then streams, built in scratch */
  uint8_t *p = scratch + 5;
  size_t tree = huf_write_tree(&h, p, t);
  if (tree == 0) return raw;
  size_t o = tree;
  size_t seg = (n + 3) / 4;
  size_t sizes[4];
  uint8_t *jump = p + o;
  o += 6;
  for (int k = 0; k < 4; k++) {
    size_t from = (size_t)k * seg, to = k == 3 ? n : from + seg;
    if (from > n) from = n;
    if (to > n) to = n;
    sizes[k] = huf_stream(&h, lits + from, to - from, p + o);
    o += sizes[k]; /* at most 11 bits per literal: stays inside scratch */
  }
  for (int k = 0; k < 3; k++) {
    if (sizes[k] > 0xFFFF) return raw;
    jump[2 * k] = (uint8_t)(sizes[k] & 0xFF);
    jump[2 * k + 1] = (uint8_t)(sizes[k] >> 8);
  }
  size_t csize = o; /* Compressed_Size: tree description + jump table + streams */
  size_t hdr;
  uint32_t type = 2; /* Compressed_Literals_Block */
  if (n < 1024 && csize < 1024) {
    /* Size_Format 01: 4 streams, 10-bit sizes, 3 bytes */
    uint32_t v = type | (1u << 2) | ((uint32_t)n << 4) | ((uint32_t)csize << 14);
    scratch[2] = (uint8_t)v;
    scratch[3] = (uint8_t)(v >> 8);
    scratch[4] = (uint8_t)(v >> 16);
    hdr = 3;
  } else if (n < 16384 && csize < 16384) {
    /* Size_Format 10: 14-bit sizes, 4 bytes */
    uint32_t v = type | (2u << 2) | ((uint32_t)n << 4) | ((uint32_t)csize << 18);
    scratch[1] = (uint8_t)v;
    scratch[2] = (uint8_t)(v >> 8);
    scratch[3] = (uint8_t)(v >> 16);
    scratch[4] = (uint8_t)(v >> 24);
    hdr = 4;
  } else {
    /* Size_Format 11: 18-bit sizes, 5 bytes */
    uint64_t v = type | (3u << 2) | ((uint64_t)n << 4) | ((uint64_t)csize << 22);
    for (int k = 0; k < 5; k++) scratch[k] = (uint8_t)(v >> (8 * k));
    hdr = 5;
  }
  size_t total = hdr + csize;
  if (total >= raw) return raw;
  memcpy(out, scratch + 5 - hdr, total);
  return total;
}

/* ---------------------------------------------------------------- block */

typedef struct {
  uint8_t llc, mlc, ofc;
  uint32_t llx, mlx, ofx; /* extra-bit values */
} coded_seq;

/* Offset codes with the repeat-offset rule of ADR 0167. */
static void code_offsets(const seq_t *seqs, size_t ns, coded_seq *cs) {
  uint32_t rep[3] = {0, 0, 0};
  unsigned explicit_seen = 0;
  for (size_t i = 0; i < ns; i++) {
    uint32_t o = seqs[i].off, ll = seqs[i].ll, ov = 0;
    if (explicit_seen >= 3) {
      if (ll != 0) {
        if (o == rep[0]) ov = 1;
        else if (o == rep[1]) ov = 2;
        else if (o == rep[2]) ov = 3;
      } else {
        if (o == rep[1]) ov = 1;
        else if (o == rep[2]) ov = 2;
        else if (rep[0] > 1 && o == rep[0] - 1) ov = 3;
      }
    }
    uint32_t r0 = rep[0], r1 = rep[1], r2 = rep[2];
    if (ov == 0) {
      ov = o + 3;
      rep[0] = o;
      rep[1] = r0;
      rep[2] = r1;
      explicit_seen++;
    } else if (ll != 0) {
      if (ov == 2) {
        rep[0] = r1;
        rep[1] = r0;
      } else if (ov == 3) {
        rep[0] = r2;
        rep[1] = r0;
        rep[2] = r1;
      }
    } else {
      if (ov == 1) {
        rep[0] = r1;
        rep[1] = r0;
      } else if (ov == 2) {
        rep[0] = r2;
        rep[1] = r0;
        rep[2] = r1;
      } else {
        rep[0] = r0 - 1;
        rep[1] = r0;
        rep[2] = r1;
      }
    }
    unsigned c = highbit(ov);
    cs[i].ofc = (uint8_t)c;
    cs[i].ofx = ov - (1u << c);
    unsigned lc = ll_code(ll);
    cs[i].llc = (uint8_t)lc;
    cs[i].llx = ll - LL_BASE[lc];
    unsigned mc = ml_code(seqs[i].ml);
    cs[i].mlc = (uint8_t)mc;
    cs[i].mlx = seqs[i].ml - ML_BASE[mc];
  }
}

/*
 * The table for one sequence code stream, chosen by exact cost (state bits plus the
 * description): Predefined_Mode, RLE_Mode when one code is used, or FSE_Compressed_Mode
 * with the block's own distribution; ties go to that order. Writes the description to
 * out, returns the mode; `chosen` is left holding the table.
 */
static unsigned choose_table(const uint8_t *codes, size_t ns, const int16_t *predef, unsigned pre_nsym, unsigned pre_log,
                             unsigned max_log, fse_table *chosen, fse_table *trial, uint8_t *out, size_t *olen) {
  uint32_t count[FSE_MAX_SYMBOLS] = {0};
  unsigned distinct = 0, last = 0;
  for (size_t i = 0; i < ns; i++) count[codes[i]]++;
  for (unsigned c = 0; c < FSE_MAX_SYMBOLS; c++)
    if (count[c]) {
      distinct++;
      last = c;
    }
  fse_build(chosen, predef, pre_nsym, pre_log);
  uint64_t best = fse_cost(chosen, codes, ns);
  unsigned mode = 0;
  *olen = 0;
  if (distinct == 1) {
    /* RLE: one byte, no state bits */
    if (8 < best) {
      int16_t one[FSE_MAX_SYMBOLS] = {0};
      one[last] = 1;
      fse_build(chosen, one, last + 1, 0);
      out[0] = (uint8_t)last;
      *olen = 1;
      return 1;
    }
    return 0;
  }
  unsigned log = highbit((uint32_t)ns);
  log = log > 1 ? log - 1 : 0;
  while ((1u << log) < distinct) log++;
  if (log < 5) log = 5;
  if (log > max_log) log = max_log;
  int16_t norm[FSE_MAX_SYMBOLS];
  fse_normalize(count, last + 1, (uint32_t)ns, log, norm);
  uint8_t desc[128];
  size_t dlen = fse_write_description(norm, last + 1, log, desc);
  fse_build(trial, norm, last + 1, log);
  uint64_t cost = fse_cost(trial, codes, ns) + 8 * (uint64_t)dlen;
  if (cost < best) {
    memcpy(chosen, trial, sizeof *chosen);
    memcpy(out, desc, dlen);
    *olen = dlen;
    mode = 2;
  }
  return mode;
}

static size_t write_sequences(const coded_seq *cs, size_t ns, uint8_t *out, fse_table *tables, uint8_t *codes) {
  size_t o = 0;
  if (ns < 128) {
    out[o++] = (uint8_t)ns;
  } else if (ns < 0x7F00) {
    out[o++] = (uint8_t)((ns >> 8) + 0x80);
    out[o++] = (uint8_t)(ns & 0xFF);
  } else {
    out[o++] = 0xFF;
    out[o++] = (uint8_t)((ns - 0x7F00) & 0xFF);
    out[o++] = (uint8_t)((ns - 0x7F00) >> 8);
  }
  if (ns == 0) return o;
  uint8_t *llc = codes, *ofc = codes + ns, *mlc = codes + 2 * ns;
  for (size_t i = 0; i < ns; i++) {
    llc[i] = cs[i].llc;
    ofc[i] = cs[i].ofc;
    mlc[i] = cs[i].mlc;
  }
  fse_table *ll = &tables[0], *of = &tables[1], *ml = &tables[2], *trial = &tables[3];
  size_t modes_at = o++, len;
  unsigned llm = choose_table(llc, ns, LL_DIST, 36, 6, 9, ll, trial, out + o, &len);
  o += len;
  unsigned ofm = choose_table(ofc, ns, OF_DIST, 29, 5, 8, of, trial, out + o, &len);
  o += len;
  unsigned mlm = choose_table(mlc, ns, ML_DIST, 53, 6, 9, ml, trial, out + o, &len);
  o += len;
  out[modes_at] = (uint8_t)((llm << 6) | (ofm << 4) | (mlm << 2));
  bitw w = {out + o, 0, 0, 0};
  size_t k = ns - 1;
  unsigned sll = ll->first[llc[k]], sof = of->first[ofc[k]], sml = ml->first[mlc[k]];
  bw_add(&w, cs[k].llx, LL_BITS[cs[k].llc]);
  bw_add(&w, cs[k].mlx, ML_BITS[cs[k].mlc]);
  bw_add(&w, cs[k].ofx, cs[k].ofc);
  while (k-- > 0) {
    sof = fse_encode(&w, of, sof, ofc[k]);
    sml = fse_encode(&w, ml, sml, mlc[k]);
    sll = fse_encode(&w, ll, sll, llc[k]);
    bw_add(&w, cs[k].llx, LL_BITS[cs[k].llc]);
    bw_add(&w, cs[k].mlx, ML_BITS[cs[k].mlc]);
    bw_add(&w, cs[k].ofx, cs[k].ofc);
  }
  bw_add(&w, sml, ml->log);
  bw_add(&w, sof, of->log);
  bw_add(&w, sll, ll->log);
  return o + bw_close(&w);
}

static void block_header(uint8_t *out, int last, unsigned type, size_t size) {
  uint32_t v = (uint32_t)(last ? 1 : 0) | (type << 1) | ((uint32_t)size << 3);
  out[0] = (uint8_t)v;
  out[1] = (uint8_t)(v >> 8);
  out[2] = (uint8_t)(v >> 16);
}

static size_t raw_block(const uint8_t *block, size_t n, int last, uint8_t *out) {
  block_header(out, last, 0, n);
  memcpy(out + 3, block, n);
  return 3 + n;
}

/*
 * Consecutive blocks share one match finder: positions are inserted once, and a block's
 * chain walks end at the start of its own history (low), so each block is encoded
 * exactly as if it had been given its history alone (the chains hold the same positions
 * from low on, in the same order).
 */
size_t zs_encode_blocks(const uint8_t *hist, size_t hn, const uint8_t *data, size_t n,
                        uint32_t max_offset, size_t hist_size, int last, uint8_t *out) {
  const size_t B = ZS_BLOCK_MAX;
  if (n == 0) return raw_block(data, 0, last, out);
  if (hn > hist_size) {
    hist += hn - hist_size;
    hn = hist_size;
  }
  size_t total = hn + n;
  uint8_t *buf = malloc(total);
  int32_t *head = malloc(sizeof(int32_t) << HASH_LOG);
  int32_t *prev = malloc(sizeof(int32_t) * total);
  seq_t *seqs = malloc(sizeof(seq_t) * (B / MIN_MATCH + 1));
  coded_seq *cs = malloc(sizeof(coded_seq) * (B / MIN_MATCH + 1));
  uint8_t *lits = malloc(B);
  uint8_t *body = malloc(4 * B + 64);
  uint8_t *scratch = malloc(2 * B + 128);
  fse_table *tables = malloc(4 * sizeof(fse_table));
  uint8_t *codes = malloc(3 * (B / MIN_MATCH + 1));
  size_t o = 0;
  if (!buf || !head || !prev || !seqs || !cs || !lits || !body || !scratch || !tables || !codes) goto done;
  if (hn) memcpy(buf, hist, hn);
  memcpy(buf + hn, data, n);
  for (size_t i = 0; i < ((size_t)1 << HASH_LOG); i++) head[i] = -1;
  finder f = {buf, hn, head, prev, -1, 0, max_offset};
  for (size_t start = hn; start < total; start += B) {
    size_t bn = total - start < B ? total - start : B;
    int is_last = last && start + bn == total;
    const uint8_t *block = buf + start;
    /* everything before the block is history: insert what is not in yet */
    f.n = start + bn;
    f.low = start > hist_size ? start - hist_size : 0;
    insert_run(&f, 0, start);
    int same = 1;
    for (size_t i = 1; i < bn && same; i++) same = block[i] == block[0];
    if (same && bn > 1) {
      block_header(out + o, is_last, 1, bn);
      out[o + 3] = block[0];
      o += 4;
      continue;
    }
    size_t nlits = 0;
    size_t ns = parse(&f, start, seqs, lits, &nlits);
    code_offsets(seqs, ns, cs);
    size_t c = write_literals(lits, nlits, body, scratch, &tables[3]);
    c += write_sequences(cs, ns, body + c, tables, codes);
    if (c >= bn) {
      o += raw_block(block, bn, is_last, out + o);
    } else {
      block_header(out + o, is_last, 2, c);
      memcpy(out + o + 3, body, c);
      o += 3 + c;
    }
  }
done:
  free(buf);
  free(head);
  free(prev);
  free(seqs);
  free(cs);
  free(lits);
  free(body);
  free(scratch);
  free(tables);
  free(codes);
  return o;
}

/* ---------------------------------------------------------------- XXH64 */

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static uint64_t rotl64(uint64_t x, unsigned r) {
  return (x << r) | (x >> (64 - r));
}

static uint64_t read64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint64_t xround(uint64_t acc, uint64_t lane) {
  acc += lane * P2;
  acc = rotl64(acc, 31);
  return acc * P1;
}

static uint64_t xmerge(uint64_t acc, uint64_t v) {
  acc ^= xround(0, v);
  return acc * P1 + P4;
}

void zs_xxh64_init(zs_xxh64_state *s) {
  memset(s, 0, sizeof *s);
  s->v[0] = P1 + P2;
  s->v[1] = P2;
  s->v[2] = 0;
  s->v[3] = (uint64_t)0 - P1;
}

static void xstripe(zs_xxh64_state *s, const uint8_t *p) {
  for (int i = 0; i < 4; i++) s->v[i] = xround(s->v[i], read64(p + 8 * i));
}

void zs_xxh64_update(zs_xxh64_state *s, const uint8_t *p, size_t n) {
  s->total += n;
  if (s->memsize + n < 32) {
    memcpy(s->mem + s->memsize, p, n);
    s->memsize += (uint32_t)n;
    return;
  }
  if (s->memsize) {
    size_t take = 32 - s->memsize;
    memcpy(s->mem + s->memsize, p, take);
    xstripe(s, s->mem);
    p += take;
    n -= take;
    s->memsize = 0;
  }
  while (n >= 32) {
    xstripe(s, p);
    p += 32;
    n -= 32;
  }
  memcpy(s->mem, p, n);
  s->memsize = (uint32_t)n;
}

uint64_t zs_xxh64_digest(const zs_xxh64_state *s) {
  uint64_t h;
  if (s->total >= 32) {
    h = rotl64(s->v[0], 1) + rotl64(s->v[1], 7) + rotl64(s->v[2], 12) + rotl64(s->v[3], 18);
    for (int i = 0; i < 4; i++) h = xmerge(h, s->v[i]);
  } else {
    h = P5;
  }
  h += s->total;
  const uint8_t *p = s->mem;
  size_t n = s->memsize;
  while (n >= 8) {
    h ^= xround(0, read64(p));
    h = rotl64(h, 27) * P1 + P4;
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    h ^= (uint64_t)read32(p) * P1;
    h = rotl64(h, 23) * P2 + P3;
    p += 4;
    n -= 4;
  }
  while (n > 0) {
    h ^= (uint64_t)(*p) * P5;
    h = rotl64(h, 11) * P1;
    p++;
    n--;
  }
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}
