/*
 * Argument checks shared by strata's N-API addons (zstd_addon.c, deflate_addon.c).
 * Every helper that fails has thrown a JavaScript exception (code "EINVAL" unless said
 * otherwise) and returns false / NULL; the caller only returns NULL.
 */
#ifndef STRATA_NAPI_ARGS_H
#define STRATA_NAPI_ARGS_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Throw an Error with `code` and return NULL (for `return na_fail(...)`). */
static inline napi_value na_fail(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

/* The first `n` arguments into argv; fewer is a TypeError whose message is `usage`. */
static inline bool na_args(napi_env env, napi_callback_info info, size_t n, napi_value *argv, const char *usage) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < n) {
    napi_throw_type_error(env, "EINVAL", usage);
    return false;
  }
  return true;
}

/* The bytes of a Uint8Array (or Buffer); false without throwing when `v` is anything else. */
static inline bool na_is_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  void *p = NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok || type != napi_uint8_array) return false;
  *data = (uint8_t *)p;
  return true;
}

/* The bytes of a Uint8Array argument; else a TypeError `what`. */
static inline bool na_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what) {
  if (na_is_bytes(env, v, data, len)) return true;
  napi_throw_type_error(env, "EINVAL", what);
  return false;
}

/* Like na_bytes, but null and undefined give data NULL, length 0. */
static inline bool na_optional_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, const char *what) {
  napi_valuetype t;
  *data = NULL;
  *len = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return na_bytes(env, v, data, len, what);
  if (t == napi_null || t == napi_undefined) return true;
  return na_bytes(env, v, data, len, what);
}

static inline bool na_uint32(napi_env env, napi_value v, uint32_t *out, const char *what) {
  if (napi_get_value_uint32(env, v, out) == napi_ok) return true;
  napi_throw_type_error(env, "EINVAL", what);
  return false;
}

static inline bool na_bool(napi_env env, napi_value v, bool *out, const char *what) {
  if (napi_get_value_bool(env, v, out) == napi_ok) return true;
  napi_throw_type_error(env, "EINVAL", what);
  return false;
}

/* exports[name] = a function calling `cb`. */
static inline bool na_export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f) == napi_ok && napi_set_named_property(env, exports, name, f) == napi_ok;
}

/* exports[name] = value. */
static inline bool na_export_uint32(napi_env env, napi_value exports, const char *name, uint32_t value) {
  napi_value v;
  return napi_create_uint32(env, value, &v) == napi_ok && napi_set_named_property(env, exports, name, v) == napi_ok;
}

#endif
