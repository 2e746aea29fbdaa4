// File handles (name_to_handle_at) and a filesystem's UUID: the kernel's index=on names a lower
// file by them (bindings/layers/host/index-dir.ts).
#include "helper.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/types.h>

// FS_IOC_GETFSUUID (Linux 6.5) is newer than the kernel headers of many build hosts.
struct strata_fsuuid2 {
  __u8 len;
  __u8 uuid[16];
};
#define STRATA_FS_IOC_GETFSUUID _IOR(0x15, 0, struct strata_fsuuid2)

// Large enough for every exportable filesystem's handle (the kernel's MAX_HANDLE_SZ is 128).
#define HANDLE_CAPACITY 128

// fileHandle(fd): the object's file handle as name_to_handle_at(2) encodes it, as one buffer:
// the handle type (u32, little-endian) followed by the handle bytes. Asked of a descriptor
// (AT_EMPTY_PATH), so the answer is about the object already opened, never a name re-resolved.
napi_value file_handle(napi_env env, napi_callback_info info) {
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
napi_value fs_uuid(napi_env env, napi_callback_info info) {
  int ok;
  int fd = int_arg(env, info, 0, &ok);
  if (!ok) return number(env, -EINVAL);
  struct strata_fsuuid2 u;
  memset(&u, 0, sizeof u);
  if (ioctl(fd, STRATA_FS_IOC_GETFSUUID, &u) < 0) return number(env, -errno);
  if (u.len > sizeof u.uuid) return number(env, -EOVERFLOW);
  return bytes(env, u.uuid, u.len);
}
