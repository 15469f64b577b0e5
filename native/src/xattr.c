/*
 * strata_xattr: read extended attributes of a path without following symlinks.
 *
 * Node's fs module cannot list or read xattrs; strata needs them to read overlayfs
 * upper directories (trusted.overlay.opaque, .redirect, .metacopy, .whiteout).
 * Exports one function:
 *
 *   xattrs(path: string): Array<[name: string, value: Buffer]>
 *
 *   setXattr(path: string, name: string, value: Buffer): void
 *
 *   makeNode(path: string, type: "char" | "block" | "fifo", mode: number, major: number, minor: number): void
 *
 * setXattr and makeNode exist for the layer extractor, which must mark opaque directories
 * (trusted.overlay.opaque=y) and create whiteouts (char 0/0) in extracted lower layers;
 * Node has neither setxattr nor mknod. Neither function follows a
 * symlink (llistxattr/lgetxattr/lsetxattr).
 * Errors throw an Error whose `code` is the errno name (e.g. "ENOENT").
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#define PATH_BUF 4097

static napi_value throw_errno(napi_env env, const char *what, int err) {
  const char *name = "EIO";
  switch (err) {
    case ENOENT: name = "ENOENT"; break;
    case EACCES: name = "EACCES"; break;
    case ENOTDIR: name = "ENOTDIR"; break;
    case ENAMETOOLONG: name = "ENAMETOOLONG"; break;
    case ENOMEM: name = "ENOMEM"; break;
    case ERANGE: name = "ERANGE"; break;
    case ELOOP: name = "ELOOP"; break;
    case EPERM: name = "EPERM"; break;
    case ENOTSUP: name = "ENOTSUP"; break;
    case EROFS: name = "EROFS"; break;
    case EEXIST: name = "EEXIST"; break;
    case EINVAL: name = "EINVAL"; break;
    default: break;
  }
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name, msg);
  return NULL;
}

/* Read the value of one attribute into a freshly allocated buffer; retries on ERANGE. */
static int read_value(const char *path, const char *name, char **out, ssize_t *len) {
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) return errno;
    char *buf = malloc(size > 0 ? (size_t)size : 1);
    if (!buf) return ENOMEM;
    ssize_t got = lgetxattr(path, name, buf, (size_t)size);
    if (got >= 0) { *out = buf; *len = got; return 0; }
    int err = errno;
    free(buf);
    if (err != ERANGE) return err;
  }
  return ERANGE;
}

/* List attribute names (NUL-separated) into a freshly allocated buffer; retries on ERANGE. */
static int read_names(const char *path, char **out, ssize_t *len) {
  for (int attempt = 0; attempt < 8; attempt++) {
    ssize_t size = llistxattr(path, NULL, 0);
    if (size < 0) return errno;
    if (size == 0) { *out = NULL; *len = 0; return 0; }
    char *buf = malloc((size_t)size);
    if (!buf) return ENOMEM;
    ssize_t got = llistxattr(path, buf, (size_t)size);
    if (got >= 0) { *out = buf; *len = got; return 0; }
    int err = errno;
    free(buf);
    if (err != ERANGE) return err;
  }
  return ERANGE;
}

