{
  "targets": [
    {
      "target_name": "strata_xattr",
      "sources": ["src/xattr.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    },
    {
      "target_name": "strata-exec",
      "type": "executable",
      "sources": ["src/exec.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"],
      "ldflags": ["-static"]
    },
    {
      "target_name": "strata_zstd",
      "sources": ["src/zstd_addon.c", "src/zstd_encode.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2"]
    },
    {
      "target_name": "strata_deflate",
      "sources": ["src/deflate_addon.c", "src/deflate.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O2", "-std=c11"]
    }
  ]
}
