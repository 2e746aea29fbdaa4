// watch/watchFile on the merged view. The overlay's own change feed (Overlay.subscribe: changes
// underneath and every write through the overlay, in overlay paths) and the adapter's reports of
// its own writes feed one queue; the layers of the deprecated `watchLayers` option still do too.
// Events are delivered on a later turn of the event loop, after the overlay has taken the change
// in, so a listener that reads the file sees the new state. Duplicates within one turn are merged.
import { fsError } from '../errors.js';
import type { OverlayChange } from '../engine/change-feed.js';
import type { Layer, LayerChange } from '../layers/layer.js';
import type { Overlay } from '../overlay.js';
import { invalidArgType } from './arg-errors.js';
import { optionsOf } from './options.js';
import type { PathArgs } from './path-args.js';
import { normal, StatWatchers } from './watch-file.js';
import { TimerHandle } from './timer-handle.js';

export type EventType = 'rename' | 'change';

function kindOf(change: LayerChange | OverlayChange): EventType | undefined {
  switch (change.kind) {
    case 'data': case 'meta': case 'replace': return 'change';
    case 'expire': return undefined;
    default: return 'rename';
  }
}

/** One keep-alive timer per watcher stands for node's libuv handle (ref/unref, persistent). */
function keepAlive(persistent: boolean): NodeJS.Timeout {
  const t = setInterval(() => {}, 0x7fffffff);
  if (!persistent) t.unref();
  return t;
}

export class FSWatcher extends TimerHandle {

  constructor(
    private readonly hub: ChangeHub,
    readonly watched: string,
    private readonly recursive: boolean,
    private readonly encoding: BufferEncoding | 'buffer',
    persistent: boolean,
  ) {
    super();
    this.timer = keepAlive(persistent);
  }

  /** The name node:fs would report for a change at `path`, or undefined when not ours. */
  nameFor(path: string): string | undefined {
    const w = this.watched;
    if (path === w) return w.slice(w.lastIndexOf('/') + 1);
    const prefix = w === '/' ? '/' : w + '/';
    if (!path.startsWith(prefix)) return undefined;
    const rest = path.slice(prefix.length);
    if (!this.recursive && rest.includes('/')) return undefined;
    return rest;
  }

  deliver(eventType: EventType, name: string): void {
    if (this.timer === undefined) return;
    const filename = this.encoding === 'buffer' ? Buffer.from(name) : this.encoding === 'utf8' ? name : Buffer.from(name).toString(this.encoding);
    this.emit('change', eventType, filename);
  }

  close(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.hub.detach(this);
    process.nextTick(() => this.emit('close'));
  }
}

export class ChangeHub {
  private readonly watchers = new Set<FSWatcher>();
  private readonly pending = new Map<string, [string, EventType]>();
  private unsubscribers: (() => void)[] = [];
  private scheduled = false;
  readonly statWatchers: StatWatchers;

  constructor(private readonly ov: Overlay, private readonly paths: PathArgs, private readonly layers: readonly Layer[]) {
    this.statWatchers = new StatWatchers(ov, paths, () => this.syncSubscriptions());
  }

  /** A change the adapter made itself. */
  report = (path: string, eventType: EventType): void => {
    if (this.watchers.size === 0 && this.statWatchers.size === 0) return;
    const p = normal(path);
    this.pending.set(`${eventType}\0${p}`, [p, eventType]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  };

  private flush(): void {
    this.scheduled = false;
    const events = [...this.pending.values()];
    this.pending.clear();
    for (const [path, type] of events) {
      for (const w of this.watchers) {
        const name = w.nameFor(path);
        if (name !== undefined) w.deliver(type, name);
      }
    }
    this.statWatchers.check(events.map(([p]) => p));
  }

  watch(p: unknown, options?: unknown, listener?: unknown): FSWatcher {
    if (typeof options === 'function') [listener, options] = [options, undefined];
    const path = this.paths.path(p, 'watch', 'filename');
    const o = optionsOf(options) as { persistent?: boolean; recursive?: boolean; signal?: AbortSignal; encoding?: BufferEncoding | 'buffer' };
    if (listener !== undefined && typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
    // node:fs watches the object the path names now: it must exist (symlinks followed).
    let watched: string;
    try {
      watched = this.ov.realpath(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw typeof code === 'string' && code.startsWith('E') ? fsError(code, 'watch', path) : err;
    }
    const w = new FSWatcher(this, watched, o.recursive === true, o.encoding ?? 'utf8', o.persistent !== false);
    if (typeof listener === 'function') w.on('change', listener as (...a: unknown[]) => void);
    this.watchers.add(w);
    this.syncSubscriptions();
    if (o.signal !== undefined) {
      if (o.signal.aborted) process.nextTick(() => w.close());
      else o.signal.addEventListener('abort', () => w.close(), { once: true });
    }
    return w;
  }

  detach(w: FSWatcher): void {
    this.watchers.delete(w);
    this.syncSubscriptions();
  }

  /** Listen to the overlay only while someone watches: an idle adapter holds no subscription. */
  private syncSubscriptions(): void {
    const wanted = this.watchers.size > 0 || this.statWatchers.size > 0;
    if (wanted && this.unsubscribers.length === 0) {
      this.unsubscribers = [this.ov.subscribe((change) => {
        const type = kindOf(change);
        if (type !== undefined) this.report(change.path, type);
      })];
      // Deprecated: the overlay already reports its layers' changes, in overlay paths.
      for (const layer of this.layers) {
        this.unsubscribers.push(layer.subscribe((change) => {
          const type = kindOf(change);
          if (type === undefined) return;
          const dir = normal(change.dir);
          this.report(change.name === '' ? dir : normal(`${dir}/${change.name}`), type);
        }));
      }
    } else if (!wanted && this.unsubscribers.length > 0) {
      for (const u of this.unsubscribers) u();
      this.unsubscribers = [];
    }
  }
}

/** fs.promises.watch: the same events as an async iterator, ended by options.signal. */
export async function* watchIterator(hub: ChangeHub, p: unknown, options?: unknown): AsyncGenerator<{ eventType: EventType; filename: string | Buffer }> {
  const o = (typeof options === 'object' && options !== null ? options : {}) as { signal?: AbortSignal };
  const queue: { eventType: EventType; filename: string | Buffer }[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const w = hub.watch(p, { ...o, signal: undefined });
  w.on('change', (eventType: EventType, filename: string | Buffer) => {
    queue.push({ eventType, filename });
    wake?.();
  });
  const stop = () => {
    closed = true;
    wake?.();
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      if (o.signal?.aborted) {
        const err = new Error('The operation was aborted') as Error & { code: string };
        err.name = 'AbortError';
        err.code = 'ABORT_ERR';
        throw err;
      }
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (closed) return;
      await new Promise<void>((resolve) => { wake = resolve; });
      wake = undefined;
    }
  } finally {
    o.signal?.removeEventListener('abort', stop);
    w.close();
  }
}
