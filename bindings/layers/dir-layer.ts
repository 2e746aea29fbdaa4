// DirLayer: a host directory as an overlay layer (lower or upper), in the kernel's on-disk format
// so that a tree written through Strata mounts in the kernel with the same view, and vice versa.
// This file is the Layer interface; host/host-layer-base.ts reaches objects by handle and builds
// them; host/file-content.ts reads and writes file contents and opens files; host/vouched-stats.ts
// is a watched stat without a host call; host/name-changes.ts creates, removes, whiteouts, renames
// and links names. All host access is contained (host/contained-tree.ts);
// handles are host objects (host/handle-table.ts); marks are encoded by the format codec
// (host/overlay-format.ts); changes underneath come from host/change-watcher.ts; the work
// directory is host/work-dir.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError } from '../errors.js';
import {
  ABSENT, type ChangeSource, type Handle, type Layer, type ListedEntries, type LayerListener, type NodeStat,
} from './layer.js';
import { ContainedTree, type RaceHook } from './host/contained-tree.js';
import { checkName, displayPath, lstatHostPath, procPath, sameObject } from './host/host-paths.js';
import { explainedError } from './host/host-errors.js';
import { overlayFormat, type WhiteoutFormat, type XattrNamespace } from './host/overlay-format.js';
import { canUseTrustedXattrs, getXattr, listXattrs, removeXattr, setXattr } from './host/xattr.js';
import { ChangeWatcher, type WatchFailures, type WatchFunction } from './host/change-watcher.js';
import { host, nodeStat, normalize, type Entry } from './host/host-layer-base.js';
import { HostNameChanges } from './host/name-changes.js';
import { watchSeesEveryChange } from './host/vouched-stats.js';
import { WatchQueue } from './host/watch-queue.js';
import type { WorkDir } from './host/work-dir.js';

export interface DirLayerOptions {
  /** Name in errors and reports (default `dir:<root>`). */
  name?: string;
  /** Refuse writes (EROFS), e.g. for a lower. Default false. */
  readOnly?: boolean;
  /** How long the overlay may trust a cached answer before re-checking the host (0 = until notified). */
  ttlMs?: number;
  /**
   * Report changes made on the host to subscribers (inotify), lazily: a directory is watched once
   * the layer has been asked about its contents. Default true: a default must never be silently
   * stale. With the native helper every overlay operation first reads the pending events, so a
   * host change made before the call is seen by it, and a cached stat of a file in a watched
   * directory makes no host call; without it, events come a loop turn late and each cached
   * stat costs one lstat. With `false` and no `ttlMs`, a name created on the host after a cached
   * negative answer is never seen.
   */
  watch?: boolean;
  /**
   * Opt-in, default false: operations do not read the pending events first; changes become
   * visible when the event loop delivers them (not on the very next call, as by default), and a
   * cached stat makes no host call even without the native helper. The root, files with other
   * hard links and anything while some directory is unwatched are still checked by one lstat.
   */
  trustWatch?: boolean;
  /** The TTL used when watching is impossible or a directory could not be watched. Default 1000 ms. */
  fallbackTtlMs?: number;
  /** Told when a directory cannot be watched (default: one process warning per layer). */
  onWatchError?: (err: Error, layerPath: string) => void;
  /** Testing only: how watches are made (default fs.watch). */
  watchFunction?: WatchFunction;
  /** Where copy-ups are built before being renamed into place; same filesystem as the root.
   *  Default `<root>.strata-work`, created on the first write. */
  workdir?: string;
  /** 'device' (kernel: char 0/0, default) or 'oci' (`.wh.<name>` files, `.wh..wh..opq`). */
  whiteouts?: WhiteoutFormat;
  /**
   * 'trusted' (kernel default, needs CAP_SYS_ADMIN), 'user' (the kernel's `userxattr` format), or
   * 'auto' (default): trusted when this process may use trusted.* xattrs, else user.
   */
  xattrs?: XattrNamespace | 'auto';
  /** Testing only: called between the lstat check and the open of each path component. */
  raceHook?: RaceHook;
}

/**
 * How long after an operation's read of the watch queue a held directory is used without its
 * checks (ContainedTree.vouchDirs): an operation's layer calls come within microseconds of it.
 */
const VOUCHED_DIR_MS = 1;

export class DirLayer extends HostNameChanges implements Layer {
  readonly name: string;

