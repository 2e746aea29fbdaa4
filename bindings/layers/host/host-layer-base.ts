// The host side of DirLayer, shared by its reads and writes: reaching an object by handle (at one
// of its known paths, with its identity checked), the marks kept in xattrs, the work directory
// where objects are built, and the notifications of the layer's own writes. dir-layer.ts is the
// Layer interface on top of it.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import { WHITEOUT, type Handle, type LayerChange, type LayerListener, type NodeSpec, type NodeStat, type NodeType } from '../layer.js';
import type { ContainedTree } from './contained-tree.js';
import { checkName, displayPath, joinPath, procPath, sameObject } from './host-paths.js';
import { HandleTable } from './handle-table.js';
import { explainedError, hostCode, relabel } from './host-errors.js';
import type { OverlayFormat } from './overlay-format.js';
import { applyMetadata, createInWorkDir } from './build-node.js';
import { RENAME_EXCHANGE, RenameAt2 } from './rename-at2.js';
import { WorkDir } from './work-dir.js';
import { getXattr, setXattr } from './xattr.js';
import { ChangeWatcher, type PathSnapshot } from './change-watcher.js';

const S_IFMT = fs.constants.S_IFMT;

export function nodeType(st: fs.Stats): NodeType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

/** A layer stat record from a host lstat. */
export function nodeStat(st: fs.Stats): NodeStat {
  const type = nodeType(st);
  return {
    type, mode: st.mode, size: st.size, nlink: st.nlink, uid: st.uid, gid: st.gid,
    atimeMs: st.atimeMs, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, birthtimeMs: st.birthtimeMs,
    ino: st.ino, rdev: type === 'other' ? st.rdev : 0,
  };
}

/** Run a host call, relabelling its error with the layer path. */
export function host<T>(syscall: string, layerPath: string, fn: () => T, dest?: string): T {
  try {
    return fn();
  } catch (err) {
    throw relabel(err, syscall, displayPath(layerPath), dest === undefined ? undefined : displayPath(dest));
  }
}

/** An entry of the layer as seen by an operation: its directory, name, O_PATH fd and lstat. */
export interface Entry {
  path: string;
  parentFd: number;
  name: string;
  fd: number;
  st: fs.Stats;
}

export abstract class HostLayerBase {
  readonly writable: boolean;
  /** The real path of the root directory on the host. */
  readonly hostRoot: string;
  readonly format: OverlayFormat;

  protected readonly tree: ContainedTree;
  protected readonly table = new HandleTable();
  protected readonly listeners = new Set<LayerListener>();
  protected watcher: ChangeWatcher | undefined;
  protected readonly workdirPath: string;
  protected work: WorkDir | undefined;
  /** Which one-step replaces (renameat2) this host takes. */
  protected readonly renames = new RenameAt2();
  /** opaqueValue(): the last opaque xattr read per directory, with the ctime it was read at. */
  private readonly opaqueSeen = new Map<string, { ctimeMs: number; birthtimeMs: number; value: string | undefined }>();

  constructor(hostRoot: string, format: OverlayFormat, tree: ContainedTree, writable: boolean, workdirPath: string) {
    this.hostRoot = hostRoot;
    this.format = format;
    this.tree = tree;
    this.writable = writable;
    this.workdirPath = workdirPath;
  }

