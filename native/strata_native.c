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
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/types.h>
#include <uv.h>

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

// readFileBeneath(rootFd, layerPath, size): the content of the file at `layerPath` under the
// directory `rootFd`, which the layer's watch vouches to be a regular file of `size` bytes. The
// kernel keeps the walk inside the root and refuses every symlink (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS), so no fstat is needed to stay contained: open, one read, close. The read
// asks for size + 1 bytes, so a file that grew is told apart from one that did not; a short read
// of a regular file is its end. A Buffer of size + 1 bytes (the last one unused) when exactly
// `size` came; else -errno: -EAGAIN when the file changed meanwhile or is not a regular file (a
// FIFO planted: O_NONBLOCK), and the caller takes its checked path. -ENOSYS or -EPERM (a kernel
// or seccomp filter refusing openat2): never ask again.
static napi_value read_file_beneath(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char path[PATH_MAX];
  int32_t root = -1;
  double want = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &root) != napi_ok || !path_arg(env, argv[1], path, sizeof path) ||
      napi_get_value_double(env, argv[2], &want) != napi_ok || !(want >= 1 && want < 0x7fffffff))
    return number(env, -EINVAL);
  struct strata_open_how how = {
    .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
    .mode = 0,
    .resolve = STRATA_RESOLVE_BENEATH | STRATA_RESOLVE_NO_SYMLINKS | STRATA_RESOLVE_NO_MAGICLINKS,
  };
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
  if (fd < 0) return number(env, -errno);
  size_t size = (size_t)want;
  size_t cap = size + 1;
  void *bytes_out;
  napi_value buffer;
  if (napi_create_buffer(env, cap, &bytes_out, &buffer) != napi_ok) {
    close(fd);
    return number(env, -ENOMEM);
  }
  size_t done = 0;
  int err = 0;
  while (done < cap) {
    size_t asked = cap - done;
    ssize_t n = read(fd, (char *)bytes_out + done, asked);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno == EAGAIN ? -EAGAIN : -errno;
      break;
    }
    done += (size_t)n;
    if ((size_t)n < asked) break;
  }
  close(fd);
  if (err == 0 && done != size) err = -EAGAIN;
  return err != 0 ? number(env, err) : buffer;
}
// ---- end of DirLayer's hot paths ------------------------------------------------------------

// ---- renameat2 (bindings/layers/host/rename-at2.ts) -------------------------------------------
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
static napi_value rename_at2(napi_env env, napi_callback_info info) {
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
// ---- end of renameat2 ---------------------------------------------------------------------------

// flockExclusive(fd): flock(fd, LOCK_EX | LOCK_NB), the writer lock on a work directory
// (bindings/layers/host/work-dir.ts). The kernel drops it when the descriptor is closed or the
// process dies, whatever PID namespace or container the holder is in. 0, or -errno (-EWOULDBLOCK:
// another open of the directory holds it).
static napi_value flock_exclusive(napi_env env, napi_callback_info info) {
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
static napi_value mknod_at(napi_env env, napi_callback_info info) {
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

// ---- The watch queue (bindings/layers/host/watch-queue.ts) -----------------------------------
// One inotify instance per Node environment, read two ways: synchronously, at the start of each
// overlay operation (watchQueueRead: every change whose syscall has returned is already queued
// by the kernel, so the operation sees it — what fs.watch, delivered later by the event loop,
// cannot give), and asynchronously, when the loop sees the descriptor readable (the callback
// given to watchQueueOpen), so subscribers hear of changes while no operation runs. The poll
// handle is unref'd: watching never keeps a process alive.

#define WATCH_MASK (IN_ATTRIB | IN_CREATE | IN_MODIFY | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
                    IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR | IN_EXCL_UNLINK)

typedef struct {
  int fd;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
} watch_queue;

static void queue_closed(uv_handle_t *handle) {
  free(handle->data);
}

// The environment is going away: stop polling, give the descriptor back.
static void queue_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watch_queue *q = data;
  napi_delete_reference(env, q->callback);
  napi_async_destroy(env, q->async);
  uv_poll_stop(&q->poll);
  close(q->fd);
  uv_close((uv_handle_t *)&q->poll, queue_closed);
}

static void queue_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  watch_queue *q = handle->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(q->env, &scope) != napi_ok) return;
  napi_value callback, recv, result;
  if (napi_get_reference_value(q->env, q->callback, &callback) == napi_ok && callback != NULL &&
      napi_get_global(q->env, &recv) == napi_ok &&
      napi_make_callback(q->env, q->async, recv, callback, 0, NULL, &result) == napi_pending_exception) {
    napi_value err;
    if (napi_get_and_clear_last_exception(q->env, &err) == napi_ok) napi_fatal_exception(q->env, err);
  }
  napi_close_handle_scope(q->env, scope);
}

