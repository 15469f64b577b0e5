/*
 * strata-exec: the last step inside the sandbox before the user's command.
 *
 *   strata-exec UID GID PWD COMMAND [ARG...]
 *
 * PWD is "-" to remove PWD from the environment (bubblewrap sets it on --chdir, Docker
 * does not) or "+VALUE" to set it to VALUE (when the build's ENV defines PWD).
 * bubblewrap cannot switch to a uid other than the one it maps, and strata maps
 * container ids 0-65535 onto the same host ids, so USER is applied here: drop
 * supplementary groups, set real/effective/saved gid then uid (a non-zero uid loses
 * every capability as the kernel does for setuid), set umask 022, mark every
 * inherited descriptor above stderr close-on-exec (this program itself arrives as
 * an inherited descriptor), then execvp COMMAND with the environment unchanged.
 * It is statically linked so it runs in any root file system, and it is executed
 * through /proc/self/fd/N, so it never appears in the sandbox's file tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int parse_id(const char *s, unsigned long *out) {
  if (!*s) return -1;
  for (const char *p = s; *p; p++) if (*p < '0' || *p > '9') return -1;
  errno = 0;
  unsigned long v = strtoul(s, NULL, 10);
  if (errno || v > 65535) return -1;
  *out = v;
  return 0;
}

static void die(const char *what, const char *arg) {
  fprintf(stderr, "strata-exec: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  exit(127);
}

int main(int argc, char **argv) {
  unsigned long uid, gid;
  if (argc < 5 || parse_id(argv[1], &uid) || parse_id(argv[2], &gid) ||
      (argv[3][0] != '-' && argv[3][0] != '+') || (argv[3][0] == '-' && argv[3][1] != 0)) {
    fprintf(stderr, "usage: strata-exec UID GID -|+PWD COMMAND [ARG...] (ids 0-65535)\n");
    return 127;
  }
  if (argv[3][0] == '-') {
    if (unsetenv("PWD") != 0) die("unsetenv", "PWD");
  } else if (setenv("PWD", argv[3] + 1, 1) != 0) {
    die("setenv", "PWD");
  }
  if (setgroups(0, NULL) != 0) die("setgroups", NULL);
  if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0) die("setresgid", argv[2]);
  if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0) die("setresuid", argv[1]);
  if (getuid() != (uid_t)uid || geteuid() != (uid_t)uid || getgid() != (gid_t)gid) {
    errno = EPERM;
    die("could not switch to", argv[1]);
  }
  umask(022);
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3; fd < 1024; fd++) {
      int flags = fcntl(fd, F_GETFD);
      if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
  }
  execvp(argv[4], &argv[4]);
  die("cannot execute", argv[4]);
  return 127;
}
