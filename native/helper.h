// Strata's native helper: the few Linux calls a host-directory layer needs that node:fs does not
// offer. Every function takes and returns plain numbers and buffers; a failure is returned as a
// negative errno (never thrown), so the TypeScript side builds the Node-style error with the path
// it knows (bindings/layers/host/native.ts). One file per area; this header is what they share.
#ifndef STRATA_HELPER_H
#define STRATA_HELPER_H
#define _GNU_SOURCE
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>

// ---- arguments and results (args.c) ----
// The int32 argument at `index` (of at most 4); *ok is 0 when it is missing or no int32.
int32_t int_arg(napi_env env, napi_callback_info info, size_t index, int *ok);
// A path argument copied to `buf` (NUL-terminated); 0 when it is no string or does not fit.
int path_arg(napi_env env, napi_value value, char *buf, size_t size);
napi_value number(napi_env env, int32_t value);
// A Buffer holding a copy of `data` (or -ENOMEM).
napi_value bytes(napi_env env, const void *data, size_t length);

// ---- file handles and filesystem identity (handles.c) ----
napi_value file_handle(napi_env env, napi_callback_info info);
napi_value fs_uuid(napi_env env, napi_callback_info info);

// ---- DirLayer's hot paths (hot-paths.c) ----
napi_value lstat_into(napi_env env, napi_callback_info info);
napi_value read_file_if(napi_env env, napi_callback_info info);
napi_value read_file_beneath(napi_env env, napi_callback_info info);

// ---- names in an upper or work directory (names.c) ----
napi_value rename_at2(napi_env env, napi_callback_info info);
napi_value mknod_at(napi_env env, napi_callback_info info);
napi_value flock_exclusive(napi_env env, napi_callback_info info);

// ---- the watch queue's readiness in shared memory (queue-ring.c) ----
typedef struct {
  int fd;  // the io_uring descriptor, or -1
  void *rings;
  size_t rings_size;
  void *sqes;
  size_t sqes_size;
  // Byte offsets into `rings` (struct io_sqring_offsets / io_cqring_offsets).
  uint32_t sq_flags, sq_tail, sq_mask, sq_array, cq_head, cq_tail;
  int armed;  // a poll stands (submitted, its completion not reaped)
} queue_ring;
int queue_ring_open(queue_ring *r);
// Reap the poll's completion and, unless a poll still stands, poll `fd` for input again: 0 or
// -errno.
int queue_ring_arm(queue_ring *r, int fd);
void queue_ring_close(queue_ring *r);

// ---- the watch queue (watch-queue.c) ----
napi_value watch_queue_open(napi_env env, napi_callback_info info);
napi_value watch_queue_add(napi_env env, napi_callback_info info);
napi_value watch_queue_remove(napi_env env, napi_callback_info info);
napi_value watch_queue_read(napi_env env, napi_callback_info info);
napi_value watch_queue_ring(napi_env env, napi_callback_info info);
napi_value watch_queue_arm(napi_env env, napi_callback_info info);
#endif
