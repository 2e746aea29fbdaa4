// Overlay: an upper writable layer over N read-only lowers, with overlayfs semantics
// (docs/semantics.md). This file is the API only: it decodes arguments, checks in the order the
// kernel's VFS does, and makes one engine call per operation. The engine (engine/engine.ts) walks
// paths through its dentry cache and applies the stale-entry policy; its namespace operations
// (engine/namespace.ts) and inode operations (engine/inode.ts) write to the upper, copying up
// first. See docs/engine.md.
//
// Error order follows the kernel's VFS (settled against it by the reference model): whole-path
// errors, then the parent directory's lookup, then EEXIST/EISDIR-style checks on the last name,
// then EROFS — except unlink, rmdir and rename, which check EROFS right after the parent lookup.
import { F_MERGED, F_OPAQUE, T_DIR, T_SYMLINK } from './abi.js';
import { invalidArgType, outOfRange } from './arg-errors.js';
import type { CacheImpl } from './cache/create-cache.js';
import type { CacheCapacity } from './cache/dentry-cache.js';
import {
  checkPath, checkWholePath, isName, lengthOf, mknodSpec, modeOf, timeMs, toBytes, tooLong,
} from './engine/args.js';
import type { OverlayListener } from './engine/change-feed.js';
import {
  checkBoolean, checkSymlinkType, encodingOf, fileMode, fsOptions, mkdirOptions, rmOptions, statOptions,
  type Options, type StatOptions,
} from './engine/fs-options.js';
import { Engine, type EngineCounters } from './engine/engine.js';
import { mkdirp, rm } from './engine/fs-compat.js';
import { MountPoint } from './engine/mount-point.js';
import { openModeOf } from './engine/open-flags.js';
import { freeName, listPath, lstatMode, openObject, readContent, requireUpper, statPath, truncatePath, writeContent, type OpenedPath,
} from './engine/path-ops.js';
import type { OpenObject } from './engine/open-object.js';
import { checkOwnerChange, ownerIdOf } from './engine/owner-rules.js';
import type { Dirent, Stats } from './engine/stats.js';
import { fsError, type StrataError } from './errors.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, type Layer } from './layers/layer.js';
import { policyFor, type PolicyName } from './policy.js';

export interface OverlayOptions {
  /** Read-only layers, lowers[0] on top (at least one). */
  lowers: Layer[];
  /** The writable layer; without it every write fails with EROFS. */
  upper?: Layer;
  policy?: PolicyName;
  /** Allow renaming merged and lower directories (they get a redirect) instead of EXDEV. */
  redirectDir?: boolean;
  /** Metadata-only changes copy up metadata only; data stays in the lower until written. */
  metacopy?: boolean;
  /** index=on: the names of a lower hard link stay one file across copy-up (engine/hard-link-index.ts). */
  index?: boolean;
  cache?: { capacity?: Partial<CacheCapacity> | number; impl?: CacheImpl };
  /** Time source in milliseconds (default performance.now); only differences are used. */
  clock?: () => number;
  /**
   * The host path the overlay stands for (e.g. the project directory): absolute symlinks into
   * it resolve inside the overlay, as on a kernel mount there (docs/engine.md, "Mount point").
   */
  mountPoint?: string;
}

export interface ResolveInfo {
  /** Which layer answered: 'upper', or the index into `lowers`. */
  layer: 'upper' | number;
  merged: boolean;
  opaque: boolean;
}

export type OverlayCounters = EngineCounters;

export type { Options, StatOptions };

export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIR_MODE = 0o755;
const MAX_LAYERS = 255;
/** View slots of the two paths of rename and link. */
const SRC = 0;
const DST = 1;

type Fail = (code: string) => StrataError;

export class Overlay {
  readonly policy: PolicyName;
  readonly redirectDir: boolean;
  readonly metacopy: boolean;
  /** The mount point, normalized; undefined when not given. */
  readonly mountPoint: string | undefined;
  readonly index: boolean;
  private readonly engine: Engine;

