// Changes made to a host directory underneath the overlays using it, as LayerChanges.
// Lazy: a directory is watched (one inotify watch) when the layer is first asked about its
// contents — a lookup or a listing in it — *before* it is read, so every change after that read
// raises an event. The watch is on the process's watch queue (host/watch-queue.ts), which an
// overlay reads at the start of each operation; without the native helper, one non-recursive
// fs.watch per directory, whose events come a loop turn late. Directories nobody looked into cost
// nothing (watching a whole tree up front took 3.2 s and 31 MB for 1,830 directories). Each watch
// is set up synchronously on a held directory (`/proc/self/fd/N/.`, so a swapped path cannot
// redirect it). Node 20's own `recursive: true` on Linux sets its watches up asynchronously and
// measurably drops events (nodejs/node#48437). Events are classified by comparing what is at the
// path now with what was last seen there (directories looked up are remembered; other names
// default to what the event says). A queue overflow (the kernel dropped events) ends every watch
// and expires the layer.
//
// When a watch cannot be added (the inotify limit `fs.inotify.max_user_watches` reached, ENOSPC),
// the failure is counted and reported (`onFailure`), and the layer falls back to a TTL so that
// nothing cached from that directory stays stale (dir-layer.ts, `fallbackTtlMs`).
//
// The race (docs/kernel-differences.md, "Watching"): with fs.watch, an event arrives *after* the
// change is visible on disk — between the two, an overlay answers from its cache as if nothing
// happened. The watch queue closes it: the kernel queues the event before the change's syscall
// returns, and the next operation reads the queue before it answers.
//
// The layer's own writes (an upper written by the overlay) also raise events. They are not
// reported here — the layer notifies them itself, at once: after each write it records the
// resulting state of the path (`expectSelf`), and an event that finds exactly that state is dropped.
import * as fs from 'node:fs';
import type { LayerChange } from '../layer.js';
import type { ContainedTree } from './contained-tree.js';
import { displayPath, joinPath, procPath, sameObject } from './host-paths.js';
import { getXattr } from './xattr.js';
import type { OverlayFormat } from './overlay-format.js';
import { hostCode } from './host-errors.js';
import { nativeError } from './native.js';
import type { DirectorySink, WatchQueue } from './watch-queue.js';

/** What is at a layer path, in enough detail to tell which kind of change happened. */
export type PathSnapshot =
  | { kind: 'absent' }
  | { kind: 'whiteout' }
  | {
      kind: 'entry';
      dev: number; ino: number; birthtimeMs: number; ctimeMs: number; mtimeMs: number;
      dir: boolean; opaque?: string; redirect?: string;
    };

function sameSnapshot(a: PathSnapshot, b: PathSnapshot): boolean {
  if (a.kind !== 'entry' || b.kind !== 'entry') return a.kind === b.kind;
  return sameObject(a, b) && a.ctimeMs === b.ctimeMs && a.opaque === b.opaque && a.redirect === b.redirect;
}

function parentOf(layerPath: string): string {
  const slash = layerPath.lastIndexOf('/');
  return slash < 0 ? '' : layerPath.slice(0, slash);
}

function split(layerPath: string): { dir: string; name: string } {
  const slash = layerPath.lastIndexOf('/');
  return { dir: displayPath(slash < 0 ? '' : layerPath.slice(0, slash)), name: layerPath.slice(slash + 1) };
}

/** A directory's watch and the directory it is on (dev, ino, birth time). */
interface Watch {
  close(): void;
  dev: number;
  ino: number;
  birthtimeMs: number;
}

/** How a watch is made (fs.watch; a test injects failures). */
export type WatchFunction = (path: string, options: { persistent: boolean }, listener: (event: string, filename: string | Buffer | null) => void) => fs.FSWatcher;

/** Why directories are not watched: counted, and the last error kept. */
export interface WatchFailures {
  /** Directories whose watch could not be added. */
  unwatched: number;
  lastError: Error | undefined;
}

export class ChangeWatcher {
  private readonly seen = new Map<string, PathSnapshot>();
  /** Layer path of a directory → its watch, with the directory's identity (what it watches). */
  private readonly watches = new Map<string, Watch>();
  /** Directories whose watch failed: not retried (each retry would cost a failing syscall). */
  private readonly failed = new Set<string>();
  readonly failures: WatchFailures = { unwatched: 0, lastError: undefined };
  private closed = false;
  private readonly stopOverflow: (() => void) | undefined;

  /**
   * Watches go on `queue` when given (and no `watchFn`, which tests use to inject failures), else
   * through fs.watch.
   */
  constructor(
    private readonly tree: ContainedTree,
    private readonly format: OverlayFormat,
    private readonly emit: (change: LayerChange) => void,
    private readonly onFailure: (err: Error, dirPath: string) => void,
    private readonly watchFn: WatchFunction | undefined,
    private readonly queue: WatchQueue | null,
  ) {
    this.stopOverflow = this.usesQueue ? queue!.onOverflow(() => this.overflowed()) : undefined;
  }