  /** `name` in the held directory `d`: its handle (or WHITEOUT) and type bits; undefined if absent. */
  protected lookupIn(d: Entry, name: string): { handle: Handle; mode: number } | undefined {
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

  /** The lstat of a handle's object, checked against its identity, without opening it. */
  protected lstatObject(h: Handle): fs.Stats {
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

  protected emit(change: LayerChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  /**
   * Run `fn` on the object behind handle `h`, found at one of its known paths with its identity.
   * A path where something else now lives (or that can no longer be walked: a component removed,
   * or turned into a symlink) is dropped; when none is left the handle is stale (ESTALE).
   */
  protected atObject<T>(h: Handle, syscall: string, fn: (e: Entry) => T): T {
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
  protected call<T>(fn: (e: Entry) => T, e: Entry): T {
    try {
      return fn(e);
    } catch (err) {
      throw new OperationError(err);
    }
  }

  /** A write to the object itself; `change` is notified at each of its known names (none for link). */
  protected atObjectForWrite<T>(h: Handle, syscall: string, change: LayerChange['kind'] | undefined, fn: (e: Entry) => T): T {
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
  protected emitAt(layerPath: string, kind: LayerChange['kind']): void {
    if (this.listeners.size === 0) return;
    const slash = layerPath.lastIndexOf('/');
    this.emit({ dir: displayPath(slash < 0 ? '' : layerPath.slice(0, slash)), name: layerPath.slice(slash + 1), kind });
  }

  /** Run `fn` with the directory `dir` (checked to be one) and the path of `name` in it. */
  protected atDirForWrite<T>(dir: Handle, name: string, syscall: string, fn: (d: Entry, childPath: string) => T): T {
    this.checkWritable(syscall);
    return this.atObject(dir, syscall, (d) => {
      checkName(name, syscall, d.path);
      if (!d.st.isDirectory()) throw fsError('ENOTDIR', syscall, displayPath(d.path));
      if (this.format.isReservedName(name)) throw fsError('EINVAL', syscall, displayPath(joinPath(d.path, name)));
      return fn(d, joinPath(d.path, name));
    });
  }

  protected checkWritable(syscall: string): void {
    if (!this.writable) throw fsError('EROFS', syscall);
  }

  /** Throw ESTALE if the entry's name now holds another object (a swap during the operation). */
  protected recheck(e: Entry, syscall: string): void {
    if (e.parentFd < 0) return;
    const now = this.tree.lstatAt(e.parentFd, e.name, e.path);
    if (now === undefined || !sameObject(now, e.st)) throw fsError('ESTALE', syscall, displayPath(e.path));
  }

  /** Where the l*xattr calls reach exactly this entry: a held directory via `/.`, else its name. */
  protected xattrPath(e: Entry): string {
    return e.st.isDirectory() ? `${procPath(e.fd)}/.` : procPath(e.parentFd, e.name);
  }

  /**
   * The opaque xattr of directory `d`, read once per change of the directory: setting an xattr
   * bumps ctime, so a value read at the same (dev, ino, ctime) still holds. Spares one getxattr
   * per empty file looked up (the xwhiteout check).
   */
  protected opaqueValue(d: Entry): string | undefined {
    const key = `${d.st.dev}:${d.st.ino}`;
    const known = this.opaqueSeen.get(key);
    if (known !== undefined && known.ctimeMs === d.st.ctimeMs && known.birthtimeMs === d.st.birthtimeMs) return known.value;
    const value = this.readMark(d, this.format.opaqueKey);
    if (this.opaqueSeen.size >= 1024) this.opaqueSeen.clear();
    this.opaqueSeen.set(key, { ctimeMs: d.st.ctimeMs, birthtimeMs: d.st.birthtimeMs, value });
    return value;
  }

  protected readMark(e: Entry, key: string): string | undefined {
    return host('getxattr', e.path, () => getXattr(this.xattrPath(e), key))?.toString();
  }

  /** A kernel ≥ 6.7 "xwhiteout": an empty file marked so, in a directory whose opaque mark is 'x'. */
  protected isXwhiteout(d: Entry, name: string, childPath: string): boolean {
    if (this.opaqueValue(d) !== 'x') return false;
    return host('getxattr', childPath, () => getXattr(procPath(d.fd, name), this.format.xwhiteoutKey)) !== undefined;
  }

  protected clearWhiteoutMarker(dirFd: number, name: string, childPath: string): void {
    host('unlink', childPath, () => this.format.clearWhiteoutMarker(dirFd, name));
  }

  /** The absolute form of a relative redirect on directory `name` in `dirFd`, else undefined. */
  protected absoluteRedirectAt(dirFd: number, name: string, dirPath: string): string | undefined {
    const raw = host('getxattr', dirPath, () => getXattr(procPath(dirFd, name), this.format.redirectKey))?.toString();
    if (raw === undefined || raw.startsWith('/')) return undefined;
    const slash = dirPath.lastIndexOf('/');
    return `${this.lowerBase(slash < 0 ? '' : dirPath.slice(0, slash))}/${raw}`;
  }

  /** Where lookups continue below the directory at `dirPath`, following this layer's redirects. */
  protected lowerBase(dirPath: string): string {
    if (dirPath === '') return '';
    const slash = dirPath.lastIndexOf('/');
    const parent = slash < 0 ? '' : dirPath.slice(0, slash);
    const raw = this.tree.withEntry(dirPath, (parentFd, name, fd, st) =>
      this.readMark({ path: dirPath, parentFd, name, fd, st }, this.format.redirectKey));
    if (raw !== undefined && raw.startsWith('/')) return raw;
    return `${this.lowerBase(parent)}/${raw ?? dirPath.slice(slash + 1)}`;
  }

  /** The kernel's on-disk form of a redirect: relative when it stays in the same lower parent. */
  protected storedRedirect(dirPath: string, origin: string): string {
    const slash = dirPath.lastIndexOf('/');
    const parentBase = this.lowerBase(slash < 0 ? '' : dirPath.slice(0, slash));
    const originSlash = origin.lastIndexOf('/');
    return origin.slice(0, originSlash) === parentBase ? origin.slice(originSlash + 1) : origin;
  }

  /** Remove the entry `name` (lstat'ed as `st`) from `dirFd` and forget its handle there. */
  protected removeAt(dirFd: number, name: string, childPath: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      host('rmdir', childPath, () => this.format.beforeRemoveDir(dirFd, name));
      try {
        host('rmdir', childPath, () => fs.rmdirSync(procPath(dirFd, name)));
      } catch (err) {
        if (hostCode(err) !== 'ENOTEMPTY' && hostCode(err) !== 'EEXIST') throw err;
        this.removeAside(dirFd, name, childPath);
      }
    } else {
      host('unlink', childPath, () => fs.unlinkSync(procPath(dirFd, name)));
    }
    this.forget(childPath, st);
  }

  /**
   * A directory that holds only whiteouts (an rmdir'ed merged directory) goes in one step: renamed
   * into the work directory, then removed there — the kernel exchanges it with the whiteout. Any
   * other entry in it is ENOTEMPTY, as rmdir(2) says.
   */
  private removeAside(dirFd: number, name: string, childPath: string): void {
    const at = procPath(dirFd, name);
    this.checkOnlyWhiteouts(at, childPath);
    const work = this.workdir();
    const temp = work.tempName();
    host('rename', childPath, () => fs.renameSync(at, procPath(work.fd, temp)));
    removeInWorkDir(work, temp);
  }

  /** ENOTEMPTY unless the directory at `at` holds only whiteouts (and the format's marker files). */
  private checkOnlyWhiteouts(at: string, childPath: string): void {
    for (const child of fs.readdirSync(at)) {
      const st = fs.lstatSync(`${at}/${child}`);
      if (!this.format.isWhiteoutDevice(st) && !this.format.isReservedName(child)) throw fsError('ENOTEMPTY', 'rmdir', displayPath(childPath));
    }
  }

  protected forget(childPath: string, st: fs.Stats): void {
    if (st.isDirectory()) {
      this.table.forgetPath(childPath, true);
      this.tree.forgetDirs(childPath);
    }
    this.table.removed(childPath);
  }

  /** The work directory (created or verified, and locked, on first use): host/work-dir.ts. */
  protected workdir(): WorkDir {
    this.work ??= new WorkDir(this.workdirPath, this.tree.rootIdentity.dev, this.hostRoot);
    return this.work;
  }

  /**
   * Build `spec` complete at `temp` in the work directory. Owner, mode and times are applied to
   * the descriptor of the object we created (never to a name): fchown, fchmod, futimes.
   */
  protected build(work: WorkDir, temp: string, spec: NodeSpec, childPath: string): void {
    const at = procPath(work.fd, temp);
    host('create', childPath, () => {
      const made = createInWorkDir(work.fd, temp, spec, childPath);
      try {
        if (spec.type === 'dir' && spec.opaque === true) this.writeMark(childPath, () => this.format.setOpaque(made.fd, `${procPath(made.fd)}/.`, true));
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
  protected setMarkAt(at: string, layerPath: string, key: string, value: string): void {
    this.writeMark(layerPath, () => setXattr(at, key, value));
  }

  /** Run a mark write; EPERM/ENOTSUP become an error that says which option to use instead. */
  protected writeMark(layerPath: string, write: () => void): void {
    try {
      write();
    } catch (err) {
      const code = hostCode(err);
      if (code !== 'EPERM' && code !== 'ENOTSUP') throw relabel(err, 'setxattr', displayPath(layerPath));
      throw explainedError(code, 'setxattr', displayPath(layerPath), this.format.xattrs === 'trusted'
        ? "trusted.* xattrs need CAP_SYS_ADMIN; use the kernel's userxattr format: { xattrs: 'user' } (CLI --userxattr)"
        : `this filesystem refuses ${this.format.privatePrefix}* xattrs: overlay marks need user xattrs ` +
          "(or run as root with { xattrs: 'trusted' }, or { whiteouts: 'oci' } for marker files)");
    }
  }

  /**
   * Rename the built `temp` over `name` in `dirFd`. rename(2) replaces a non-directory or an
   * empty directory atomically; a directory over a non-directory (or the reverse) is swapped in
   * with RENAME_EXCHANGE where the host takes it (the old object then lies at `temp`, removed
   * there), as the kernel does, else the old entry is removed first.
   */
  protected place(temp: string, dirFd: number, name: string, childPath: string, isDir: boolean): void {
    const work = this.workdir();
    const existing = this.tree.lstatAt(dirFd, name, childPath);
    let swapped = false;
    if (existing !== undefined && existing.isDirectory() !== isDir) {
      if (existing.isDirectory() && this.renames.offers(RENAME_EXCHANGE)) this.checkOnlyWhiteouts(procPath(dirFd, name), childPath);
      swapped = this.renames.run(work.fd, temp, dirFd, name, RENAME_EXCHANGE, 'rename', childPath);
      if (swapped) removeInWorkDir(work, temp);
      else this.removeAt(dirFd, name, childPath, existing);
    }
    if (!swapped) host('rename', childPath, () => fs.renameSync(procPath(work.fd, temp), procPath(dirFd, name)));
    if (existing !== undefined) this.forget(childPath, existing);
    this.clearWhiteoutMarker(dirFd, name, childPath);
  }

  /** A comparable picture of what is at a layer path now (for the watcher's classification). */
  protected snapshot(layerPath: string): PathSnapshot {
    return ChangeWatcher.snapshotAt(this.tree, this.format, layerPath);
  }

  protected snapshotBefore(layerPath: string): PathSnapshot | undefined {
    return this.watcher?.lastSeen(layerPath);
  }}


/** Remove what lies at `temp` in the work directory (a writer killed first leaves it to the next open: host/work-dir.ts). */
function removeInWorkDir(work: WorkDir, temp: string): void {
  fs.rmSync(procPath(work.fd, temp), { recursive: true, force: true });
}

/** Carries an operation's own error through atObject's walk-error handling. */
class OperationError {
  constructor(readonly cause: unknown) {}
}

/** '/a/b/' or 'a/b' → 'a/b'; '/' → ''. */
export function normalize(layerPath: string): string {
  return layerPath.split('/').filter((c) => c !== '' && c !== '.').join('/');
}