  readonly changeSource: ChangeSource | undefined;
  private readonly rootHandle: Handle;
  private readonly configuredTtlMs: number;
  private readonly fallbackTtlMs: number;

  constructor(rootPath: string, options: DirLayerOptions = {}) {
    const hostRoot = fs.realpathSync(rootPath);
    if (!fs.statSync(hostRoot).isDirectory()) throw fsError('ENOTDIR', 'open', rootPath);
    const xattrs = options.xattrs ?? 'auto';
    if (xattrs === 'trusted') {
      const probe = canUseTrustedXattrs();
      if (!probe.ok) {
        throw explainedError('EPERM', 'open', rootPath,
          `${probe.why}: without them opaque and redirect marks are invisible and the view would be wrong; ` +
          "open layers written with the kernel's userxattr format with { xattrs: 'user' } (CLI --userxattr)");
      }
    }
    // 'auto': what the kernel does for a mount made by this process — trusted.* when privileged,
    // its userxattr format otherwise (a plain directory has no marks either way).
    const format = overlayFormat(options.whiteouts ?? 'device',
      xattrs === 'auto' ? (canUseTrustedXattrs().ok ? 'trusted' : 'user') : xattrs);
    super(hostRoot, format, new ContainedTree(hostRoot, options.raceHook), options.readOnly !== true,
      path.resolve(options.workdir ?? `${hostRoot}.strata-work`));
    this.name = options.name ?? `dir:${this.hostRoot}`;
    this.configuredTtlMs = options.ttlMs ?? 0;
    this.fallbackTtlMs = options.fallbackTtlMs ?? 1000;
    this.rootHandle = this.table.intern('', this.tree.rootIdentity);
    if (options.watch !== false) {
      const queue = options.watchFunction === undefined ? WatchQueue.shared() : null;
      this.watcher = new ChangeWatcher(this.tree, this.format, (c) => this.emit(c),
        (err, dirPath) => this.watchFailed(err, dirPath, options.onWatchError), options.watchFunction, queue);
      // Read at every operation's start unless the user traded that for speed (trustWatch, a TTL).
      if (this.watcher.usesQueue && options.trustWatch !== true && this.configuredTtlMs === 0) this.changeSource = queue!;
      if (this.changeSource !== undefined || options.trustWatch === true) {
        this.vouched = new Map();
        if (watchSeesEveryChange(this.hostRoot)) this.vouchDev = this.tree.rootIdentity.dev;
      }
      // Held directories skip their checks only where every event is read before an operation
      // answers: trustWatch's late events must not open a window onto a directory moved out.
      // What is left is a race, as between a check and its use: a directory moved out during an
      // operation is used until the kernel queues its event (with the queue's ring), else until
      // the operation ends, or VOUCHED_DIR_MS after its queue read.
      if (this.changeSource !== undefined && this.vouchDev !== undefined) {
        const watcher = this.watcher;
        const events = queue!;
        this.tree.vouchDirs(this.vouchDev, (p) => {
          for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) if (!watcher.isWatched(p.slice(0, i))) return false;
          return watcher.isWatched('');
        }, () => events.caughtUp(VOUCHED_DIR_MS));
      }
    }
  }

  /**
   * How long the overlay may trust a cached answer: the configured TTL; with none, 0 (until
   * notified) while every directory asked about is watched, else the fallback TTL — for the
   * whole layer from the first directory that could not be watched (or without a watcher).
   */
  get ttlMs(): number {
    if (this.configuredTtlMs > 0) return this.configuredTtlMs;
    return this.watcher === undefined || this.watcher.failures.unwatched > 0 ? this.fallbackTtlMs : 0;
  }

  /** Directories that could not be watched (counted, last error kept); undefined without watching. */
  get watchFailures(): Readonly<WatchFailures> | undefined {
    return this.watcher?.failures;
  }

  /** Component opens done walking the host tree so far (a walk from the root costs one per level). */
  get walkSteps(): number {
    return this.tree.walkSteps;
  }

  /** Held directories used without their checks, vouched for by the watch queue: for tests. */
  get vouchedDirectoryUses(): number {
    return this.tree.vouchedUses;
  }

  /** How many directories are watched now (one inotify watch each). */
  get watchedDirectories(): number {
    return this.watcher?.watchedDirectories ?? 0;
  }

  private watchFailed(err: Error, dirPath: string, onWatchError: DirLayerOptions['onWatchError']): void {
    if (onWatchError !== undefined) {
      onWatchError(err, displayPath(dirPath));
    } else if (this.watcher?.failures.unwatched === 1) {
      process.emitWarning(`${this.name}: cannot watch ${displayPath(dirPath)} (${err.message}); ` +
        `answers from unwatched directories are re-checked every ${this.fallbackTtlMs} ms`, { code: 'STRATA_WATCH_FAILED' });
    }
  }

  /** Stop watching and release the host descriptors. The layer is unusable afterwards. */
  close(): void {
    this.watcher?.close();
    this.watcher = undefined;
    this.work?.close();
    this.work = undefined;
    this.tree.close();
  }

  /** The layer path of a live handle's first known name (for tools and tests). */
  pathOf(h: Handle): string {
    return this.atObject(h, 'stat', (e) => displayPath(e.path));
  }

  // ---- reads -------------------------------------------------------------------------------

  root(): Handle {
    return this.rootHandle;
  }

  lookup(dir: Handle, name: string): Handle {
    return this.atObject(dir, 'lookup', (d) => {
      checkName(name, 'lookup', d.path);
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'lookup', displayPath(d.path));
      if (this.format.isReservedName(name)) return ABSENT;
      this.watcher?.watchDir(d.path, d.fd, d.st);
      return this.lookupIn(d, name)?.handle ?? ABSENT;
    });
  }

  listEntries(dir: Handle): ListedEntries {
    return this.atObject(dir, 'scandir', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'scandir', displayPath(d.path));
      this.watcher?.watchDir(d.path, d.fd, d.st);
      const out: ListedEntries = { names: [], handles: [], modes: [] };
      for (const name of this.format.visibleNames(host('scandir', d.path, () => fs.readdirSync(procPath(d.fd))))) {
        const found = this.lookupIn(d, name);
        if (found === undefined) continue; // gone since the readdir
        out.names.push(name);
        out.handles.push(found.handle);
        out.modes.push(found.mode);
      }
      return out;
    });
  }

  list(dir: Handle): string[] {
    return this.atObject(dir, 'scandir', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'scandir', displayPath(d.path));
      this.watcher?.watchDir(d.path, d.fd, d.st);
      return this.format.visibleNames(host('scandir', d.path, () => fs.readdirSync(procPath(d.fd))));
    });
  }

  stat(h: Handle): NodeStat {
    return nodeStat(this.lstatObject(h));
  }

  /**
   * Still found, with its identity, at one of its known paths? One lstat of the host path per
   * known name: this runs on every cache hit. It follows the host path plainly (it reads nothing
   * but the answer "same object or not"); every access that uses the object walks contained.
   */
  alive(h: Handle): boolean {
    const record = this.table.get(h);
    if (record === undefined || record.deleted) return false;
    for (const p of record.paths) {
      const st = lstatHostPath(this.hostRoot, p);
      if (st !== undefined && sameObject(st, record)) return true;
    }
    return false;
  }

  isOpaque(dir: Handle): boolean {
    return this.atObject(dir, 'getxattr', (d) => {
      if (!d.st.isDirectory()) return false;
      return host('getxattr', d.path, () => this.format.isOpaque(d.fd, () => this.readMark(d, this.format.opaqueKey)));
    });
  }

  redirect(dir: Handle): string | undefined {
    return this.atObject(dir, 'getxattr', (d) => {
      // Files too: the kernel renames a metacopy file by giving it a redirect to its data.
      if (!d.st.isDirectory() && !d.st.isFile()) return undefined;
      const raw = this.readMark(d, this.format.redirectKey);
      if (raw === undefined || raw.startsWith('/')) return raw;
      // Relative (the kernel writes these for renames within one directory): the name in the
      // parent's lower directory, which is where the parent's own redirects in this layer lead.
      const parent = d.path.includes('/') ? d.path.slice(0, d.path.lastIndexOf('/')) : '';
      return `${this.lowerBase(parent)}/${raw}`;
    });
  }

  isMetacopy(h: Handle): boolean {
    return this.atObject(h, 'getxattr', (e) => e.st.isFile() && this.readMark(e, this.format.metacopyKey) !== undefined);
  }

  readlink(h: Handle): string {
    return this.atObject(h, 'readlink', (e) => {
      if (!e.st.isSymbolicLink()) throw fsError('EINVAL', 'readlink', displayPath(e.path));
      const target = host('readlink', e.path, () => fs.readlinkSync(procPath(e.parentFd, e.name)));
      this.recheck(e, 'readlink');
      return target;
    });
  }

  xattrs(h: Handle): Record<string, Uint8Array> {
    return this.atObject(h, 'listxattr', (e) => {
      const at = this.xattrPath(e);
      const out: Record<string, Uint8Array> = {};
      host('listxattr', e.path, () => {
        for (const key of listXattrs(at)) {
          if (this.format.isPrivateXattr(key)) continue;
          const value = getXattr(at, key);
          if (value !== undefined) out[key] = new Uint8Array(value);
        }
      });
      this.recheck(e, 'listxattr');
      return out;
    });
  }

  subscribe(listener: LayerListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  // ---- changes made underneath, reported by the host application -----------------------------

  /** Tell subscribers that answers about `layerPath` ('/a/b') can no longer be vouched for. */
  expire(layerPath: string): void {
    const p = normalize(layerPath);
    const slash = p.lastIndexOf('/');
    this.emit({ dir: displayPath(slash < 0 ? '' : p.slice(0, slash)), name: p.slice(slash + 1), kind: 'expire' });
  }

  /** The host application changed `layerPath` itself: classify the change and report it. */
  notifyChanged(layerPath: string): void {
    const p = normalize(layerPath);
    const change = ChangeWatcher.classify(p, this.snapshotBefore(p), this.snapshot(p));
    if (change !== undefined) this.emit(change);
  }

  // ---- attribute and mark writes (the overlay drives these; names: host/name-changes.ts). Each
  // notifies subscribers at once, with the change the watcher would report ---------------------

  setMode(h: Handle, mode: number): void {
    this.atObjectForWrite(h, 'chmod', 'meta', (e) => {
      if (e.st.isSymbolicLink()) return; // Linux symlinks have no mode of their own.
      host('chmod', e.path, () => fs.chmodSync(procPath(e.fd), mode & 0o7777));
    });
  }

  setOwner(h: Handle, uid: number, gid: number): void {
    this.atObjectForWrite(h, 'chown', 'meta', (e) => host('chown', e.path, () => fs.chownSync(procPath(e.fd), uid, gid)));
  }

  setTimes(h: Handle, atimeMs: number, mtimeMs: number): void {
    this.atObjectForWrite(h, 'utime', 'meta', (e) =>
      host('utime', e.path, () => fs.utimesSync(procPath(e.fd), atimeMs / 1000, mtimeMs / 1000)));
  }

  setXattr(h: Handle, key: string, value: Uint8Array | undefined): void {
    this.atObjectForWrite(h, 'setxattr', 'meta', (e) => {
      if (this.format.isPrivateXattr(key)) throw fsError('EPERM', 'setxattr', displayPath(e.path));
      const at = this.xattrPath(e);
      host('setxattr', e.path, () => (value === undefined ? removeXattr(at, key) : setXattr(at, key, value)));
      this.recheck(e, 'setxattr');
    });
  }

  setOpaqueMark(dir: Handle, opaque: boolean): void {
    this.atObjectForWrite(dir, 'setxattr', 'opaque', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'setxattr', displayPath(d.path));
      this.writeMark(d.path, () => this.format.setOpaque(d.fd, this.xattrPath(d), opaque));
    });
  }

  setRedirectMark(dir: Handle, origin: string | undefined): void {
    this.atObjectForWrite(dir, 'setxattr', 'redirect', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'setxattr', displayPath(d.path));
      const at = this.xattrPath(d);
      if (origin === undefined) {
        host('setxattr', d.path, () => removeXattr(at, this.format.redirectKey));
        return;
      }
      this.setMarkAt(at, d.path, this.format.redirectKey, this.storedRedirect(d.path, origin));
    });
  }

  // ---- for the on-disk index=on form (host/index-dir.ts) ----------------------------------------

  /** `fn` with the object behind `h`: its O_PATH fd, the /proc path l*xattr and link(2) reach it by, its lstat. */
  withHostObject<T>(h: Handle, syscall: string, write: boolean, fn: (fd: number, at: string, st: fs.Stats) => T): T {
    const run = (e: Entry): T => fn(e.fd, this.xattrPath(e), e.st);
    return write ? this.atObjectForWrite(h, syscall, undefined, run) : this.atObject(h, syscall, run);
  }

  /** The verified, locked work directory (made on first use); a read-only layer's is only named. */
  workDirectory(): Pick<WorkDir, 'fd' | 'hostPath' | 'tempName'> | { hostPath: string } {
    return this.writable ? this.workdir() : { hostPath: this.workdirPath };
  }
}
