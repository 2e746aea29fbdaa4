// DirLayer's hot paths (bindings/layers/host/vouched-stats.ts, file-content.ts).
// A cached hit over a DirLayer costs one call here instead of several node:fs calls: no Stats
// object per lstat, no JS<->C++ transition per syscall. Numbers are converted exactly as libuv
// and node:fs convert them (makedev, sec * 1e3 + nsec / 1e6), so identities compare equal.
#include "helper.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/types.h>


// Node's Stats field order (the Float64Array node:fs fills): dev, mode, nlink, uid, gid, rdev,
// blksize, ino, size, blocks, atimeMs, mtimeMs, ctimeMs, birthtimeMs.
#define STAT_FIELDS 14

static double ms_of(struct statx_timestamp t) {
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1000000.0;
}

static void fill_stat(double *out, const struct statx *st) {
  out[0] = (double)makedev(st->stx_dev_major, st->stx_dev_minor);
  out[1] = (double)st->stx_mode;
  out[2] = (double)st->stx_nlink;
  out[3] = (double)st->stx_uid;
  out[4] = (double)st->stx_gid;
  out[5] = (double)makedev(st->stx_rdev_major, st->stx_rdev_minor);
  out[6] = (double)st->stx_blksize;
  out[7] = (double)st->stx_ino;
  out[8] = (double)st->stx_size;
  out[9] = (double)st->stx_blocks;
  out[10] = ms_of(st->stx_atime);
  out[11] = ms_of(st->stx_mtime);
  out[12] = ms_of(st->stx_ctime);
  out[13] = ms_of(st->stx_btime);
}

#define STATX_WANTED (STATX_BASIC_STATS | STATX_BTIME)

// lstatInto(path, out: Float64Array(14)): lstat(2) of `path` (a final symlink is not followed)
// into `out`, in node:fs's field order. 0, or -errno.
napi_value lstat_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char path[PATH_MAX];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      !path_arg(env, argv[0], path, sizeof path)) return number(env, -EINVAL);
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || length < STAT_FIELDS) return number(env, -EINVAL);
  struct statx st;
  if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_WANTED, &st) < 0) return number(env, -errno);
  fill_stat((double *)data, &st);
  return number(env, 0);
}

// readFileIf(path, dev, ino, birthtimeMs, scratch?): the whole content of the regular file at
// `path` if it is the object with that identity, in one call: open (O_NOFOLLOW: a symlink planted
// at the name is refused; O_NONBLOCK: a FIFO never blocks), fstat (a non-file or another object
// is never read), read, close. A file smaller than `scratch` is read into it and the byte count
// returned (the caller copies it into a Buffer from node's pool: a Buffer made here is a new
// zero-filled backing store that the GC tracks as external memory); a larger one comes back as a
// Buffer of its own. Or -errno: -ESTALE for another object, -EINVAL for a non-file, -ENODATA for
// a file whose size says nothing (st_size 0): the caller takes its portable path.
napi_value read_file_if(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  char path[PATH_MAX];
  double want[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      !path_arg(env, argv[0], path, sizeof path)) return number(env, -EINVAL);
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_double(env, argv[i + 1], &want[i]) != napi_ok) return number(env, -EINVAL);
  }
  void *scratch = NULL;
  size_t scratch_cap = 0;
  if (argc >= 5 && napi_get_buffer_info(env, argv[4], &scratch, &scratch_cap) != napi_ok) return number(env, -EINVAL);
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return number(env, -errno);
  struct statx st;
  int err = 0;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_WANTED, &st) < 0) err = -errno;
  double id[STAT_FIELDS];
  if (err == 0) {
    fill_stat(id, &st);
    if (!S_ISREG(st.stx_mode)) err = -EINVAL;
    else if (id[0] != want[0] || id[7] != want[1] || id[13] != want[2]) err = -ESTALE;
    else if (st.stx_size == 0) err = -ENODATA;
    else if (st.stx_size > (uint64_t)0x7fffffff) err = -EFBIG;
  }
  if (err != 0) {
    close(fd);
    return number(env, err);
  }
  size_t size = (size_t)st.stx_size;
  int into_scratch = size < scratch_cap;
  void *bytes_out = scratch;
  napi_value buffer = NULL;
  if (!into_scratch && napi_create_buffer(env, size, &bytes_out, &buffer) != napi_ok) {
    close(fd);
    return number(env, -ENOMEM);
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, (char *)bytes_out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = -errno;
      break;
    }
    if (n == 0) break;  // shrank meanwhile: what is there now
    done += (size_t)n;
  }
  close(fd);
  if (err != 0) return number(env, err);
  if (into_scratch) return number(env, (int32_t)done);
  if (done == size) return buffer;
  napi_value shorter;
  if (napi_create_buffer_copy(env, done, bytes_out, NULL, &shorter) != napi_ok) return number(env, -ENOMEM);
  return shorter;
}
// openat2(2) (Linux 5.6) is newer than the headers of many build hosts: its number and flags.
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
struct strata_open_how {
  __u64 flags;
  __u64 mode;
  __u64 resolve;
};
#define STRATA_RESOLVE_NO_MAGICLINKS 0x02
#define STRATA_RESOLVE_NO_SYMLINKS 0x04
#define STRATA_RESOLVE_BENEATH 0x08

// readFileBeneath(rootFd, layerPath, into): reads the file at `layerPath` under the directory
// `rootFd`, which the layer's watch vouches to be a regular file of into.length - 1 bytes, into
// `into`. The kernel keeps the walk inside the root and refuses every symlink (openat2
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), so no fstat is needed to stay contained: open, one read,
// close. Reading up to into.length (the size + 1) tells a file that grew from one that did not; a
// short read of a regular file is its end. The caller allocates `into` (a small Buffer comes from
// node's pool, as fs.readFileSync's does: no allocation of its own per read here). The bytes
// read, or -errno: -EAGAIN when the file is not a regular file (a FIFO planted: O_NONBLOCK);
// -ENOSYS or -EPERM (a kernel or seccomp filter refusing openat2): never ask again.
napi_value read_file_beneath(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char path[PATH_MAX];
  int32_t root = -1;
  void *into = NULL;
  size_t cap = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &root) != napi_ok || !path_arg(env, argv[1], path, sizeof path) ||
      napi_get_buffer_info(env, argv[2], &into, &cap) != napi_ok || cap < 2 || cap > 0x7fffffff)
    return number(env, -EINVAL);
  struct strata_open_how how = {
    .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
    .mode = 0,
    .resolve = STRATA_RESOLVE_BENEATH | STRATA_RESOLVE_NO_SYMLINKS | STRATA_RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
  if (fd < 0) return number(env, -errno);
  size_t done = 0;
  int err = 0;
  while (done < cap) {
    size_t asked = cap - done;
    ssize_t n = read(fd, (char *)into + done, asked);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno == EAGAIN ? -EAGAIN : -errno;
      break;
    }
    done += (size_t)n;
    if ((size_t)n < asked) break;
  }
  close(fd);
  return number(env, err != 0 ? err : (int32_t)done);
}