  /** Whether changes come from the watch queue (readable synchronously), not from fs.watch. */
  get usesQueue(): boolean {
    return this.queue !== null && this.watchFn === undefined;
  }

  close(): void {
    this.closed = true;
    this.stopOverflow?.();
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }

  /**
   * The kernel dropped events: nothing watched can be trusted. Every watch ends (each directory
   * is watched again when next looked into) and the whole layer expires.
   */
  private overflowed(): void {
    if (this.closed) return;
    this.tree.forgetVouched();
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
    this.seen.clear();
    this.emit({ dir: '/', name: '', kind: 'expire' });
  }

  /** How many directories are watched (each costs one inotify watch). */
  get watchedDirectories(): number {
    return this.watches.size;
  }

  /** Is this directory watched now (its entries' changes raise events)? */
  isWatched(dirPath: string): boolean {
    return this.watches.has(dirPath);
  }

  lastSeen(layerPath: string): PathSnapshot | undefined {
    return this.seen.get(layerPath);
  }

  snapshot(layerPath: string): PathSnapshot {
    return ChangeWatcher.snapshotAt(this.tree, this.format, layerPath);
  }

  /** The layer itself just wrote `layerPath`: the events this raises are not changes underneath. */
  expectSelf(layerPath: string): void {
    if (!this.watches.has(parentOf(layerPath))) return; // no watch there, no event to recognise
    this.seen.set(layerPath, this.snapshot(layerPath));
  }

  /** A directory at `layerPath` was looked up: remember it, so a later event can be classified. */
  sawDirectory(layerPath: string): void {
    if (!this.seen.has(layerPath) && this.watches.has(parentOf(layerPath))) this.seen.set(layerPath, this.snapshot(layerPath));
  }

  /**
   * Watch the directory `st` held by `dirFd` at `dirPath`, if not yet: call before reading it, so
   * that any change after the read raises an event. A watch left at that path on another
   * directory (one that was moved or replaced there) is ended first. A failure is counted and
   * reported, never thrown.
   */
  watchDir(dirPath: string, dirFd: number, st: fs.Stats): void {
    if (this.closed || this.failed.has(dirPath)) return;
    const known = this.watches.get(dirPath);
    if (known !== undefined) {
      if (sameObject(known, st)) return;
      this.unwatchTree(dirPath);
    }
    try {
      const close = this.usesQueue ? this.queueWatch(dirPath, dirFd) : this.fsWatch(dirPath, dirFd);
      this.watches.set(dirPath, { close, dev: st.dev, ino: st.ino, birthtimeMs: st.birthtimeMs });
    } catch (err) {
      this.failed.add(dirPath);
      this.failures.unwatched++;
      const error = err instanceof Error ? err : new Error(String(err));
      if (hostCode(err) === 'ENOSPC') error.message += ' (the inotify watch limit, fs.inotify.max_user_watches)';
      this.failures.lastError = error;
      this.onFailure(error, dirPath);
    }
  }

  /** A watch on the queue: the function that ends it. */
  private queueWatch(dirPath: string, dirFd: number): () => void {
    const queue = this.queue!;
    const sink: DirectorySink = {
      onEvent: (event, name) => this.onEvent(dirPath, event, name),
      onGone: () => this.watchEnded(dirPath, close),
    };
    const wd = queue.add(`${procPath(dirFd)}/.`, sink);
    if (wd < 0) throw nativeError(-wd, 'inotify_add_watch', displayPath(dirPath));
    const close = () => queue.remove(wd, sink);
    return close;
  }

  /** A watch by fs.watch: the function that ends it. */
  private fsWatch(dirPath: string, dirFd: number): () => void {
    const watchFn = this.watchFn ?? (fs.watch as WatchFunction);
    const watch = watchFn(`${procPath(dirFd)}/.`, { persistent: false }, (event, filename) => {
      if (filename !== null && filename !== '.') this.onEvent(dirPath, event, filename.toString());
    });
    const close = () => watch.close();
    watch.on('error', () => {
      watch.close();
      this.watchEnded(dirPath, close);
    });
    return close;
  }

  /** A watch ended by itself (its directory removed): it can no longer vouch for anything below. */
  private watchEnded(dirPath: string, close: () => void): void {
    this.tree.forgetVouched();
    if (this.watches.get(dirPath)?.close === close) this.watches.delete(dirPath);
    if (!this.closed) this.emit({ dir: displayPath(dirPath), name: '', kind: 'expire' });
  }

  private unwatchTree(dirPath: string): void {
    this.tree.forgetVouched();
    const prefix = dirPath + '/';
    for (const [p, w] of [...this.watches]) {
      if (p === dirPath || p.startsWith(prefix)) {
        w.close();
        this.watches.delete(p);
      }
    }
    for (const p of [...this.failed]) if (p === dirPath || p.startsWith(prefix)) this.failed.delete(p);
    this.forgetBelow(dirPath);
  }