  constructor(options: OverlayOptions) {
    if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
    const { lowers, upper } = options;
    if (!Array.isArray(lowers) || lowers.length === 0) throw invalidArgType('options.lowers', 'a non-empty array of layers', lowers);
    if (lowers.length + 1 > MAX_LAYERS) throw outOfRange('options.lowers.length', `<= ${MAX_LAYERS - 1}`, lowers.length);
    const policy = policyFor(options.policy);
    this.policy = policy.name;
    this.redirectDir = options.redirectDir === true;
    this.metacopy = options.metacopy === true;
    const mountPoint = MountPoint.of(options.mountPoint);
    this.mountPoint = mountPoint?.path;
    this.index = options.index === true;
    this.engine = new Engine(this, {
      layers: [upper, ...lowers], policy, redirectDir: this.redirectDir, metacopy: this.metacopy, index: this.index,
      cache: options.cache, clock: options.clock, mountPoint,
    });
  }

  /** True when the overlay has a writable upper; otherwise every write fails with EROFS. */
  get writable(): boolean {
    return this.engine.upper !== undefined;
  }

  /**
   * Stop listening to the layers and give the cache back (a WASM instance goes to a pool for the
   * next overlay). A closed overlay could only answer from a cache nobody keeps up to date, so
   * every operation fails with EBADF afterwards; stats() keeps the final counters. An overlay
   * that is dropped without close() does the same once it is collected.
   */
  close(): void {
    this.engine.close();
  }

  // ---------------------------------------------------------------- reads

  stat(path: string): Stats;
  stat(path: string, options: StatOptions): Stats | undefined;
  stat(path: string, options?: StatOptions): Stats | undefined {
    return this.statCommon(path, true, 'stat', options);
  }

  lstat(path: string): Stats;
  lstat(path: string, options: StatOptions): Stats | undefined;
  lstat(path: string, options?: StatOptions): Stats | undefined {
    return this.statCommon(path, false, 'lstat', options);
  }

  /**
   * Like fs.existsSync, never throws. It cannot report ESTALE either: under a strict policy the
   * stale entry is still counted and dropped, and the answer comes from the fresh state.
   */
  exists(path: string): boolean {
    if (typeof path !== 'string') return false;
    return this.engine.exists(path);
  }

  readdir(path: string, options?: { withFileTypes?: false; encoding?: string } | string): string[];
  readdir(path: string, options: { withFileTypes: true }): Dirent[];
  readdir(path: string, options?: { withFileTypes?: boolean; encoding?: string } | string): string[] | Dirent[] {
    const o = fsOptions(options);
    checkPath(path);
    if (o.recursive !== undefined && o.recursive !== null) checkBoolean(o.recursive, 'options.recursive');
    const withFileTypes = Boolean(o.withFileTypes);
    return this.engine.reading('scandir', path, () => listPath(this.engine, path, withFileTypes, o.recursive === true));
  }

  readFile(path: string, options?: Options): Buffer | string {
    const o = fsOptions(options);
    checkPath(path);
    const how = openModeOf(o.flag, 'r');
    const read = () => readContent(this.engine, path, how);
    // A flag that creates or truncates makes this open a write (node:fs does it, then fails EBADF).
    const data = how.writable || how.create || how.truncate ? this.engine.writing('open', path, undefined, read)
      : this.engine.reading('open', path, read);
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const encoding = encodingOf(o);
    return encoding ? buffer.toString(encoding) : buffer;
  }

  readlink(path: string, options?: Options): string {
    fsOptions(options);
    checkPath(path);
    // "Not a symlink" is answered by lstat's memo, thrown outside reading(): a resolver asks it of
    // every component of what it found, and a throw through reading()'s retry check is a second throw.
    let target: string | undefined;
    if ((lstatMode(this.engine, path, 'readlink') & S_IFMT) === S_IFLNK) {
      target = this.engine.reading('readlink', path, () => {
        const w = this.engine.existing(path, false, 'readlink');
        return w.type === T_SYMLINK ? this.engine.readlink(w) : undefined;
      });
    }
    if (target === undefined) throw fsError('EINVAL', 'readlink', path);
    return target;
  }

  realpath(path: string, options?: Options): string {
    fsOptions(options);
    checkPath(path);
    return this.engine.reading('realpath', path, () => this.engine.pathOf(this.engine.existing(path, true, 'realpath')));
  }

  /** Which layer answers for `path` (a symlink in the last component is not followed). */
  resolve(path: string): ResolveInfo {
    checkPath(path);
    const { layer, flags } = this.engine.reading('lstat', path, () => this.engine.existing(path, false, 'lstat'));
    return { layer: layer === 0 ? 'upper' : layer - 1, merged: (flags & F_MERGED) !== 0, opaque: (flags & F_OPAQUE) !== 0 };
  }

