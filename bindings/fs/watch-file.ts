// watchFile/unwatchFile: node:fs polls a file's stat and calls listener(curr, prev) when it
// changed. Here the poll also runs at once whenever a change event names the file (see watch.ts),
// so a change through the adapter or a watched layer is seen without waiting for the interval;
// the interval still catches what no notification reported.
import { Stats } from '../engine/stats.js';
import type { Overlay } from '../overlay.js';
import { invalidArgType } from './arg-errors.js';
import type { PathArgs } from './path-args.js';
import { TimerHandle } from './timer-handle.js';

const DEFAULT_INTERVAL = 5007; // node:fs's default

/** Lexically normal absolute path: no '.', empty or trailing segments; '..' taken away. */
export function normal(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** What node:fs reports for a file that does not exist: every field zero. */
function absent(): Stats {
  // Built field by field (not through the engine's constructor, which takes a layer record).
  const st = Object.create(Stats.prototype) as Stats;
  for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks', 'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'] as const) {
    (st as unknown as Record<string, number>)[k] = 0;
  }
  return st;
}

function same(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.mode === b.mode && a.size === b.size && a.nlink === b.nlink && a.mtimeMs === b.mtimeMs &&
    a.ctimeMs === b.ctimeMs && a.uid === b.uid && a.gid === b.gid;
}

export class StatWatcher extends TimerHandle {
  private prev: Stats;

  constructor(private readonly ov: Overlay, readonly path: string, interval: number, persistent: boolean) {
    super();
    this.prev = this.current();
    this.timer = setInterval(() => this.check(), interval);
    if (!persistent) this.timer.unref();
  }

  private current(): Stats {
    try {
      return this.ov.stat(this.path, { throwIfNoEntry: false }) ?? absent();
    } catch {
      return absent();
    }
  }

  check(): void {
    if (this.timer === undefined) return;
    const curr = this.current();
    if (same(curr, this.prev)) return;
    const prev = this.prev;
    this.prev = curr;
    this.emit('change', curr, prev);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.emit('stop');
  }
}

type Listener = (curr: Stats, prev: Stats) => void;

export class StatWatchers {
  private readonly byPath = new Map<string, StatWatcher>();

  constructor(private readonly ov: Overlay, private readonly paths: PathArgs, private readonly changed: () => void) {}

  get size(): number {
    return this.byPath.size;
  }

  watchFile(p: unknown, options?: unknown, listener?: unknown): StatWatcher {
    if (typeof options === 'function') [listener, options] = [options, undefined];
    const path = normal(this.paths.path(p, 'watch', 'filename'));
    if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
    const o = (typeof options === 'object' && options !== null ? options : {}) as { interval?: number; persistent?: boolean };
    let w = this.byPath.get(path);
    if (w === undefined) {
      w = new StatWatcher(this.ov, path, o.interval ?? DEFAULT_INTERVAL, o.persistent !== false);
      this.byPath.set(path, w);
      this.changed();
    }
    w.on('change', listener as Listener);
    return w;
  }

  unwatchFile(p: unknown, listener?: unknown): void {
    const path = normal(this.paths.path(p, 'watch', 'filename'));
    const w = this.byPath.get(path);
    if (w === undefined) return;
    if (typeof listener === 'function') w.removeListener('change', listener as Listener);
    else w.removeAllListeners('change');
    if (w.listenerCount('change') === 0) {
      w.stop();
      this.byPath.delete(path);
      this.changed();
    }
  }

  /** Re-stat the watched files a batch of change events may concern (their names or a parent). */
  check(changed: string[]): void {
    for (const w of this.byPath.values()) {
      if (changed.some((c) => w.path === c || w.path.startsWith(c === '/' ? '/' : c + '/'))) w.check();
    }
  }
}
