// The watch queue's readiness, readable without a syscall (watch-queue.c uses it).
//
// Why: the default DirLayer must see every host change made before an operation began, and the
// inotify queue holds them — but asking it costs a read() per operation, which is most of a cached
// stat's price on a host with costly syscalls. An io_uring poll on the inotify descriptor moves
// that question into shared memory. When the kernel queues an event it wakes the poll in the
// changing task's own context, before that task's syscall returns; the wake-up queues the poll's
// task work on this ring and, with TASKRUN_FLAG, sets IORING_SQ_TASKRUN in the ring's shared
// flags there and then. With DEFER_TASKRUN that work runs only when this task asks for it
// (io_uring_enter with GETEVENTS, in queue_ring_arm), and the kernel clears the flag before it
// takes the work list, so the flag stays set while any such work waits: "flag set, or a
// completion unreaped" holds from the moment an event is queued after the poll was armed, with
// nothing late by a wake-up. (COOP_TASKRUN alone is not enough: there any kernel exit of this
// task runs the work and clears the flag, and a wake-up landing while it does can leave work
// pending with the flag cleared until this task next enters the kernel.)
// The poll is one-shot and at most one stands: after the queue has been read, queue_ring_arm runs
// the poll's work, reaps its completion and arms it again; a poll armed on a queue that is
// already non-empty completes at once, so nothing slips between the read and the arming.
#include "helper.h"
#include <errno.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif

int queue_ring_open(queue_ring *r) {
  struct io_uring_params p;
  memset(r, 0, sizeof *r);
  r->fd = -1;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  // Kernels before 6.1 refuse the flags (EINVAL); container seccomp profiles often refuse
  // io_uring altogether (EPERM, ENOSYS): the caller then reads the queue at every operation.
  int fd = (int)syscall(__NR_io_uring_setup, 2, &p);
  if (fd < 0) return -errno;
  if ((p.features & IORING_FEAT_SINGLE_MMAP) == 0) {
    close(fd);
    return -ENOTSUP;
  }
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(uint32_t);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t size = sq_size > cq_size ? sq_size : cq_size;
  void *rings = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (rings == MAP_FAILED) {
    int err = errno;
    close(fd);
    return -err;
  }
  size_t sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
  void *sqes = mmap(NULL, sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) {
    int err = errno;
    munmap(rings, size);
    close(fd);
    return -err;
  }
  r->fd = fd;
  r->rings = rings;
  r->rings_size = size;
  r->sqes = sqes;
  r->sqes_size = sqes_size;
  r->sq_flags = p.sq_off.flags;
  r->sq_tail = p.sq_off.tail;
  r->sq_mask = p.sq_off.ring_mask;
  r->sq_array = p.sq_off.array;
  r->cq_head = p.cq_off.head;
  r->cq_tail = p.cq_off.tail;
  return 0;
}

static uint32_t *word(const queue_ring *r, uint32_t offset) {
  return (uint32_t *)((char *)r->rings + offset);
}

static int enter(const queue_ring *r, unsigned to_submit, unsigned flags) {
  for (;;) {
    int n = (int)syscall(__NR_io_uring_enter, r->fd, to_submit, 0, flags, NULL, 0);
    if (n >= 0) return n;
    if (errno != EINTR) return -errno;
  }
}

int queue_ring_arm(queue_ring *r, int fd) {
  if (r->fd < 0) return -EBADF;
  // Run the poll's waiting work: it completes the poll, or arms it again by itself when the
  // events that woke it were read meanwhile (no completion then: the poll still stands).
  if ((__atomic_load_n(word(r, r->sq_flags), __ATOMIC_ACQUIRE) & IORING_SQ_TASKRUN) != 0) {
    int n = enter(r, 0, IORING_ENTER_GETEVENTS);
    if (n < 0) return n;
  }
  // Reap what the poll posted: only "it completed" mattered.
  uint32_t tail = __atomic_load_n(word(r, r->cq_tail), __ATOMIC_ACQUIRE);
  if (*word(r, r->cq_head) != tail) {
    __atomic_store_n(word(r, r->cq_head), tail, __ATOMIC_RELEASE);
    r->armed = 0;
  }
  if (r->armed) return 0;
  uint32_t sq_tail = *word(r, r->sq_tail);
  uint32_t index = sq_tail & *word(r, r->sq_mask);
  struct io_uring_sqe *sqe = (struct io_uring_sqe *)r->sqes + index;
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  sqe->poll32_events = POLLIN;
  word(r, r->sq_array)[index] = index;
  __atomic_store_n(word(r, r->sq_tail), sq_tail + 1, __ATOMIC_RELEASE);
  int n = enter(r, 1, 0);
  if (n != 1) return n < 0 ? n : -EIO;
  r->armed = 1;
  return 0;
}

void queue_ring_close(queue_ring *r) {
  if (r->fd < 0) return;
  munmap(r->sqes, r->sqes_size);
  munmap(r->rings, r->rings_size);
  close(r->fd);
  r->fd = -1;
}
