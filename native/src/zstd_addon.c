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

#include "zstd_encode.h"

#define CHECK(call)                                        \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error(env, "EZSTD", "napi call failed: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

static bool get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  size_t length;
  void *p;
  napi_value ab;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = (uint8_t *)p;
  *len = length;
  return true;
}

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
  napi_valuetype t;
  a->hist = NULL;
  a->hn = 0;
  if (napi_typeof(env, argv[0], &t) != napi_ok) return false;
  if (t != napi_null && t != napi_undefined && !get_bytes(env, argv[0], &a->hist, &a->hn)) {
    napi_throw_type_error(env, "EINVAL", "history must be a Uint8Array or null");
    return false;
  }
  if (!get_bytes(env, argv[1], &a->block, &a->n)) {
    napi_throw_type_error(env, "EINVAL", "data must be a Uint8Array");
    return false;
  }
  if (a->n > MAX_DATA) {
    napi_throw_range_error(env, "EINVAL", "data larger than 64 blocks");
    return false;
  }
  uint32_t mo;
  if (napi_get_value_uint32(env, argv[2], &mo) != napi_ok || mo == 0) {
    napi_throw_type_error(env, "EINVAL", "maxOffset must be a positive number");
    return false;
  }
  a->max_offset = mo;
  if (napi_get_value_uint32(env, argv[3], &a->hist_size) != napi_ok || a->hist_size == 0 || a->hist_size > mo) {
    napi_throw_type_error(env, "EINVAL", "historySize must be a positive number <= maxOffset");
    return false;
  }
  if (napi_get_value_bool(env, argv[4], &a->last) != napi_ok) {
    napi_throw_type_error(env, "EINVAL", "last must be a boolean");
    return false;
  }
  return true;
}

static napi_value encode_blocks(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, "EINVAL", "encodeBlocks(history, data, maxOffset, historySize, last)");
    return NULL;
  }
  job_args a;
  if (!read_args(env, argv, &a)) return NULL;
  uint8_t *out = malloc(ZS_BOUND_BLOCKS(a.n));
  if (!out) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  size_t len = zs_encode_blocks(a.hist, a.hn, a.block, a.n, a.max_offset, a.hist_size, a.last, out);
  if (len == 0) {
    free(out);
    napi_throw_error(env, "ENOMEM", "out of memory in the zstd encoder");
    return NULL;
  }
  napi_value result;
  void *copy;
  napi_status st = napi_create_buffer_copy(env, len, out, &copy, &result);
  free(out);
  if (st != napi_ok) {
    napi_throw_error(env, "ENOMEM", "cannot allocate the result buffer");
    return NULL;
  }
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
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype t;
  if (argc < 6 || napi_typeof(env, argv[5], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "EINVAL", "encodeBlocksAsync(history, data, maxOffset, historySize, last, callback)");
    return NULL;
  }
  async_job *j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
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

static bool get_state(napi_env env, napi_value v, zs_xxh64_state **s) {
  uint8_t *p;
  size_t len;
  if (!get_bytes(env, v, &p, &len) || len < sizeof(zs_xxh64_state) + 8) {
    napi_throw_type_error(env, "EINVAL", "state must be a Uint8Array of xxh64StateSize bytes");
    return false;
  }
  /* align inside the caller's buffer (it has 8 spare bytes) */
  uintptr_t a = ((uintptr_t)p + 7) & ~(uintptr_t)7;
  *s = (zs_xxh64_state *)a;
  return true;
}

static napi_value xxh64_init(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  zs_xxh64_state *s;
  if (argc < 1 || !get_state(env, argv[0], &s)) return NULL;
  zs_xxh64_init(s);
  return NULL;
}

static napi_value xxh64_update(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  zs_xxh64_state *s;
  uint8_t *p;
  size_t len;
  if (argc < 2 || !get_state(env, argv[0], &s)) return NULL;
  if (!get_bytes(env, argv[1], &p, &len)) {
    napi_throw_type_error(env, "EINVAL", "data must be a Uint8Array");
    return NULL;
  }
  zs_xxh64_update(s, p, len);
  return NULL;
}

static napi_value xxh64_low32(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  zs_xxh64_state *s;
  if (argc < 1 || !get_state(env, argv[0], &s)) return NULL;
  napi_value r;
  CHECK(napi_create_uint32(env, (uint32_t)(zs_xxh64_digest(s) & 0xFFFFFFFFu), &r));
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value f, size;
  CHECK(napi_create_function(env, "encodeBlocks", NAPI_AUTO_LENGTH, encode_blocks, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "encodeBlocks", f));
  CHECK(napi_create_function(env, "encodeBlocksAsync", NAPI_AUTO_LENGTH, encode_blocks_async, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "encodeBlocksAsync", f));
  CHECK(napi_create_function(env, "xxh64Init", NAPI_AUTO_LENGTH, xxh64_init, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "xxh64Init", f));
  CHECK(napi_create_function(env, "xxh64Update", NAPI_AUTO_LENGTH, xxh64_update, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "xxh64Update", f));
  CHECK(napi_create_function(env, "xxh64Low32", NAPI_AUTO_LENGTH, xxh64_low32, NULL, &f));
  CHECK(napi_set_named_property(env, exports, "xxh64Low32", f));
  CHECK(napi_create_uint32(env, (uint32_t)(sizeof(zs_xxh64_state) + 8), &size));
  CHECK(napi_set_named_property(env, exports, "xxh64StateSize", size));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