  /**
   * Listen to changes of the merged view, in overlay paths: changes made underneath (from layers
   * that notify) and this overlay's own writes, delivered on a microtask after the cache has
   * taken them in. Returns the unsubscribe function. See docs/engine.md, "Subscribing".
   */
  subscribe(listener: OverlayListener): () => void {
    if (typeof listener !== 'function') throw invalidArgType('listener', 'of type function', listener);
    return this.engine.subscribe(listener);
  }

  stats(): OverlayCounters {
    return this.engine.stats();
  }

  /** Forget what is cached for `path` (and below it), or everything. Never an error later. */
  invalidate(path?: string): void {
    if (path !== undefined) checkPath(path);
    this.engine.invalidate(path);
  }

  // ---------------------------------------------------------------- writes

  writeFile(path: string, data: string | Uint8Array, options?: Options): void {
    this.writeWith(path, data, options, 'w');
  }

  /** appendFile: as node:fs, a flag that is missing or empty is 'a'. */
  appendFile(path: string, data: string | Uint8Array, options?: Options): void {
    this.writeWith(path, data, options, 'a');
  }

  private writeWith(path: string, data: string | Uint8Array, options: Options | undefined, fallback: 'w' | 'a'): void {
    const o = fsOptions(options);
    const bytes = toBytes(data, encodingOf(o));
    checkPath(path);
    const how = openModeOf(fallback === 'a' && !o.flag ? 'a' : o.flag, fallback);
    this.engine.writing('open', path, undefined, () => writeContent(this.engine, path, how, fileMode(o, DEFAULT_FILE_MODE), bytes));
  }

  truncate(path: string, len = 0): void {
    checkPath(path);
    const size = lengthOf(len, path);
    this.engine.writing('open', path, undefined, () => truncatePath(this.engine, path, size));
  }

  /**
   * Open a file (symlinks followed) for reading, or for reading and writing — then it is copied
   * up whole first; or with node:fs `flags` ('r', 'w+', 'ax', O_* bits: open(2)'s checks, O_CREAT
   * with `mode`, O_TRUNC), where a directory or special file opens with no object. The object keeps
   * reaching the same file after a rename or unlink (docs/fs-adapter.md, "Open files").
   */
  openFile(path: string, writable?: boolean): OpenObject;
  openFile(path: string, flags: string | number, mode?: number | string): OpenedPath;
  openFile(path: string, flags: boolean | string | number = false, mode?: number | string): OpenObject | OpenedPath {
    checkPath(path);
    const how = openModeOf(flags === true ? 'r+' : flags === false ? 'r' : flags);
    const bits = fileMode({ mode }, DEFAULT_FILE_MODE);
    const opened = this.engine.writing('open', path, undefined, () => openObject(this.engine, path, how, bits));
    if (typeof flags !== 'boolean') return opened;
    if (opened.object === undefined) throw fsError(opened.isDirectory ? 'EISDIR' : 'EINVAL', 'open', path);
    return opened.object;
  }

  chmod(path: string, mode: number | string): void {
    checkPath(path);
    const bits = modeOf(mode);
    this.engine.writing('chmod', path, undefined, () => {
      const w = this.engine.existing(path, true, 'chmod');
      this.requireUpper('chmod', path);
      // A copy-up's spec keeps the object's type bits (a FIFO or device is made by them).
      this.engine.inode.setattr(w, (upper, h) => upper.setMode(h, bits), (spec) => { spec.mode = (spec.mode & S_IFMT) | bits; });
    });
  }

  utimes(path: string, atime: number | string | Date, mtime: number | string | Date): void {
    this.setTimes(path, atime, mtime, true, 'utime');
  }

  /** utimes of a symlink itself. */
  lutimes(path: string, atime: number | string | Date, mtime: number | string | Date): void {
    this.setTimes(path, atime, mtime, false, 'lutime');
  }

  /** Change owner (-1: unchanged), with chown(2)'s permission rules for this process. */
  chown(path: string, uid: number, gid: number): void {
    this.setOwner(path, uid, gid, true, 'chown');
  }

  /** chown of a symlink itself. */
  lchown(path: string, uid: number, gid: number): void {
    this.setOwner(path, uid, gid, false, 'lchown');
  }

