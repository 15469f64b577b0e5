/*
 * strata_zstd: Node binding of strata's own zstd block encoder (zstd_encode.c).
 *
 *   encodeBlocks(history: Uint8Array | null, data: Uint8Array, maxOffset: number,
 *                historySize: number, last: boolean): Buffer
 *       zstd blocks (headers included) for `data` cut into 128 KiB blocks, each encoded
 *       with the <= historySize bytes before it (in history ‖ data); `last` marks the
 *       final block. Any grouping of blocks into calls gives the same bytes.
 *   encodeBlocksAsync(history, data, maxOffset, historySize, last, callback(err, Buffer))
 *       the same bytes, computed on a libuv thread-pool thread; the caller must not
 *       change `history` or `data` until the callback runs (both are kept referenced).
 *   xxh64StateSize: number
 *   xxh64Init(state: Uint8Array), xxh64Update(state, data: Uint8Array),
 *   xxh64Low32(state): number   — XXH64 (seed 0) of everything updated, low 32 bits.
 *
 * Frame header, block cutting and the checksum trailer are done by src/tar/zstd-frame.ts.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "napi_args.h"
#include "zstd_encode.h"

/* At most this many bytes per call (64 blocks): bounds the memory of one job. */
#define MAX_DATA ((size_t)64 * ZS_BLOCK_MAX)

typedef struct {
  uint8_t *hist;
  size_t hn;
  uint8_t *block;
  size_t n;
  uint32_t max_offset;
  uint32_t hist_size;
  bool last;
} job_args;

/* Arguments 0..4 → job_args; throws and returns false when they are wrong. */
static bool read_args(napi_env env, napi_value *argv, job_args *a) {
  if (!na_optional_bytes(env, argv[0], &a->hist, &a->hn, "history must be a Uint8Array or null")) return false;
  if (!na_bytes(env, argv[1], &a->block, &a->n, "data must be a Uint8Array")) return false;
  if (a->n > MAX_DATA) {
    napi_throw_range_error(env, "EINVAL", "data larger than 64 blocks");
    return false;
  }
  if (!na_uint32(env, argv[2], &a->max_offset, "maxOffset must be a positive number")) return false;
  if (a->max_offset == 0) {
    napi_throw_type_error(env, "EINVAL", "maxOffset must be a positive number");
    return false;
  }
  const char *bad_hist = "historySize must be a positive number <= maxOffset";
  if (!na_uint32(env, argv[3], &a->hist_size, bad_hist)) return false;
  if (a->hist_size == 0 || a->hist_size > a->max_offset) {
    napi_throw_type_error(env, "EINVAL", bad_hist);
    return false;
  }
  return na_bool(env, argv[4], &a->last, "last must be a boolean");
}

static napi_value encode_blocks(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!na_args(env, info, 5, argv, "encodeBlocks(history, data, maxOffset, historySize, last)")) return NULL;
  job_args a;
  if (!read_args(env, argv, &a)) return NULL;
  uint8_t *out = malloc(ZS_BOUND_BLOCKS(a.n));
  if (!out) return na_fail(env, "ENOMEM", "out of memory");
  size_t len = zs_encode_blocks(a.hist, a.hn, a.block, a.n, a.max_offset, a.hist_size, a.last, out);
  if (len == 0) {
    free(out);
    return na_fail(env, "ENOMEM", "out of memory in the zstd encoder");
  }
  napi_value result;
  void *copy;
  napi_status st = napi_create_buffer_copy(env, len, out, &copy, &result);
  free(out);
  if (st != napi_ok) return na_fail(env, "ENOMEM", "cannot allocate the result buffer");
  return result;
}

typedef struct {
  job_args a;
  napi_ref hist_ref, block_ref, cb_ref;
  napi_async_work work;
  uint8_t *out;
  size_t len;
} async_job;

static void execute(napi_env env, void *data) {
  (void)env;
  async_job *j = data;
  j->out = malloc(ZS_BOUND_BLOCKS(j->a.n));
  j->len = j->out ? zs_encode_blocks(j->a.hist, j->a.hn, j->a.block, j->a.n, j->a.max_offset, j->a.hist_size, j->a.last, j->out) : 0;
}

