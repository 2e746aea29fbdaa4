// Strata's native helper: the few Linux calls a host-directory layer needs that node:fs does not
// offer. Every function takes and returns plain numbers and buffers; a failure is returned as a
// negative errno (never thrown), so the TypeScript side builds the Node-style error with the path
// it knows (bindings/native.ts).
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/types.h>

// FS_IOC_GETFSUUID (Linux 6.5) is newer than the kernel headers of many build hosts.
struct strata_fsuuid2 {
  __u8 len;
  __u8 uuid[16];
};
#define STRATA_FS_IOC_GETFSUUID _IOR(0x15, 0, struct strata_fsuuid2)

// Large enough for every exportable filesystem's handle (the kernel's MAX_HANDLE_SZ is 128).
#define HANDLE_CAPACITY 128

static int32_t int_arg(napi_env env, napi_callback_info info, size_t index, int *ok) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t value = 0;
  *ok = napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && index < argc &&
        napi_get_value_int32(env, argv[index], &value) == napi_ok;
  return value;
}

static napi_value number(napi_env env, int32_t value) {
  napi_value out;
  napi_create_int32(env, value, &out);
  return out;
}

static napi_value bytes(napi_env env, const void *data, size_t length) {
  napi_value out;
  void *copy;
  if (napi_create_buffer_copy(env, length, data, &copy, &out) != napi_ok) return number(env, -ENOMEM);
  return out;
}

// fileHandle(fd): the object's file handle as name_to_handle_at(2) encodes it, as one buffer:
// the handle type (u32, little-endian) followed by the handle bytes. Asked of a descriptor
// (AT_EMPTY_PATH), so the answer is about the object already opened, never a name re-resolved.
static napi_value file_handle(napi_env env, napi_callback_info info) {
  int ok;
  int fd = int_arg(env, info, 0, &ok);
  if (!ok) return number(env, -EINVAL);
  struct file_handle *fh = malloc(sizeof(struct file_handle) + HANDLE_CAPACITY);
  if (fh == NULL) return number(env, -ENOMEM);
  fh->handle_bytes = HANDLE_CAPACITY;
  int mount_id;
  if (name_to_handle_at(fd, "", fh, &mount_id, AT_EMPTY_PATH) < 0) {
    int err = errno;
    free(fh);
    return number(env, -err);
  }
  uint8_t out[4 + HANDLE_CAPACITY];
  uint32_t type = (uint32_t)fh->handle_type;
  out[0] = type & 0xff;
  out[1] = (type >> 8) & 0xff;
  out[2] = (type >> 16) & 0xff;
  out[3] = (type >> 24) & 0xff;
  memcpy(out + 4, fh->f_handle, fh->handle_bytes);
  size_t length = 4 + fh->handle_bytes;
  free(fh);
  return bytes(env, out, length);
}

// fsUuid(fd): the UUID of the filesystem holding the descriptor's object (FS_IOC_GETFSUUID).
static napi_value fs_uuid(napi_env env, napi_callback_info info) {
  int ok;
  int fd = int_arg(env, info, 0, &ok);
  if (!ok) return number(env, -EINVAL);
  struct strata_fsuuid2 u;
  memset(&u, 0, sizeof u);
  if (ioctl(fd, STRATA_FS_IOC_GETFSUUID, &u) < 0) return number(env, -errno);
  if (u.len > sizeof u.uuid) return number(env, -EOVERFLOW);
  return bytes(env, u.uuid, u.len);
}

// ---- DirLayer's hot paths (bindings/layers/host/vouched-stats.ts, file-content.ts) ----------
// A cached hit over a DirLayer costs one call here instead of several node:fs calls: no Stats
// object per lstat, no JS<->C++ transition per syscall. Numbers are converted exactly as libuv
// and node:fs convert them (makedev, sec * 1e3 + nsec / 1e6), so identities compare equal.

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

// A path argument copied to `buf` (NUL-terminated); 0 when it is no string or does not fit.
static int path_arg(napi_env env, napi_value value, char *buf, size_t size) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, buf, size, &length) != napi_ok) return 0;
  // Too long (truncated), or a NUL inside (C would see a shorter, other path).
  return length + 1 < size && strlen(buf) == length;
}

// lstatInto(path, out: Float64Array(14)): lstat(2) of `path` (a final symlink is not followed)
// into `out`, in node:fs's field order. 0, or -errno.
static napi_value lstat_into(napi_env env, napi_callback_info info) {
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

// readFileIf(path, dev, ino, birthtimeMs): the whole content of the regular file at `path` if it
// is the object with that identity, in one call: open (O_NOFOLLOW: a symlink planted at the name
// is refused; O_NONBLOCK: a FIFO never blocks), fstat (a non-file or another object is never
// read), read, close. A Buffer, or -errno: -ESTALE for another object, -EINVAL for a non-file,
// -ENODATA for a file whose size says nothing (st_size 0): the caller takes its portable path.
static napi_value read_file_if(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char path[PATH_MAX];
  double want[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      !path_arg(env, argv[0], path, sizeof path)) return number(env, -EINVAL);
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_double(env, argv[i + 1], &want[i]) != napi_ok) return number(env, -EINVAL);
  }
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
  void *bytes_out;
  napi_value buffer;
  if (napi_create_buffer(env, size, &bytes_out, &buffer) != napi_ok) {
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
  if (done == size) return buffer;
  napi_value shorter;
  if (napi_create_buffer_copy(env, done, bytes_out, NULL, &shorter) != napi_ok) return number(env, -ENOMEM);
  return shorter;
}
// ---- end of DirLayer's hot paths ------------------------------------------------------------

static void export_function(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  export_function(env, exports, "fileHandle", file_handle);
  export_function(env, exports, "fsUuid", fs_uuid);
  export_function(env, exports, "lstatInto", lstat_into);
  export_function(env, exports, "readFileIf", read_file_if);
  return exports;
}
