// The process's inotify queue (native helper), shared by every watching DirLayer: one watch per
// host directory however many layers look into it, and two ways to read it. Synchronously —
// deliver(), which each overlay operation calls first (Layer.changeSource): the kernel queues an
// event before the changing syscall returns, so a change made before the operation began is
// reported to the layer, and through it to every cache, before anything is answered. And
// asynchronously, when the event loop sees the queue readable, so that subscribers hear of changes
// while no operation runs. fs.watch has only the second: its events arrive a loop turn late.
// Where the host allows io_uring, the synchronous read is made only when the queue may hold
// something: a poll on it marks shared memory as soon as the kernel queues an event (before the
// changing syscall returns, native/queue-ring.c), so an operation over an unchanged host makes no
// syscall at all to know it is unchanged.
import { native } from './native.js';

// <sys/inotify.h>
const IN_MODIFY = 0x2;
const IN_ATTRIB = 0x4;
const IN_MOVE_SELF = 0x800;
const IN_Q_OVERFLOW = 0x4000;
const IN_IGNORED = 0x8000;
/** struct inotify_event: wd, mask, cookie, len, then `len` bytes of NUL-padded name. */
const HEADER = 16;

/** One watched directory's listener. */
export interface DirectorySink {
  /**
   * `name` in the directory changed: 'change' (data, attributes) or 'rename' (anything else);
   * name '' for the directory's own attributes, or its being moved.
   */
  onEvent(event: 'rename' | 'change', name: string): void;
  /** The watch ended (the directory was removed or unmounted): nothing below is watched now. */
  onGone(): void;
}

export class WatchQueue {
  /** Watch descriptor → the sinks of every layer watching that directory. */
  private readonly sinks = new Map<number, Set<DirectorySink>>();
  /** Told when the kernel dropped events (its queue overflowed): nothing watched is vouched for. */
  private readonly overflowListeners = new Set<() => void>();
  private readonly buffer = Buffer.allocUnsafe(65536);
  private delivering = false;
  /** performance.now() of the last read made for an operation (deliver), kept without the ring. */
  private deliveredAt = -Infinity;

  /** The ring's shared words (see mayHoldEvents), or null: then every operation reads the queue. */
  private ring: Uint32Array | null = null;
  private ringFlags = 0;
  private ringHead = 0;
  private ringTail = 0;

  private constructor(private readonly helper: NonNullable<ReturnType<typeof native>>) {}

  /** The queue, or null without the native helper (callers then use fs.watch). */
  static shared(): WatchQueue | null {
    if (shared !== undefined) return shared;
    const helper = native();
    const queue = helper === null ? null : new WatchQueue(helper);
    if (queue !== null && helper!.watchQueueOpen(() => queue.drain()) < 0) return (shared = null);
    queue?.useRing();
    return (shared = queue);
  }

  /**
   * Watch the directory at `hostPath` for `sink`: the watch descriptor to remove it with, or
   * -errno (e.g. -ENOSPC at the inotify watch limit).
   */
  add(hostPath: string, sink: DirectorySink): number {
    const wd = this.helper.watchQueueAdd(hostPath);
    if (wd < 0) return wd;
    let set = this.sinks.get(wd);
    if (set === undefined) this.sinks.set(wd, (set = new Set()));
    set.add(sink);
    return wd;
  }

  /** Stop telling `sink`; the kernel watch goes once no layer needs it. */
  remove(wd: number, sink: DirectorySink): void {
    const set = this.sinks.get(wd);
    if (set === undefined || !set.delete(sink) || set.size > 0) return;
    this.sinks.delete(wd);
    this.helper.watchQueueRemove(wd);
  }

  onOverflow(listener: () => void): () => void {
    this.overflowListeners.add(listener);
    return () => this.overflowListeners.delete(listener);
  }

  /**
   * Report every event queued so far to its sinks (when there are none: no syscall with the ring,
   * else one read). Not re-entered:
   * a sink's layer call that leads back here finds the batch already being delivered.
   */
  deliver(): void {
    // Nothing watched: no read (an overlay that has not looked into a directory yet). What a
    // removed watch left queued (its IN_IGNORED) is drained from the event loop.
    if (this.sinks.size !== 0 && this.mayHoldEvents()) this.drain();
    if (this.ring === null) this.deliveredAt = performance.now();
  }

