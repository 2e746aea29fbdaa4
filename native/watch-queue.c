// The watch queue (bindings/layers/host/watch-queue.ts).
// One inotify instance per Node environment, read two ways: synchronously, at the start of each
// overlay operation (watchQueueRead: every change whose syscall has returned is already queued
// by the kernel, so the operation sees it — what fs.watch, delivered later by the event loop,
// cannot give), and asynchronously, when the loop sees the descriptor readable (the callback
// given to watchQueueOpen), so subscribers hear of changes while no operation runs. The poll
// handle is unref'd: watching never keeps a process alive. Where io_uring is allowed, the queue
// also has a ring (queue-ring.c, watchQueueRing/watchQueueArm) that says in shared memory whether
// a read would find anything, so the synchronous read is made only when it would.
#include "helper.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <uv.h>


#define WATCH_MASK (IN_ATTRIB | IN_CREATE | IN_MODIFY | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
                    IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR | IN_EXCL_UNLINK)

typedef struct {
  int fd;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  uv_poll_t poll;
  queue_ring ring;
  int ring_error;  // why there is no ring (-errno of its setup), or 0
  napi_ref ring_view;  // watchQueueRing's answer: one ArrayBuffer over the mapping, however often asked
} watch_queue;

static void queue_closed(uv_handle_t *handle) {
  free(handle->data);
}

// The environment is going away: stop polling, give the descriptor back.
static void queue_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watch_queue *q = data;
  napi_delete_reference(env, q->callback);
  if (q->ring_view != NULL) napi_delete_reference(env, q->ring_view);
  napi_async_destroy(env, q->async);
  uv_poll_stop(&q->poll);
  queue_ring_close(&q->ring);
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
napi_value watch_queue_open(napi_env env, napi_callback_info info) {
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
  // Best effort: without the ring, each operation reads the queue instead.
  q->ring_error = queue_ring_open(&q->ring);
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
napi_value watch_queue_add(napi_env env, napi_callback_info info) {
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
napi_value watch_queue_remove(napi_env env, napi_callback_info info) {
  watch_queue *q = queue_of(env);
  int ok;
  int wd = int_arg(env, info, 0, &ok);
  if (q == NULL) return number(env, -EBADF);
  if (!ok) return number(env, -EINVAL);
  return number(env, inotify_rm_watch(q->fd, wd) < 0 ? -errno : 0);
}

// watchQueueRead(buffer): the events queued so far, read into `buffer` (struct inotify_event
// records): the byte count, -EAGAIN when there are none, or -errno. Never blocks.
napi_value watch_queue_read(napi_env env, napi_callback_info info) {
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

// watchQueueRing(): the shared memory that says whether the queue may hold events, as
// { memory: ArrayBuffer, flags, head, tail } (Uint32 indices into memory: the SQ flags word, whose
// IORING_SQ_TASKRUN bit is set, and the CQ head and tail, which differ, once an event is queued
// after watchQueueArm), or -errno when this host has no such ring (queue-ring.c says why).
napi_value watch_queue_ring(napi_env env, napi_callback_info info) {
  (void)info;
  watch_queue *q = queue_of(env);
  if (q == NULL) return number(env, -EBADF);
  if (q->ring.fd < 0) return number(env, q->ring_error < 0 ? q->ring_error : -ENOTSUP);
  napi_value out, memory;
  if (q->ring_view != NULL && napi_get_reference_value(env, q->ring_view, &out) == napi_ok && out != NULL) return out;
  // The mapping lives as long as the environment (queue_finalize unmaps it); the buffer needs
  // no finalizer of its own. Runtimes built with V8's sandbox refuse outside memory.
  if (napi_create_external_arraybuffer(env, q->ring.rings, q->ring.rings_size, NULL, NULL, &memory) != napi_ok) {
    napi_value err;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) napi_get_and_clear_last_exception(env, &err);
    return number(env, -ENOTSUP);
  }
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "memory", memory);
  napi_set_named_property(env, out, "flags", number(env, (int32_t)(q->ring.sq_flags / 4)));
  napi_set_named_property(env, out, "head", number(env, (int32_t)(q->ring.cq_head / 4)));
  napi_set_named_property(env, out, "tail", number(env, (int32_t)(q->ring.cq_tail / 4)));
  napi_create_reference(env, out, 1, &q->ring_view);
  return out;
}

// watchQueueArm(): after the queue was read empty, watch it for the next event (queue-ring.c):
// 0 or -errno.
napi_value watch_queue_arm(napi_env env, napi_callback_info info) {
  (void)info;
  watch_queue *q = queue_of(env);
  if (q == NULL) return number(env, -EBADF);
  return number(env, queue_ring_arm(&q->ring, q->fd));
}