static napi_value xattrs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1) {
    napi_throw_type_error(env, NULL, "xattrs(path) takes one string");
    return NULL;
  }
  char path[PATH_BUF];
  size_t path_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "xattrs(path): path must be a string");
    return NULL;
  }
  if (path_len >= sizeof path - 1 || strlen(path) != path_len) {
    napi_throw_error(env, "ENAMETOOLONG", "xattrs: path too long or contains NUL");
    return NULL;
  }

  char *names = NULL;
  ssize_t names_len = 0;
  int err = read_names(path, &names, &names_len);
  if (err == ENOTSUP) { names = NULL; names_len = 0; err = 0; }
  if (err) return throw_errno(env, "llistxattr", err);

  napi_value result;
  napi_create_array(env, &result);
  uint32_t index = 0;
  for (ssize_t off = 0; off < names_len;) {
    const char *name = names + off;
    size_t nlen = strnlen(name, (size_t)(names_len - off));
    off += (ssize_t)nlen + 1;
    if (nlen == 0) continue;
    char *value = NULL;
    ssize_t vlen = 0;
    err = read_value(path, name, &value, &vlen);
    if (err == ENODATA) continue; /* removed between list and get */
    if (err) { free(names); return throw_errno(env, "lgetxattr", err); }
    napi_value pair, jname, jvalue;
    napi_create_array_with_length(env, 2, &pair);
    napi_create_string_utf8(env, name, nlen, &jname);
    void *dest = NULL;
    napi_create_buffer_copy(env, (size_t)vlen, value, &dest, &jvalue);
    free(value);
    napi_set_element(env, pair, 0, jname);
    napi_set_element(env, pair, 1, jvalue);
    napi_set_element(env, result, index++, pair);
  }
  free(names);
  return result;
}

static napi_value set_xattr(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 3) {
    napi_throw_type_error(env, NULL, "setXattr(path, name, value) takes three arguments");
    return NULL;
  }
  char path[PATH_BUF];
  char name[256];
  size_t path_len = 0, name_len = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &name_len) != napi_ok) {
    napi_throw_type_error(env, NULL, "setXattr: path and name must be strings");
    return NULL;
  }
  if (path_len >= sizeof path - 1 || strlen(path) != path_len || name_len >= sizeof name - 1 ||
      strlen(name) != name_len || name_len == 0) {
    napi_throw_error(env, "ENAMETOOLONG", "setXattr: path or name too long, empty or contains NUL");
    return NULL;
  }
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, NULL, "setXattr: value must be a Buffer");
    return NULL;
  }
  void *data = NULL;
  size_t len = 0;
  napi_get_buffer_info(env, argv[2], &data, &len);
  if (lsetxattr(path, name, len ? data : "", len, 0) != 0) return throw_errno(env, "lsetxattr", errno);
  return NULL;
}

static napi_value make_node(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5) {
    napi_throw_type_error(env, NULL, "makeNode(path, type, mode, major, minor) takes five arguments");
    return NULL;
  }
  char path[PATH_BUF];
  char type[8];
  size_t path_len = 0, type_len = 0;
  uint32_t mode = 0, major = 0, minor = 0;
  if (napi_get_value_string_utf8(env, argv[0], path, sizeof path, &path_len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], type, sizeof type, &type_len) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &mode) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &major) != napi_ok ||
      napi_get_value_uint32(env, argv[4], &minor) != napi_ok) {
    napi_throw_type_error(env, NULL, "makeNode: bad argument types");
    return NULL;
  }
  if (path_len >= sizeof path - 1 || strlen(path) != path_len || (mode & ~07777u) != 0) {
    napi_throw_error(env, "EINVAL", "makeNode: path too long or contains NUL, or mode has type bits");
    return NULL;
  }
  mode_t kind;
  if (strcmp(type, "char") == 0) kind = S_IFCHR;
  else if (strcmp(type, "block") == 0) kind = S_IFBLK;
  else if (strcmp(type, "fifo") == 0) kind = S_IFIFO;
  else {
    napi_throw_error(env, "EINVAL", "makeNode: type must be char, block or fifo");
    return NULL;
  }
  if (mknod(path, kind | (mode_t)mode, kind == S_IFIFO ? 0 : makedev(major, minor)) != 0)
    return throw_errno(env, "mknod", errno);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "xattrs", NAPI_AUTO_LENGTH, xattrs, NULL, &fn);
  napi_set_named_property(env, exports, "xattrs", fn);
  napi_create_function(env, "setXattr", NAPI_AUTO_LENGTH, set_xattr, NULL, &fn);
  napi_set_named_property(env, exports, "setXattr", fn);
  napi_create_function(env, "makeNode", NAPI_AUTO_LENGTH, make_node, NULL, &fn);
  napi_set_named_property(env, exports, "makeNode", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