  /**
   * Forget what was seen below `dirPath`: the directory there is another one (or none), so those
   * snapshots describe nothing there now — and one left behind would make an event at its path
   * look like no change (stale "absent" before, "absent" after).
   */
  private forgetBelow(dirPath: string): void {
    const prefix = dirPath + '/';
    for (const p of this.seen.keys()) if (p.startsWith(prefix)) this.seen.delete(p);
  }

  private onEvent(dirPath: string, event: string, name: string): void {
    if (this.closed) return;
    // Before anything is looked at for it: a held directory the event is about is checked again.
    this.tree.forgetVouched();
    if (name === '') {
      // The directory itself (watch queue only): its parent's watch reports it, except the root's.
      if (dirPath === '') this.emit({ dir: '/', name: '', kind: 'meta' });
      return;
    }
    // A marker file changed (OCI): report it as a change of what it marks.
    const subject = this.format.eventSubject(name);
    if (subject === 'dir') {
      this.emit({ dir: displayPath(dirPath), name: '', kind: 'opaque' });
      return;
    }
    const layerPath = joinPath(dirPath, subject.name);
    const after = this.snapshot(layerPath);
    const before = this.seen.get(layerPath);
    if (before !== undefined && sameSnapshot(before, after)) return;
    // Only directories are remembered (sawDirectory); a name not seen before is classified by the event.
    if (before !== undefined || (after.kind === 'entry' && after.dir)) this.seen.set(layerPath, after);
    else this.seen.delete(layerPath);
    const wasDir = before?.kind === 'entry' && before.dir;
    const isDir = after.kind === 'entry' && after.dir;
    if (wasDir && (!isDir || !sameObject(before, after))) this.unwatchTree(layerPath);
    // Another directory here (moved in, made anew): what was seen below was another's.
    if (isDir && !(wasDir && sameObject(before, after))) this.forgetBelow(layerPath);
    // A watched directory moved or replaced here, also one never remembered: its watch (and those
    // below) named paths that are no longer it.
    const watched = this.watches.get(layerPath);
    if (watched !== undefined && !(isDir && sameObject(watched, after))) this.unwatchTree(layerPath);
    const change = ChangeWatcher.classify(layerPath, before, after, event);
    if (change !== undefined) this.emit(change);
  }

  /** The LayerChange that turns `before` into `after` at `layerPath` (undefined: no change). */
  static classify(layerPath: string, before: PathSnapshot | undefined, after: PathSnapshot, event = 'rename'): LayerChange | undefined {
    const at = split(layerPath);
    if (before !== undefined && sameSnapshot(before, after)) return undefined;
    if (after.kind === 'whiteout') return { ...at, kind: 'whiteout' };
    if (after.kind === 'absent') return { ...at, kind: 'remove' };
    if (before === undefined) {
      if (event === 'change') return { ...at, kind: after.mtimeMs === after.ctimeMs ? 'data' : 'meta' };
      return { ...at, kind: 'create' };
    }
    if (before.kind !== 'entry') return { ...at, kind: 'create' };
    if (!sameObject(before, after)) return { ...at, kind: 'replace' };
    const self = { dir: displayPath(layerPath), name: '' };
    if (before.opaque !== after.opaque) return { ...self, kind: 'opaque' };
    if (before.redirect !== after.redirect) return { ...self, kind: 'redirect' };
    return { ...at, kind: before.mtimeMs !== after.mtimeMs ? 'data' : 'meta' };
  }

  /** What is at `layerPath` now, read through the contained tree (never following symlinks). */
  static snapshotAt(tree: ContainedTree, format: OverlayFormat, layerPath: string): PathSnapshot {
    try {
      const snap = tree.withEntry(layerPath, (_parentFd, _name, fd, st): PathSnapshot => {
        if (format.isWhiteoutDevice(st)) return { kind: 'whiteout' };
        const entry: PathSnapshot = {
          kind: 'entry', dev: st.dev, ino: st.ino, birthtimeMs: st.birthtimeMs,
          ctimeMs: st.ctimeMs, mtimeMs: st.mtimeMs, dir: st.isDirectory(),
        };
        if (st.isDirectory()) {
          entry.opaque = getXattr(`${procPath(fd)}/.`, format.opaqueKey)?.toString();
          entry.redirect = getXattr(`${procPath(fd)}/.`, format.redirectKey)?.toString();
        }
        return entry;
      });
      if (snap !== undefined) return snap;
      const slash = layerPath.lastIndexOf('/');
      const marked = tree.withDir(slash < 0 ? '' : layerPath.slice(0, slash), (dirFd) => format.markedWhiteout(dirFd, layerPath.slice(slash + 1)));
      if (marked) return { kind: 'whiteout' };
      return { kind: 'absent' };
    } catch {
      // A component vanished or turned into a symlink: nothing is reachable there any more.
      return { kind: 'absent' };
    }
  }
}
