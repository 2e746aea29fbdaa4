// DirLayer: a host directory as an overlay layer (lower or upper), in the kernel's on-disk format
// so that a tree written through Strata mounts in the kernel with the same view, and vice versa.
// All host access is contained (host/contained-tree.ts); handles are host objects (host/handle-table.ts);
// marks are encoded by host/overlay-format.ts; changes underneath come from host/change-watcher.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fsError } from '../errors.js';
import {
  ABSENT, WHITEOUT,
  type Handle, type Layer, type LayerChange, type ListedEntries, type LayerListener, type NodeSpec, type NodeStat, type NodeType,
} from './layer.js';
import {
  ContainedTree, checkName, displayPath, joinPath, lstatHostPath, procPath, sameObject, type RaceHook,
} from './host/contained-tree.js';
import { HandleTable } from './host/handle-table.js';
import { explainedError, hostCode, relabel } from './host/host-errors.js';
import { overlayFormat, type OverlayFormat, type WhiteoutFormat, type XattrNamespace } from './host/overlay-format.js';
import { applyMetadata, createInWorkDir, writeAll } from './host/build-node.js';
import { WorkDir } from './host/work-dir.js';
import { canUseTrustedXattrs, getXattr, listXattrs, removeXattr, setXattr } from './host/xattr.js';
import { ChangeWatcher, type PathSnapshot, type WatchFailures, type WatchFunction } from './host/change-watcher.js';

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
   * stale. With `false` and no `ttlMs`, a name created on the host after a cached negative answer
   * is never seen.
   */
  watch?: boolean;
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

const S_IFMT = fs.constants.S_IFMT;
const S_IFCHR = fs.constants.S_IFCHR;

function nodeType(st: fs.Stats): NodeType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** Run a host call, relabelling its error with the layer path. */
function host<T>(syscall: string, layerPath: string, fn: () => T, dest?: string): T {
  try {
    return fn();
  } catch (err) {
    throw relabel(err, syscall, displayPath(layerPath), dest === undefined ? undefined : displayPath(dest));
  }
}

/** An entry of the layer as seen by an operation: its directory, name, O_PATH fd and lstat. */
interface Entry {
  path: string;
  parentFd: number;
  name: string;
  fd: number;
  st: fs.Stats;
}

export class DirLayer implements Layer {
  readonly name: string;
  readonly writable: boolean;
  /** The real path of the root directory on the host. */
  readonly hostRoot: string;
  readonly format: OverlayFormat;

  private readonly tree: ContainedTree;
  private readonly table = new HandleTable();
  private readonly rootHandle: Handle;
  private readonly listeners = new Set<LayerListener>();
  private readonly workdirPath: string;
  private work: WorkDir | undefined;
  /** opaqueValue(): the last opaque xattr read per directory, with the ctime it was read at. */
  private readonly opaqueSeen = new Map<string, { ctimeMs: number; birthtimeMs: number; value: string | undefined }>();
  private readonly configuredTtlMs: number;
  private readonly fallbackTtlMs: number;
  private watcher: ChangeWatcher | undefined;

