// Changes to names in an upper or work directory that node:fs cannot make: one-step replaces
// (renameat2), special files (mknodat) and the writer lock (flock).
#include "helper.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

// renameat2 (bindings/layers/host/rename-at2.ts).
// node:fs has rename(2) only. The kernel's overlayfs replaces an entry in one step where rename(2)
// needs two: RENAME_EXCHANGE swaps two names (a directory put where a whiteout was, or the
// reverse, with the old object moved aside in the work directory), RENAME_WHITEOUT leaves a
// whiteout at the old name. Names are single components under the two directory descriptors.
// 0, or -errno (-EINVAL, -ENOSYS, -EPERM: the flag is refused here; the caller takes two steps).
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
#ifndef RENAME_WHITEOUT
#define RENAME_WHITEOUT (1 << 2)
#endif
napi_value rename_at2(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char from[NAME_MAX + 1];
  char to[NAME_MAX + 1];
  int32_t from_dir = -1, to_dir = -1, flags = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 5 ||
      napi_get_value_int32(env, argv[0], &from_dir) != napi_ok || !path_arg(env, argv[1], from, sizeof from) ||
      napi_get_value_int32(env, argv[2], &to_dir) != napi_ok || !path_arg(env, argv[3], to, sizeof to) ||
      napi_get_value_int32(env, argv[4], &flags) != napi_ok ||
      (flags != RENAME_EXCHANGE && flags != RENAME_WHITEOUT) ||
      strchr(from, '/') != NULL || strchr(to, '/') != NULL)
    return number(env, -EINVAL);
  if (syscall(SYS_renameat2, from_dir, from, to_dir, to, (unsigned)flags) < 0) return number(env, -errno);
  return number(env, 0);
}

// flockExclusive(fd): flock(fd, LOCK_EX | LOCK_NB), the writer lock on a work directory
// (bindings/layers/host/work-dir.ts). The kernel drops it when the descriptor is closed or the
// process dies, whatever PID namespace or container the holder is in. 0, or -errno (-EWOULDBLOCK:
// another open of the directory holds it).
napi_value flock_exclusive(napi_env env, napi_callback_info info) {
  int ok = 1;
  int32_t fd = int_arg(env, info, 0, &ok);
  if (!ok) return number(env, -EINVAL);
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) return number(env, -errno);
  return number(env, 0);
}

// mknodAt(dirFd, name, mode, rdev): mknodat(2) of a FIFO, socket or device (a whiteout is the
// device 0/0) at the single name `name` under `dirFd`, with exactly `mode`'s permission bits (set
// again after creation: mknodat applies the umask). node:fs has no mknod; without the helper the
// system mknod program is run. 0, or -errno.
napi_value mknod_at(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char name[NAME_MAX + 1];
  int32_t dir = -1;
  double mode = 0, rdev = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &dir) != napi_ok || !path_arg(env, argv[1], name, sizeof name) ||
      napi_get_value_double(env, argv[2], &mode) != napi_ok || napi_get_value_double(env, argv[3], &rdev) != napi_ok ||
      strchr(name, '/') != NULL || !(mode >= 0 && mode <= 0xffff) || !(rdev >= 0 && rdev < 18446744073709551616.0))
    return number(env, -EINVAL);
  mode_t m = (mode_t)mode;
  mode_t type = m & S_IFMT;
  if (type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR && type != S_IFBLK) return number(env, -EINVAL);
  if (mknodat(dir, name, m, (dev_t)rdev) < 0) return number(env, -errno);
  // The object was just made in a directory only this process writes to (the work directory):
  // the name cannot have been swapped for a symlink in between.
  if (fchmodat(dir, name, m & 07777, 0) < 0) {
    int err = errno;
    unlinkat(dir, name, 0);
    return number(env, -err);
  }
  return number(env, 0);
}