  private setOwner(path: string, uid: number, gid: number, follow: boolean, syscall: string): void {
    checkPath(path);
    const u = ownerIdOf(uid, 'uid');
    const g = ownerIdOf(gid, 'gid');
    this.engine.writing(syscall, path, undefined, () => {
      const w = this.engine.existing(path, follow, syscall);
      this.requireUpper(syscall, path);
      const st = this.engine.inode.stat(w);
      checkOwnerChange(st, u, g, syscall, path);
      const nu = u === -1 ? st.uid : u;
      const ng = g === -1 ? st.gid : g;
      this.engine.inode.setattr(w, (upper, h) => upper.setOwner(h, nu, ng), (spec) => { spec.uid = nu; spec.gid = ng; });
    });
  }

  private setTimes(path: string, atime: number | string | Date, mtime: number | string | Date, follow: boolean, syscall: string): void {
    checkPath(path);
    const a = timeMs(atime, 'atime');
    const m = timeMs(mtime, 'mtime');
    this.engine.writing(syscall, path, undefined, () => {
      const w = this.engine.existing(path, follow, syscall);
      // An invalid Date, or seconds past a timespec: utimes(2) refuses them once the path is found.
      if (Number.isNaN(a) || Number.isNaN(m)) throw fsError('EINVAL', syscall, path);
      this.requireUpper(syscall, path);
      this.engine.inode.setattr(w, (upper, h) => upper.setTimes(h, a, m), (spec) => { spec.atimeMs = a; spec.mtimeMs = m; });
    });
  }

  mkdir(path: string, options?: { recursive?: boolean; mode?: number | string } | number | string): string | undefined {
    checkPath(path);
    const opts = mkdirOptions(options);
    const mode = opts.mode === undefined ? DEFAULT_DIR_MODE : modeOf(opts.mode);
    checkWholePath(path, 'mkdir');
    if (opts.recursive) {
      return mkdirp({ mkdirOne: (p, whole) => this.mkdirOne(p, mode, whole), stat: (p) => this.stat(p) }, path);
    }
    this.mkdirOne(path, mode, path);
    return undefined;
  }

  /** rmdir(2); with `{ recursive: true }` (deprecated in node:fs) a directory is removed as rm -r does. */
  rmdir(path: string, options?: { recursive?: boolean }): void {
    checkPath(path);
    if (rmOptions(options, false).recursive && this.lstat(path).isDirectory()) {
      rm(this, path, { recursive: true });
      return;
    }
    const fail: Fail = (code) => fsError(code, 'rmdir', path);
    this.engine.writing('rmdir', path, undefined, () => {
      const sp = this.engine.parentOf(path, 'rmdir');
      if (sp.last === null) throw fail('EBUSY');
      if (sp.last === '.') throw fail('EINVAL');
      if (sp.last === '..') throw fail('ENOTEMPTY');
      this.requireUpper('rmdir', path);
      const w = this.engine.lookupLast(sp, 'rmdir', path);
      if (!w.found) throw fail('ENOENT');
      if (w.type !== T_DIR) throw fail('ENOTDIR');
      this.engine.namespace.rmdir(w, sp.last, fail);
    });
  }

  unlink(path: string): void {
    checkPath(path);
    const fail: Fail = (code) => fsError(code, 'unlink', path);
    this.engine.writing('unlink', path, undefined, () => {
      const sp = this.engine.parentOf(path, 'unlink');
      if (!isName(sp.last)) throw fail('EISDIR');
      this.requireUpper('unlink', path);
      const w = this.engine.lookupLast(sp, 'unlink', path);
      if (!w.found) throw fail('ENOENT');
      if (w.type === T_DIR) throw fail('EISDIR');
      if (sp.trailingSlash) throw fail('ENOTDIR');
      this.engine.namespace.unlink(w, sp.last);
    });
  }

