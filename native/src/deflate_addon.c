/*
 * strata_deflate: Node binding of strata-deflate (deflate.c), the pinned layer encoder.
 *
 *   compress(block: Uint8Array, dictionary: Uint8Array | null | undefined, last: boolean): Buffer
 *     raw deflate of one block of the blocked-deflate-3 format (sdef_compress)
 *   crc32(crc: number, data: Uint8Array): number
 *   encoderVersion: number   (1: the bytes defined by deflate.c at format version 1)
 *
 * Synchronous; the caller decides the thread (src/tar/deflate-pool.ts runs it in worker
 * threads). Each thread (N-API environment) has its own encoder state.
 * Errors throw an Error with code "EINVAL" (bad argument) or "ENOMEM".
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>

#include "deflate.h"

#define ENCODER_VERSION 1

typedef struct {
  sdef_state *state;
  uint8_t *out;
} instance;

static void free_instance(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  instance *in = (instance *)data;
  sdef_free(in->state);
  free(in->out);
  free(in);
}

static napi_value fail(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* Bytes of a Uint8Array (or Buffer) argument. */
static int bytes_of(napi_env env, napi_value v, const uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return 0;
  *data = (const uint8_t *)p;
  return 1;
}

static napi_value js_compress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    return fail(env, "EINVAL", "compress(block, dictionary, last) takes three arguments");
  }
  const uint8_t *block = NULL, *dict = NULL;
  size_t block_len = 0, dict_len = 0;
  if (!bytes_of(env, argv[0], &block, &block_len)) return fail(env, "EINVAL", "block must be a Uint8Array");
  napi_valuetype t;
  if (napi_typeof(env, argv[1], &t) != napi_ok) return NULL;
  if (t != napi_null && t != napi_undefined && !bytes_of(env, argv[1], &dict, &dict_len)) {
    return fail(env, "EINVAL", "dictionary must be a Uint8Array, null or undefined");
  }
  bool last = false;
  if (napi_get_value_bool(env, argv[2], &last) != napi_ok) return fail(env, "EINVAL", "last must be a boolean");
  if (block_len > SDEF_MAX_BLOCK) return fail(env, "EINVAL", "block is larger than 128 KiB");
  if (dict_len > SDEF_MAX_DICT) return fail(env, "EINVAL", "dictionary is larger than 32 KiB");

  instance *in = NULL;
  if (napi_get_instance_data(env, (void **)&in) != napi_ok || !in) return fail(env, "ENOMEM", "no encoder state");
  size_t cap = sdef_bound(SDEF_MAX_BLOCK);
  size_t n = sdef_compress(in->state, dict, dict_len, block, block_len, last ? 1 : 0, in->out, cap);
  if (n == 0) return fail(env, "EINVAL", "sdef_compress refused its arguments");
  napi_value result;
  void *copy = NULL;
  if (napi_create_buffer_copy(env, n, in->out, &copy, &result) != napi_ok) return NULL;
  return result;
}

static napi_value js_crc32(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    return fail(env, "EINVAL", "crc32(crc, data) takes two arguments");
  }
  uint32_t crc = 0;
  if (napi_get_value_uint32(env, argv[0], &crc) != napi_ok) return fail(env, "EINVAL", "crc must be a number");
  const uint8_t *data = NULL;
  size_t len = 0;
  if (!bytes_of(env, argv[1], &data, &len)) return fail(env, "EINVAL", "data must be a Uint8Array");
  napi_value result;
  if (napi_create_uint32(env, sdef_crc32(crc, data, len), &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT() {
  instance *in = (instance *)calloc(1, sizeof *in);
  if (in) {
    in->state = sdef_new();
    in->out = (uint8_t *)malloc(sdef_bound(SDEF_MAX_BLOCK));
  }
  if (!in || !in->state || !in->out) {
    if (in) {
      sdef_free(in->state);
      free(in->out);
      free(in);
    }
    napi_throw_error(env, "ENOMEM", "cannot allocate the deflate encoder state");
    return NULL;
  }
  if (napi_set_instance_data(env, in, free_instance, NULL) != napi_ok) return NULL;
  napi_value fn, version;
  if (napi_create_function(env, "compress", NAPI_AUTO_LENGTH, js_compress, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "compress", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "crc32", NAPI_AUTO_LENGTH, js_crc32, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "crc32", fn) != napi_ok) return NULL;
  if (napi_create_uint32(env, ENCODER_VERSION, &version) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "encoderVersion", version) != napi_ok) return NULL;
  return exports;
}