  /**
   * Whether every change the kernel has queued has reached the sinks: ContainedTree's vouched
   * directories are used only then. With the ring this is exact, now. Without it, whether an
   * operation read the queue within the last `ms`: a layer called outside an operation (no read
   * first: the reference model, a custom engine), or long after its read, checks its held
   * directories.
   */
  caughtUp(ms: number): boolean {
    return this.ring !== null ? !this.mayHoldEvents() : performance.now() - this.deliveredAt <= ms;
  }

  /** Whether the queue's readiness is read from shared memory (else by a read per operation). */
  get hasRing(): boolean {
    return this.ring !== null;
  }

  /** Whether events may be queued: always true without the ring; with it, exact (never late). */
  mayHoldEvents(): boolean {
    const ring = this.ring;
    // Any flag (TASKRUN: the poll woke; CQ_OVERFLOW: never expected) or an unreaped completion.
    return ring === null || (ring[this.ringFlags]! | (ring[this.ringTail]! ^ ring[this.ringHead]!)) !== 0;
  }

  private useRing(): void {
    const ring = this.helper.watchQueueRing?.();
    if (ring === undefined || typeof ring === 'number') return;
    this.ring = new Uint32Array(ring.memory);
    this.ringFlags = ring.flags;
    this.ringHead = ring.head;
    this.ringTail = ring.tail;
    this.arm();
  }

  /** Poll the (just emptied) queue for its next event; on failure, read at every operation. */
  private arm(): void {
    if (this.ring !== null && this.helper.watchQueueArm!() < 0) this.ring = null;
  }

  /**
   * Read the queue until it is empty. The event loop calls this while the descriptor is readable
   * (level-triggered): it must always empty it, or the loop calls it again at once, forever.
   */
  private drain(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (;;) {
        const n = this.helper.watchQueueRead(this.buffer);
        if (n <= 0) break;
        this.dispatch(n);
      }
      // Only now: a poll armed on a queue that filled meanwhile completes at once.
      this.arm();
    } finally {
      this.delivering = false;
    }
  }

  private dispatch(length: number): void {
    const b = this.buffer;
    // One report per name per batch: a large write queues many IN_MODIFY, and each report costs
    // the layer a look at the path (which finds the state after the whole batch anyway).
    const batch = new Map<string, { wd: number; name: string; event: 'rename' | 'change' }>();
    let overflow = false;
    const gone: number[] = [];
    for (let at = 0; at + HEADER <= length;) {
      const wd = b.readInt32LE(at);
      const mask = b.readUInt32LE(at + 4);
      const len = b.readUInt32LE(at + 12);
      let end = at + HEADER;
      while (end < at + HEADER + len && b[end] !== 0) end++;
      const name = b.toString('utf8', at + HEADER, end);
      at += HEADER + len;
      if ((mask & IN_Q_OVERFLOW) !== 0) overflow = true;
      else if ((mask & IN_IGNORED) !== 0) gone.push(wd);
      else if (name !== '' || (mask & (IN_ATTRIB | IN_MOVE_SELF)) !== 0) {
        // The directory's own events (name '') are also its parent's, about its name there — but
        // the root's parent is nobody's.
        const key = `${wd}/${name}`;
        const event = (mask & (IN_MODIFY | IN_ATTRIB)) !== 0 ? 'change' : 'rename';
        const seen = batch.get(key);
        if (seen === undefined) batch.set(key, { wd, name, event });
        else if (event === 'rename') seen.event = 'rename';
      }
    }
    for (const { wd, name, event } of batch.values()) {
      const set = this.sinks.get(wd);
      if (set !== undefined) for (const sink of [...set]) tell(() => sink.onEvent(event, name));
    }
    for (const wd of gone) {
      const set = this.sinks.get(wd);
      this.sinks.delete(wd);
      if (set !== undefined) for (const sink of set) tell(() => sink.onGone());
    }
    if (overflow) for (const listener of [...this.overflowListeners]) tell(listener);
  }
}

let shared: WatchQueue | null | undefined;

/**
 * Run a sink (which reaches layer listeners, user code among them). What one throws does not
 * stop the batch, whose events are already out of the kernel's queue, nor fail the operation that
 * happened to read them: it is thrown from a tick of its own, as a throwing fs.watch listener's is.
 */
function tell(call: () => void): void {
  try {
    call();
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
  }
}
