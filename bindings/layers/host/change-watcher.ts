// Changes made to a host directory underneath the overlays using it, as LayerChanges.
// One non-recursive fs.watch (inotify) per directory of the tree, each set up synchronously on a
// held directory (`/proc/self/fd/N/.`, so a swapped path cannot redirect it). Node 20's own
// `recursive: true` on Linux sets its watches up asynchronously and measurably drops events
// (nodejs/node#48437: a file created in an existing subdirectory right after the watch started
// was never reported here). Events are classified by comparing what is at the path now with what
// was last seen there.
//
// The race (docs/kernel-differences.md, "Watching"): an event arrives *after* the change is
// visible on disk — between the two, an overlay answers from its cache as if nothing happened.
// A directory created and filled quickly is scanned when its creation is seen, so its first
// entries are reported then, not lost. A watcher narrows the window, a TTL bounds it; neither
// closes it.
//
// The layer's own writes (an upper written by the overlay) also raise events. They are not
// reported here — the layer notifies them itself, at once: after each write it records the
// resulting state of the path (`expectSelf`), and an event that finds exactly that state is dropped.
import * as fs from 'node:fs';
import type { LayerChange } from '../layer.js';
import { type ContainedTree, displayPath, joinPath, procPath, sameObject } from './contained-tree.js';
import { getXattr } from './xattr.js';
import { OCI_OPAQUE_MARKER, OCI_WHITEOUT_PREFIX, type OverlayFormat } from './overlay-format.js';

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

function split(layerPath: string): { dir: string; name: string } {
  const slash = layerPath.lastIndexOf('/');
  return { dir: displayPath(slash < 0 ? '' : layerPath.slice(0, slash)), name: layerPath.slice(slash + 1) };
}

export class ChangeWatcher {
  private readonly seen = new Map<string, PathSnapshot>();
  /** Layer path of a directory → its watch. */
  private readonly watches = new Map<string, fs.FSWatcher>();
  private closed = false;

  constructor(
    private readonly tree: ContainedTree,
    private readonly format: OverlayFormat,
    private readonly emit: (change: LayerChange) => void,
  ) {
    this.watchTree('', false);
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }

  /** How many directories are watched (each costs one inotify watch). */
  get watchedDirectories(): number {
    return this.watches.size;
  }

  lastSeen(layerPath: string): PathSnapshot | undefined {
    return this.seen.get(layerPath);
  }

  snapshot(layerPath: string): PathSnapshot {
    return ChangeWatcher.snapshotAt(this.tree, this.format, layerPath);
  }

  /** The layer itself just wrote `layerPath`: the events this raises are not changes underneath. */
  expectSelf(layerPath: string): void {
    const snap = this.snapshot(layerPath);
    this.seen.set(layerPath, snap);
    if (snap.kind === 'entry' && snap.dir) this.watchTree(layerPath, false);
  }

  /**
   * Watch the directory at `dirPath` and every directory below it. With `report`, each entry
   * found is reported as created: the directory appeared after its parent's watch saw it, and
   * entries made in between raised no event of their own.
   */
  private watchTree(dirPath: string, report: boolean): void {
    if (this.closed || this.watches.has(dirPath)) return;
    let names: string[];
    try {
      names = this.tree.withDir(dirPath, (fd) => {
        const watch = fs.watch(`${procPath(fd)}/.`, { persistent: false }, (event, filename) => {
          if (filename !== null && filename !== '.') this.onEvent(dirPath, event, filename.toString());
        });
        watch.on('error', () => {
          // A failing watch (e.g. its directory removed) can no longer vouch for anything below.
          watch.close();
          if (this.watches.get(dirPath) === watch) this.watches.delete(dirPath);
          this.emit({ dir: displayPath(dirPath), name: '', kind: 'expire' });
        });
        this.watches.set(dirPath, watch);
        return fs.readdirSync(procPath(fd));
      });
    } catch {
      return; // gone or no longer a directory: its parent's watch reports that
    }
    for (const name of names) {
      const childPath = joinPath(dirPath, name);
      const snap = this.snapshot(childPath);
      if (report && !this.seen.has(childPath)) this.report(childPath, undefined, snap, 'rename');
      this.seen.set(childPath, snap);
      if (snap.kind === 'entry' && snap.dir) this.watchTree(childPath, report);
    }
  }

  private unwatchTree(dirPath: string): void {
    const prefix = dirPath + '/';
    for (const [p, w] of [...this.watches]) {
      if (p === dirPath || p.startsWith(prefix)) {
        w.close();
        this.watches.delete(p);
      }
    }
  }

  private onEvent(dirPath: string, event: string, name: string): void {
    if (this.closed) return;
    let layerPath = joinPath(dirPath, name);
    if (this.format.whiteouts === 'oci' && name.startsWith(OCI_WHITEOUT_PREFIX)) {
      // A marker changed: report it as a change of what it marks.
      if (name === OCI_OPAQUE_MARKER) {
        this.emit({ dir: displayPath(dirPath), name: '', kind: 'opaque' });
        return;
      }
      layerPath = joinPath(dirPath, name.slice(OCI_WHITEOUT_PREFIX.length));
    }
    const after = this.snapshot(layerPath);
    const before = this.seen.get(layerPath);
    if (before !== undefined && sameSnapshot(before, after)) return;
    this.seen.set(layerPath, after);
    this.report(layerPath, before, after, event);
  }

  private report(layerPath: string, before: PathSnapshot | undefined, after: PathSnapshot, event: string): void {
    const wasDir = before?.kind === 'entry' && before.dir;
    const isDir = after.kind === 'entry' && after.dir;
    if (wasDir && (!isDir || !sameObject(before, after))) this.unwatchTree(layerPath);
    const change = ChangeWatcher.classify(layerPath, before, after, event);
    if (change !== undefined) this.emit(change);
    if (isDir) this.watchTree(layerPath, true);
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
      if (format.whiteouts === 'oci') {
        const { dir, name } = split(layerPath);
        const marker = `${dir.slice(1) === '' ? '' : dir.slice(1) + '/'}${OCI_WHITEOUT_PREFIX}${name}`;
        if (tree.withEntry(marker, () => true) === true) return { kind: 'whiteout' };
      }
      return { kind: 'absent' };
    } catch {
      // A component vanished or turned into a symlink: nothing is reachable there any more.
      return { kind: 'absent' };
    }
  }
}