static watch_queue *queue_of(napi_env env) {
  void *data = NULL;
  return napi_get_instance_data(env, &data) == napi_ok ? data : NULL;
}

// watchQueueOpen(onReadable): this environment's queue (made on the first call): its descriptor,
// or -errno.
static napi_value watch_queue_open(napi_env env, napi_callback_info info) {
  watch_queue *q = queue_of(env);
  if (q != NULL) return number(env, q->fd);
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) return number(env, -EINVAL);
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return number(env, -EINVAL);
  q = calloc(1, sizeof *q);
  if (q == NULL) return number(env, -ENOMEM);
  q->env = env;
  q->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (q->fd < 0) {
    int err = errno;
    free(q);
    return number(env, -err);
  }
  napi_value name, resource;
  if (uv_poll_init(loop, &q->poll, q->fd) != 0) {
    close(q->fd);
    free(q);
    return number(env, -EIO);
  }
  q->poll.data = q;
  napi_create_string_utf8(env, "strata:watch-queue", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  napi_async_init(env, resource, name, &q->async);
  napi_create_reference(env, argv[0], 1, &q->callback);
  uv_poll_start(&q->poll, UV_READABLE, queue_readable);
  uv_unref((uv_handle_t *)&q->poll);
  napi_set_instance_data(env, q, queue_finalize, NULL);
  return number(env, q->fd);
}

// watchQueueAdd(path): inotify_add_watch of the directory at `path`: the watch descriptor (the
// same one again for a directory already watched), or -errno.
static napi_value watch_queue_add(napi_env env, napi_callback_info info) {
  watch_queue *q = queue_of(env);
  size_t argc = 1;
  napi_value argv[1];
  char path[PATH_MAX];
  if (q == NULL) return number(env, -EBADF);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      !path_arg(env, argv[0], path, sizeof path)) return number(env, -EINVAL);
  int wd = inotify_add_watch(q->fd, path, WATCH_MASK);
  return number(env, wd < 0 ? -errno : wd);
}

// watchQueueRemove(wd): inotify_rm_watch; 0 or -errno.
static napi_value watch_queue_remove(napi_env env, napi_callback_info info) {
  watch_queue *q = queue_of(env);
  int ok;
  int wd = int_arg(env, info, 0, &ok);
  if (q == NULL) return number(env, -EBADF);
  if (!ok) return number(env, -EINVAL);
  return number(env, inotify_rm_watch(q->fd, wd) < 0 ? -errno : 0);
}

// watchQueueRead(buffer): the events queued so far, read into `buffer` (struct inotify_event
// records): the byte count, -EAGAIN when there are none, or -errno. Never blocks.
static napi_value watch_queue_read(napi_env env, napi_callback_info info) {
  watch_queue *q = queue_of(env);
  size_t argc = 1;
  napi_value argv[1];
  void *data;
  size_t length;
  if (q == NULL) return number(env, -EBADF);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) return number(env, -EINVAL);
  for (;;) {
    ssize_t n = read(q->fd, data, length);
    if (n >= 0) return number(env, (int32_t)n);
    if (errno != EINTR) return number(env, -errno);
  }
}
// ---- end of the watch queue -----------------------------------------------------------------

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
  export_function(env, exports, "readFileBeneath", read_file_beneath);
  export_function(env, exports, "renameAt2", rename_at2);
  export_function(env, exports, "mknodAt", mknod_at);
  export_function(env, exports, "flockExclusive", flock_exclusive);
  export_function(env, exports, "watchQueueOpen", watch_queue_open);
  export_function(env, exports, "watchQueueAdd", watch_queue_add);
  export_function(env, exports, "watchQueueRemove", watch_queue_remove);
  export_function(env, exports, "watchQueueRead", watch_queue_read);
  return exports;
}