  /** node:fs rmSync as Node 20 does it (engine/fs-compat.ts). */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): void {
    checkPath(path);
    rm(this, path, rmOptions(options, true));
  }

  rename(from: string, to: string): void {
    checkPath(from, 'oldPath');
    checkPath(to, 'newPath');
    this.engine.writing('rename', from, to, () => this.engine.onBothPaths(from, to, () => {
      const fail: Fail = (code) => fsError(code, 'rename', from, to);
      checkWholePath(from, 'rename', from, to);
      checkWholePath(to, 'rename', from, to);
      const sp = this.engine.parentOf(from, 'rename', from, to);
      const dp = this.engine.parentOf(to, 'rename', from, to);
      if (!isName(sp.last) || !isName(dp.last)) throw fail('EBUSY');
      this.requireUpper('rename', from, to);
      this.engine.namespace.rename(sp, dp, from, to, fail);
    }));
  }

  /** `type` matters only on Windows; node:fs still refuses a string it does not know. */
  symlink(target: string, path: string, type?: string | null): void {
    checkPath(target, 'target');
    checkPath(path);
    checkSymlinkType(type);
    const fail: Fail = (code) => fsError(code, 'symlink', target, path);
    if (target.includes('\0')) throw fail('EINVAL');
    // A link body is a path: it must fit PATH_MAX with its NUL, as symlink(2) requires.
    if (tooLong(target)) throw fail('ENAMETOOLONG');
    this.engine.writing('symlink', target, path, () => {
      const w = freeName(this.engine, path, 'symlink', target, path);
      if (target === '') throw fail('ENOENT');
      this.engine.namespace.create(w.parent, w.name, { type: 'symlink', mode: 0o777, target });
    });
  }

  link(existingPath: string, newPath: string): void {
    checkPath(existingPath, 'existingPath');
    checkPath(newPath, 'newPath');
    this.engine.writing('link', existingPath, newPath, () => this.engine.onBothPaths(existingPath, newPath, () => {
      const fail: Fail = (code) => fsError(code, 'link', existingPath, newPath);
      checkWholePath(existingPath, 'link', existingPath, newPath);
      checkWholePath(newPath, 'link', existingPath, newPath);
      const srcIsDir = this.engine.existing(existingPath, false, 'link', existingPath, newPath, SRC).type === T_DIR;
      const dp = this.engine.parentOf(newPath, 'link', existingPath, newPath);
      if (!isName(dp.last)) throw fail('EEXIST');
      if (this.engine.lookupLast(dp, 'link', existingPath, newPath, DST).found) throw fail('EEXIST');
      if (dp.trailingSlash) throw fail('ENOENT');
      this.requireUpper('link', existingPath, newPath);
      if (srcIsDir) throw fail('EPERM');
      this.engine.namespace.link(existingPath, dp, newPath);
    }));
  }

  /**
   * mknod(2): a special file (or a regular one) by its mode's type bits. A character device 0/0
   * is how whiteouts are stored, so creating one through the overlay is refused (fact 6).
   */
  mknod(path: string, mode: number, rdev = 0): void {
    checkPath(path);
    const fail: Fail = (code) => fsError(code, 'mknod', path);
    if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0) throw invalidArgType('mode', 'an integer', mode);
    if (typeof rdev !== 'number' || !Number.isInteger(rdev) || rdev < 0) throw invalidArgType('rdev', 'a non-negative integer', rdev);
    const type = mode & S_IFMT;
    const spec = mknodSpec(mode, rdev);
    this.engine.writing('mknod', path, undefined, () => {
      const w = freeName(this.engine, path, 'mknod', path);
      if (type === S_IFCHR && rdev === 0) throw fail('EPERM');
      if (type === S_IFDIR || type === S_IFLNK) throw fail('EINVAL');
      this.engine.namespace.create(w.parent, w.name, spec);
    });
  }

  // ---------------------------------------------------------------- helpers

  /** stat and lstat (engine/path-ops.ts). */
  private statCommon(path: string, follow: boolean, syscall: string, opts: StatOptions | undefined): Stats | undefined {
    checkPath(path);
    const options = opts === undefined ? undefined : statOptions(opts);
    return statPath(this.engine, path, follow, syscall, options !== undefined && options.throwIfNoEntry === false);
  }

  private requireUpper(syscall: string, path: string, dest?: string): void {
    requireUpper(this.engine, syscall, path, dest);
  }

  /** mkdir of one directory; errors name `ePath` (mkdir -p reports the whole path). */
  private mkdirOne(path: string, mode: number, ePath: string): void {
    this.engine.writing('mkdir', ePath, undefined, () => {
      const w = freeName(this.engine, path, 'mkdir', ePath, undefined, true);
      this.engine.namespace.mkdir(w, w.name, mode);
    });
  }
}
