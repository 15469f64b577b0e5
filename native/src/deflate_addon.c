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
 * Errors throw a TypeError with code "EINVAL" (an argument of the wrong type or a missing
 * one), an Error with code "EINVAL" (a block or dictionary too large) or "ENOMEM".
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdlib.h>

#include "deflate.h"
#include "napi_args.h"

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

static napi_value js_compress(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!na_args(env, info, 3, argv, "compress(block, dictionary, last) takes three arguments")) return NULL;
  uint8_t *block = NULL, *dict = NULL;
  size_t block_len = 0, dict_len = 0;
  bool last = false;
  if (!na_bytes(env, argv[0], &block, &block_len, "block must be a Uint8Array") ||
      !na_optional_bytes(env, argv[1], &dict, &dict_len, "dictionary must be a Uint8Array, null or undefined") ||
      !na_bool(env, argv[2], &last, "last must be a boolean")) {
    return NULL;
  }
  if (block_len > SDEF_MAX_BLOCK) return na_fail(env, "EINVAL", "block is larger than 128 KiB");
  if (dict_len > SDEF_MAX_DICT) return na_fail(env, "EINVAL", "dictionary is larger than 32 KiB");

  instance *in = NULL;
  if (napi_get_instance_data(env, (void **)&in) != napi_ok || !in) return na_fail(env, "ENOMEM", "no encoder state");
  size_t cap = sdef_bound(SDEF_MAX_BLOCK);
  size_t n = sdef_compress(in->state, dict, dict_len, block, block_len, last ? 1 : 0, in->out, cap);
  if (n == 0) return na_fail(env, "EINVAL", "sdef_compress refused its arguments");
  napi_value result;
  void *copy = NULL;
  if (napi_create_buffer_copy(env, n, in->out, &copy, &result) != napi_ok) return NULL;
  return result;
}

static napi_value js_crc32(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!na_args(env, info, 2, argv, "crc32(crc, data) takes two arguments")) return NULL;
  uint32_t crc = 0;
  uint8_t *data = NULL;
  size_t len = 0;
  if (!na_uint32(env, argv[0], &crc, "crc must be a number") || !na_bytes(env, argv[1], &data, &len, "data must be a Uint8Array")) return NULL;
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
  if (!na_export_function(env, exports, "compress", js_compress) || !na_export_function(env, exports, "crc32", js_crc32) ||
      !na_export_uint32(env, exports, "encoderVersion", ENCODER_VERSION)) {
    return NULL;
  }
  return exports;
}