static void complete(napi_env env, napi_status status, void *data) {
  async_job *j = data;
  napi_value cb, undef, argv[2];
  napi_get_reference_value(env, j->cb_ref, &cb);
  napi_get_undefined(env, &undef);
  if (status != napi_ok || j->len == 0) {
    napi_value msg;
    napi_create_string_utf8(env, status != napi_ok ? "zstd job cancelled" : "out of memory in the zstd encoder", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, NULL, msg, &argv[0]);
    argv[1] = undef;
  } else {
    void *copy;
    argv[0] = undef;
    if (napi_create_buffer_copy(env, j->len, j->out, &copy, &argv[1]) != napi_ok) {
      napi_value msg;
      napi_create_string_utf8(env, "cannot allocate the result buffer", NAPI_AUTO_LENGTH, &msg);
      napi_create_error(env, NULL, msg, &argv[0]);
      argv[1] = undef;
    }
  }
  free(j->out);
  if (j->hist_ref) napi_delete_reference(env, j->hist_ref);
  napi_delete_reference(env, j->block_ref);
  napi_delete_reference(env, j->cb_ref);
  napi_delete_async_work(env, j->work);
  free(j);
  napi_value ignored;
  napi_call_function(env, undef, cb, 2, argv, &ignored);
}

static napi_value encode_blocks_async(napi_env env, napi_callback_info info) {
  const char *usage = "encodeBlocksAsync(history, data, maxOffset, historySize, last, callback)";
  napi_value argv[6];
  if (!na_args(env, info, 6, argv, usage)) return NULL;
  napi_valuetype t;
  if (napi_typeof(env, argv[5], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", usage);
    return NULL;
  }
  async_job *j = calloc(1, sizeof *j);
  if (!j) return na_fail(env, "ENOMEM", "out of memory");
  if (!read_args(env, argv, &j->a)) {
    free(j);
    return NULL;
  }
  napi_value name;
  if ((j->a.hist && napi_create_reference(env, argv[0], 1, &j->hist_ref) != napi_ok) ||
      napi_create_reference(env, argv[1], 1, &j->block_ref) != napi_ok ||
      napi_create_reference(env, argv[5], 1, &j->cb_ref) != napi_ok ||
      napi_create_string_utf8(env, "strata_zstd_block", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_async_work(env, NULL, name, execute, complete, j, &j->work) != napi_ok ||
      napi_queue_async_work(env, j->work) != napi_ok) {
    napi_throw_error(env, "EZSTD", "cannot queue the zstd job");
    return NULL; /* the references leak here; this only happens when N-API itself fails */
  }
  return NULL;
}

/*
 * The xxh64 functions' arguments: argv[0] is the state (aligned inside the caller's buffer,
 * which has 8 spare bytes), then `n - 1` more. Throws and returns NULL when they are wrong.
 */
static zs_xxh64_state *state_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  uint8_t *p;
  size_t len;
  if (!na_args(env, info, n, argv, usage)) return NULL;
  if (!na_is_bytes(env, argv[0], &p, &len) || len < sizeof(zs_xxh64_state) + 8) {
    napi_throw_type_error(env, "EINVAL", "state must be a Uint8Array of xxh64StateSize bytes");
    return NULL;
  }
  return (zs_xxh64_state *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
}

static napi_value xxh64_init(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  zs_xxh64_state *s = state_args(env, info, 1, argv, "xxh64Init(state)");
  if (s) zs_xxh64_init(s);
  return NULL;
}

static napi_value xxh64_update(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  zs_xxh64_state *s = state_args(env, info, 2, argv, "xxh64Update(state, data)");
  uint8_t *p;
  size_t len;
  if (s && na_bytes(env, argv[1], &p, &len, "data must be a Uint8Array")) zs_xxh64_update(s, p, len);
  return NULL;
}

static napi_value xxh64_low32(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  zs_xxh64_state *s = state_args(env, info, 1, argv, "xxh64Low32(state)");
  if (!s) return NULL;
  napi_value r;
  if (napi_create_uint32(env, (uint32_t)(zs_xxh64_digest(s) & 0xFFFFFFFFu), &r) != napi_ok) return na_fail(env, "EZSTD", "cannot return the digest");
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  if (!na_export_function(env, exports, "encodeBlocks", encode_blocks) ||
      !na_export_function(env, exports, "encodeBlocksAsync", encode_blocks_async) ||
      !na_export_function(env, exports, "xxh64Init", xxh64_init) ||
      !na_export_function(env, exports, "xxh64Update", xxh64_update) ||
      !na_export_function(env, exports, "xxh64Low32", xxh64_low32) ||
      !na_export_uint32(env, exports, "xxh64StateSize", (uint32_t)(sizeof(zs_xxh64_state) + 8))) {
    return na_fail(env, "EZSTD", "cannot define the strata_zstd exports");
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