  constructor(rootPath: string, options: DirLayerOptions = {}) {
    this.hostRoot = fs.realpathSync(rootPath);
    if (!fs.statSync(this.hostRoot).isDirectory()) throw fsError('ENOTDIR', 'open', rootPath);
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
    this.format = overlayFormat(options.whiteouts ?? 'device',
      xattrs === 'auto' ? (canUseTrustedXattrs().ok ? 'trusted' : 'user') : xattrs);
    this.name = options.name ?? `dir:${this.hostRoot}`;
    this.writable = options.readOnly !== true;
    this.configuredTtlMs = options.ttlMs ?? 0;
    this.fallbackTtlMs = options.fallbackTtlMs ?? 1000;
    this.workdirPath = path.resolve(options.workdir ?? `${this.hostRoot}.strata-work`);
    this.tree = new ContainedTree(this.hostRoot, options.raceHook);
    this.rootHandle = this.table.intern('', this.tree.rootIdentity);
    if (options.watch !== false) {
      this.watcher = new ChangeWatcher(this.tree, this.format, (c) => this.emit(c),
        (err, dirPath) => this.watchFailed(err, dirPath, options.onWatchError), options.watchFunction);
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

  // ---- reads -------------------------------------------------------------------------------

  root(): Handle {
    return this.rootHandle;
  }

  lookup(dir: Handle, name: string): Handle {
    return this.atObject(dir, 'lookup', (d) => {
      checkName(name, 'lookup', d.path);
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'lookup', displayPath(d.path));
      if (this.format.isReservedName(name)) return ABSENT;
      this.watcher?.watchDir(d.path, d.fd);
      return this.lookupIn(d, name)?.handle ?? ABSENT;
    });
  }

  listEntries(dir: Handle): ListedEntries {
    return this.atObject(dir, 'scandir', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'scandir', displayPath(d.path));
      this.watcher?.watchDir(d.path, d.fd);
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

  /** `name` in the held directory `d`: its handle (or WHITEOUT) and type bits; undefined if absent. */
  private lookupIn(d: Entry, name: string): { handle: Handle; mode: number } | undefined {
    const childPath = joinPath(d.path, name);
    const st = this.tree.lstatAt(d.fd, name, childPath);
    if (st === undefined) {
      return host('lstat', childPath, () => this.format.markedWhiteout(d.fd, name)) ? { handle: WHITEOUT, mode: 0 } : undefined;
    }
    if (this.format.isWhiteoutDevice(st)) return { handle: WHITEOUT, mode: 0 };
    if (st.isFile() && st.size === 0 && this.isXwhiteout(d, name, childPath)) return { handle: WHITEOUT, mode: 0 };
    if (st.isDirectory()) this.watcher?.sawDirectory(childPath);
    return { handle: this.table.intern(childPath, st), mode: st.mode & S_IFMT };
  }

  list(dir: Handle): string[] {
    return this.atObject(dir, 'scandir', (d) => {
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', 'scandir', displayPath(d.path));
      this.watcher?.watchDir(d.path, d.fd);
      return this.format.visibleNames(host('scandir', d.path, () => fs.readdirSync(procPath(d.fd))));
    });
  }

  stat(h: Handle): NodeStat {
    const st = this.lstatObject(h);
    const type = nodeType(st);
    return {
      type, mode: st.mode, size: st.size, nlink: st.nlink, uid: st.uid, gid: st.gid,
      atimeMs: st.atimeMs, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, birthtimeMs: st.birthtimeMs,
      ino: st.ino, rdev: type === 'other' ? st.rdev : 0,
    };
  }

  /** The lstat of a handle's object, checked against its identity, without opening it. */
  private lstatObject(h: Handle): fs.Stats {
    const record = this.table.get(h);
    if (record !== undefined && !record.deleted && !record.dir) {
      for (const p of record.paths) {
        const slash = p.lastIndexOf('/');
        try {
          const st = this.tree.withDir(slash < 0 ? '' : p.slice(0, slash), (fd) => this.tree.lstatAt(fd, p.slice(slash + 1), p));
          if (st !== undefined && sameObject(st, record)) return st;
        } catch {
          // unreachable there: try the next name, then the full check below
        }
      }
    }
    return this.atObject(h, 'stat', (e) => e.st);
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
      if (!d.st.isDirectory()) return undefined;
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

  read(h: Handle): Uint8Array {
    return this.atObject(h, 'read', (e) => {
      if (e.st.isDirectory()) throw fsError('EISDIR', 'read', displayPath(e.path));
      if (!e.st.isFile()) throw fsError('EINVAL', 'read', displayPath(e.path));
      // Re-opening the O_PATH descriptor through /proc reaches exactly the object checked.
      return host('read', e.path, () => fs.readFileSync(procPath(e.fd)));
    });
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

  // ---- writes (the overlay drives these). Each notifies subscribers at once, with the change the
  // watcher would report; the watcher itself drops the events they raise (expectSelf) ---------

  createNode(dir: Handle, name: string, spec: NodeSpec): Handle {
    return this.atDirForWrite(dir, name, 'create', (d, childPath) => {
      if (spec.type === 'other' && (spec.mode & S_IFMT) === S_IFCHR && (spec.rdev ?? 0) === 0) {
        // It would read back as a whiteout.
        throw fsError('EPERM', 'mknod', displayPath(childPath));
      }
      const before = this.listeners.size > 0 ? this.tree.lstatAt(d.fd, name, childPath) : undefined;
      const replaced = before !== undefined && !this.format.isWhiteoutDevice(before);
      const work = this.workdir();
      const temp = work.tempName();
      try {
        this.build(work, temp, spec, childPath);
        this.place(temp, d.fd, name, childPath, spec.type === 'dir');
      } catch (err) {
        fs.rmSync(procPath(work.fd, temp), { recursive: true, force: true });
        throw err;
      }
      const st = this.tree.lstatAt(d.fd, name, childPath);
      if (st === undefined) throw fsError('ESTALE', 'create', displayPath(childPath));
      this.watcher?.expectSelf(childPath);
      const h = this.table.intern(childPath, st);
      this.emitAt(childPath, replaced ? 'replace' : 'create');
      return h;
    });
  }

  writeData(h: Handle, data: Uint8Array): void {
    this.atObjectForWrite(h, 'write', 'data', (e) => {
      if (e.st.isDirectory()) throw fsError('EISDIR', 'write', displayPath(e.path));
      if (!e.st.isFile()) throw fsError('EINVAL', 'write', displayPath(e.path));
      host('write', e.path, () => {
        const fd = fs.openSync(procPath(e.fd), fs.constants.O_WRONLY | fs.constants.O_TRUNC);
        try {
          writeAll(fd, data);
        } finally {
          fs.closeSync(fd);
        }
        removeXattr(procPath(e.parentFd, e.name), this.format.metacopyKey);
      });
    });
  }

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
      host('setxattr', d.path, () => this.format.setOpaque(d.fd, this.xattrPath(d), opaque));
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
      host('setxattr', d.path, () => setXattr(at, this.format.redirectKey, this.storedRedirect(d.path, origin)));
    });
  }

  removeName(dir: Handle, name: string): void {
    this.atDirForWrite(dir, name, 'unlink', (d, childPath) => {
      const st = this.tree.lstatAt(d.fd, name, childPath);
      if (st !== undefined) this.removeAt(d.fd, name, childPath, st);
      const marker = host('unlink', childPath, () => this.format.clearWhiteoutMarker(d.fd, name));
      if (st === undefined && !marker) throw fsError('ENOENT', 'unlink', displayPath(childPath));
      this.watcher?.expectSelf(childPath);
      this.emitAt(childPath, 'remove');
    });
  }

  putWhiteout(dir: Handle, name: string): void {
    this.atDirForWrite(dir, name, 'mknod', (d, childPath) => {
      const st = this.tree.lstatAt(d.fd, name, childPath);
      // A marker first (where the format has them): while both exist the entry still wins, so there is no gap.
      if (host('open', childPath, () => this.format.writeWhiteoutMarker(d.fd, name))) {
        if (st !== undefined) this.removeAt(d.fd, name, childPath, st);
      } else if (st === undefined || !this.format.isWhiteoutDevice(st)) {
        const work = this.workdir();
        const temp = work.tempName();
        try {
          host('mknod', childPath, () => work.whiteouts.make(work.fd, temp, displayPath(childPath)));
          this.place(temp, d.fd, name, childPath, false);
        } catch (err) {
          fs.rmSync(procPath(work.fd, temp), { force: true });
          throw err;
        }
        if (st !== undefined) this.forget(childPath, st);
      }
      this.watcher?.expectSelf(childPath);
      this.emitAt(childPath, 'whiteout');
    });
  }

  renameName(fromDir: Handle, from: string, toDir: Handle, to: string): void {
    this.atDirForWrite(fromDir, from, 'rename', (fd, fromPath) => {
      this.atDirForWrite(toDir, to, 'rename', (td, toPath) => {
        const src = this.tree.lstatAt(fd.fd, from, fromPath);
        if (src === undefined) throw fsError('ENOENT', 'rename', displayPath(fromPath), displayPath(toPath));
        if (fromPath === toPath) return;
        const dst = this.tree.lstatAt(td.fd, to, toPath);
        if (dst !== undefined && src.isDirectory() && this.format.isWhiteoutDevice(dst)) {
          // A whiteout is a mark, not a file: a directory may take its place. rename(2) cannot put
          // a directory over a non-directory (the kernel uses RENAME_EXCHANGE), so remove it first.
          host('unlink', toPath, () => fs.unlinkSync(procPath(td.fd, to)));
        }
        // A relative redirect names a sibling in the lower parent: moved to another directory it
        // would point elsewhere, so it is rewritten for its new place (as the kernel does).
        const movedRedirect = src.isDirectory() && fd.path !== td.path ? this.absoluteRedirectAt(fd.fd, from, fromPath) : undefined;
        host('rename', fromPath, () => fs.renameSync(procPath(fd.fd, from), procPath(td.fd, to)), toPath);
        if (movedRedirect !== undefined) {
          host('setxattr', toPath, () => setXattr(procPath(td.fd, to), this.format.redirectKey, this.storedRedirect(toPath, movedRedirect)));
        }
        if (dst !== undefined && !sameObject(dst, src)) this.forget(toPath, dst);
        this.table.moved(fromPath, toPath);
        if (src.isDirectory()) this.tree.forgetDirs(fromPath);
        this.clearWhiteoutMarker(td.fd, to, toPath);
        this.watcher?.expectSelf(fromPath);
        this.watcher?.expectSelf(toPath);
        this.emitAt(fromPath, 'rename');
        this.emitAt(toPath, 'rename');
      });
    });
  }

  linkName(h: Handle, dir: Handle, name: string): void {
    this.atObjectForWrite(h, 'link', undefined, (e) => {
      if (e.st.isDirectory()) throw fsError('EPERM', 'link', displayPath(e.path));
      this.atDirForWrite(dir, name, 'link', (d, linkPath) => {
        const existing = this.tree.lstatAt(d.fd, name, linkPath);
        if (existing !== undefined && this.format.isWhiteoutDevice(existing)) {
          // Over a whiteout: link under a temporary name in the work directory, then rename it
          // over the whiteout, so the name never shows what the whiteout hides.
          const work = this.workdir();
          const temp = work.tempName();
          host('link', e.path, () => fs.linkSync(procPath(e.parentFd, e.name), procPath(work.fd, temp)), linkPath);
          try {
            host('rename', linkPath, () => fs.renameSync(procPath(work.fd, temp), procPath(d.fd, name)));
          } catch (err) {
            fs.rmSync(procPath(work.fd, temp), { force: true });
            throw err;
          }
        } else {
          host('link', e.path, () => fs.linkSync(procPath(e.parentFd, e.name), procPath(d.fd, name)), linkPath);
        }
        const st = this.tree.lstatAt(d.fd, name, linkPath);
        if (st === undefined || !sameObject(st, e.st)) {
          // The source was swapped between our check and link(2): undo, report the race.
          if (st !== undefined) fs.unlinkSync(procPath(d.fd, name));
          throw fsError('ESTALE', 'link', displayPath(e.path), displayPath(linkPath));
        }
        this.clearWhiteoutMarker(d.fd, name, linkPath);
        this.table.intern(linkPath, st);
        this.watcher?.expectSelf(linkPath);
        this.emitAt(linkPath, 'create');
      });
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The layer path of a live handle's first known name (for tools and tests). */
  pathOf(h: Handle): string {
    return this.atObject(h, 'stat', (e) => displayPath(e.path));
  }

  private emit(change: LayerChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  /**
   * Run `fn` on the object behind handle `h`, found at one of its known paths with its identity.
   * A path where something else now lives (or that can no longer be walked: a component removed,
   * or turned into a symlink) is dropped; when none is left the handle is stale (ESTALE).
   */
  private atObject<T>(h: Handle, syscall: string, fn: (e: Entry) => T): T {
    const record = this.table.get(h);
    if (record === undefined || record.deleted) throw fsError('ESTALE', syscall);
    for (const p of [...record.paths]) {
      let found: { value: T } | undefined;
      try {
        found = record.dir
          // A directory is held directly (from the tree's cache when it still checks out).
          ? this.tree.withDir(p, (fd, st) => (sameObject(st, record) ? { value: this.call(fn, { path: p, parentFd: -1, name: '', fd, st }) } : undefined))
          : this.tree.withEntry(p, (parentFd, name, fd, st) =>
            sameObject(st, record) ? { value: this.call(fn, { path: p, parentFd, name, fd, st }) } : undefined);
      } catch (err) {
        if (err instanceof OperationError) throw err.cause;
        if (!['ENOENT', 'ENOTDIR', 'ELOOP', 'ESTALE'].includes(hostCode(err) ?? '')) throw err;
      }
      if (found !== undefined) return found.value;
      this.table.forgetPath(p, false);
    }
    throw fsError('ESTALE', syscall, displayPath(record.paths[0] ?? ''));
  }

  /** Errors of the operation itself pass through atObject untouched (only walk errors are stale). */
  private call<T>(fn: (e: Entry) => T, e: Entry): T {
    try {
      return fn(e);
    } catch (err) {
      throw new OperationError(err);
    }
  }

  /** A write to the object itself; `change` is notified at each of its known names (none for link). */
  private atObjectForWrite<T>(h: Handle, syscall: string, change: LayerChange['kind'] | undefined, fn: (e: Entry) => T): T {
    this.checkWritable(syscall);
    const out = this.atObject(h, syscall, fn);
    const paths = [...(this.table.get(h)?.paths ?? [])];
    for (const p of paths) this.watcher?.expectSelf(p);
    if (change === 'opaque' || change === 'redirect') {
      for (const p of paths) this.emit({ dir: displayPath(p), name: '', kind: change });
    } else if (change !== undefined) {
      for (const p of paths) this.emitAt(p, change);
    }
    return out;
  }

  /** Notify a change at the name `layerPath` (a write through the Layer interface). */
  private emitAt(layerPath: string, kind: LayerChange['kind']): void {
    if (this.listeners.size === 0) return;
    const slash = layerPath.lastIndexOf('/');
    this.emit({ dir: displayPath(slash < 0 ? '' : layerPath.slice(0, slash)), name: layerPath.slice(slash + 1), kind });
  }

  /** Run `fn` with the directory `dir` (checked to be one) and the path of `name` in it. */
  private atDirForWrite<T>(dir: Handle, name: string, syscall: string, fn: (d: Entry, childPath: string) => T): T {
    this.checkWritable(syscall);
    return this.atObject(dir, syscall, (d) => {
      checkName(name, syscall, d.path);
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', syscall, displayPath(d.path));
      if (this.format.isReservedName(name)) throw fsError('EINVAL', syscall, displayPath(joinPath(d.path, name)));
      return fn(d, joinPath(d.path, name));
    });
  }

  private checkWritable(syscall: string): void {
    if (!this.writable) throw fsError('EROFS', syscall);
  }

  /** Throw ESTALE if the entry's name now holds another object (a swap during the operation). */
  private recheck(e: Entry, syscall: string): void {
    if (e.parentFd < 0) return;
    const now = this.tree.lstatAt(e.parentFd, e.name, e.path);
    if (now === undefined || !sameObject(now, e.st)) throw fsError('ESTALE', syscall, displayPath(e.path));
  }

  /** Where the l*xattr calls reach exactly this entry: a held directory via `/.`, else its name. */
  private xattrPath(e: Entry): string {
    return e.st.isDirectory() ? `${procPath(e.fd)}/.` : procPath(e.parentFd, e.name);
  }

  /**
   * The opaque xattr of directory `d`, read once per change of the directory: setting an xattr
   * bumps ctime, so a value read at the same (dev, ino, ctime) still holds. Spares one getxattr
   * per empty file looked up (the xwhiteout check).
   */
  private opaqueValue(d: Entry): string | undefined {
    const key = `${d.st.dev}:${d.st.ino}`;
    const known = this.opaqueSeen.get(key);
    if (known !== undefined && known.ctimeMs === d.st.ctimeMs && known.birthtimeMs === d.st.birthtimeMs) return known.value;
    const value = this.readMark(d, this.format.opaqueKey);
    if (this.opaqueSeen.size >= 1024) this.opaqueSeen.clear();
    this.opaqueSeen.set(key, { ctimeMs: d.st.ctimeMs, birthtimeMs: d.st.birthtimeMs, value });
    return value;
  }

  private readMark(e: Entry, key: string): string | undefined {
    return host('getxattr', e.path, () => getXattr(this.xattrPath(e), key))?.toString();
  }

  /** A kernel ≥ 6.7 "xwhiteout": an empty file marked so, in a directory whose opaque mark is 'x'. */
  private isXwhiteout(d: Entry, name: string, childPath: string): boolean {
    if (this.opaqueValue(d) !== 'x') return false;
    return host('getxattr', childPath, () => getXattr(procPath(d.fd, name), this.format.xwhiteoutKey)) !== undefined;
  }

  private clearWhiteoutMarker(dirFd: number, name: string, childPath: string): void {
    host('unlink', childPath, () => this.format.clearWhiteoutMarker(dirFd, name));
  }

  /** The absolute form of a relative redirect on directory `name` in `dirFd`, else undefined. */
  private absoluteRedirectAt(dirFd: number, name: string, dirPath: string): string | undefined {
    const raw = host('getxattr', dirPath, () => getXattr(procPath(dirFd, name), this.format.redirectKey))?.toString();
    if (raw === undefined || raw.startsWith('/')) return undefined;
    const slash = dirPath.lastIndexOf('/');
    return `${this.lowerBase(slash < 0 ? '' : dirPath.slice(0, slash))}/${raw}`;
  }

  /** Where lookups continue below the directory at `dirPath`, following this layer's redirects. */
  private lowerBase(dirPath: string): string {
    if (dirPath === '') return '';
    const slash = dirPath.lastIndexOf('/');
    const parent = slash < 0 ? '' : dirPath.slice(0, slash);
    const raw = this.tree.withEntry(dirPath, (parentFd, name, fd, st) =>
      this.readMark({ path: dirPath, parentFd, name, fd, st }, this.format.redirectKey));
    if (raw !== undefined && raw.startsWith('/')) return raw;
    return `${this.lowerBase(parent)}/${raw ?? dirPath.slice(slash + 1)}`;
  }

  /** The kernel's on-disk form of a redirect: relative when it stays in the same lower parent. */
  private storedRedirect(dirPath: string, origin: string): string {
    const slash = dirPath.lastIndexOf('/');
    const parentBase = this.lowerBase(slash < 0 ? '' : dirPath.slice(0, slash));
    const originSlash = origin.lastIndexOf('/');
    return origin.slice(0, originSlash) === parentBase ? origin.slice(originSlash + 1) : origin;
  }

  /** Remove the entry `name` (lstat'ed as `st`) from `dirFd` and forget its handle there. */
  private removeAt(dirFd: number, name: string, childPath: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      host('rmdir', childPath, () => this.format.beforeRemoveDir(dirFd, name));
      host('rmdir', childPath, () => fs.rmdirSync(procPath(dirFd, name)));
    } else {
      host('unlink', childPath, () => fs.unlinkSync(procPath(dirFd, name)));
    }
    this.forget(childPath, st);
  }

  private forget(childPath: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      this.table.forgetPath(childPath, true);
      this.tree.forgetDirs(childPath);
    }
    this.table.removed(childPath);
  }

  /** The work directory (created or verified, and locked, on first use): host/work-dir.ts. */
  private workdir(): WorkDir {
    this.work ??= new WorkDir(this.workdirPath, this.tree.rootIdentity.dev, this.hostRoot);
    return this.work;
  }

  /**
   * Build `spec` complete at `temp` in the work directory. Owner, mode and times are applied to
   * the descriptor of the object we created (never to a name): fchown, fchmod, futimes.
   */
  private build(work: WorkDir, temp: string, spec: NodeSpec, childPath: string): void {
    const at = procPath(work.fd, temp);
    host('create', childPath, () => {
      const made = createInWorkDir(work.fd, temp, spec, childPath);
      try {
        if (spec.type === 'dir' && spec.opaque === true) this.format.setOpaque(made.fd, `${procPath(made.fd)}/.`, true);
        // xattrs by name: the l-variants cannot take a descriptor, and the verified work dir is ours alone.
        for (const [key, value] of Object.entries(spec.xattrs ?? {})) {
          if (!this.format.isPrivateXattr(key)) setXattr(at, key, value);
        }
        if (spec.redirect !== undefined) this.setMarkAt(at, childPath, this.format.redirectKey, this.storedRedirect(childPath, spec.redirect));
        if (spec.metacopy === true) this.setMarkAt(at, childPath, this.format.metacopyKey, '');
        // Owner, mode and times last: chown clears set-id bits, and each earlier step bumps times.
        applyMetadata(made, at, spec);
        const now = fs.lstatSync(at);
        if (!sameObject(now, made.st)) throw fsError('ESTALE', 'create', displayPath(childPath));
      } finally {
        fs.closeSync(made.fd);
      }
    });
  }

  /** Write an overlay mark on the object at `at`; a refusal names the option that fixes it. */
  private setMarkAt(at: string, layerPath: string, key: string, value: string): void {
    try {
      setXattr(at, key, value);
    } catch (err) {
      const code = hostCode(err);
      if (code !== 'EPERM' && code !== 'ENOTSUP') throw err;
      throw explainedError(code, 'setxattr', displayPath(layerPath), this.format.xattrs === 'trusted'
        ? "trusted.* xattrs need CAP_SYS_ADMIN; use the kernel's userxattr format: { xattrs: 'user' } (CLI --userxattr)"
        : `this filesystem refuses ${key}: overlay marks need user xattrs (or run as root with { xattrs: 'trusted' })`);
    }
  }

  /**
   * Rename the built `temp` over `name` in `dirFd`. rename(2) replaces a non-directory or an
   * empty directory atomically; a directory over a non-directory (or the reverse) cannot be
   * replaced in one step without renameat2, so the old entry is removed first.
   */
  private place(temp: string, dirFd: number, name: string, childPath: string, isDir: boolean): void {
    const work = this.workdir();
    const existing = this.tree.lstatAt(dirFd, name, childPath);
    if (existing !== undefined && existing.isDirectory() !== isDir) this.removeAt(dirFd, name, childPath, existing);
    host('rename', childPath, () => fs.renameSync(procPath(work.fd, temp), procPath(dirFd, name)));
    if (existing !== undefined) this.forget(childPath, existing);
    this.clearWhiteoutMarker(dirFd, name, childPath);
  }

  /** A comparable picture of what is at a layer path now (for the watcher's classification). */
  private snapshot(layerPath: string): PathSnapshot {
    return ChangeWatcher.snapshotAt(this.tree, this.format, layerPath);
  }

  private snapshotBefore(layerPath: string): PathSnapshot | undefined {
    return this.watcher?.lastSeen(layerPath);
  }
}

/** Carries an operation's own error through atObject's walk-error handling. */
class OperationError {
  constructor(readonly cause: unknown) {}
}

/** '/a/b/' or 'a/b' → 'a/b'; '/' → ''. */
function normalize(layerPath: string): string {
  return layerPath.split('/').filter((c) => c !== '' && c !== '.').join('/');
}

