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
    }
  ]
}
