// Overlay: an upper writable layer over N read-only lowers, with overlayfs semantics
// (SEMANTICS.md), answering through a dentry cache. Every operation walks its path through the
// cache (engine/resolver.ts); writes go to the upper through the Layer interface, copying up first
// (engine/copy-up.ts), and then refresh the cache entries they changed. Changes made to the layers
// underneath arrive as LayerChange notifications (engine/change-map.ts).
//
// Error order follows the kernel's VFS (settled against it by the reference model): whole-path
// errors, then the parent directory's lookup, then EEXIST/EISDIR-style checks on the last name,
// then EROFS — except unlink, rmdir and rename, which check EROFS right after the parent lookup.
import {
  F_MERGED, F_OPAQUE, F_WHITEOUT, NO_ENTRY, RES_FLAGS, RES_HANDLE, RES_ID, RES_LAST, RES_LAYER, RES_PARENT,
  RES_TYPE, ROOT_ID, T_DIR, T_FILE, T_NONE, T_SYMLINK, WALK_FOUND, WALK_NEGATIVE,
} from './abi.js';
import { createCache, type CacheImpl } from './cache/create-cache.js';
import type { CacheCapacity, DentryCache } from './cache/dentry-cache.js';
import {
  checkPath, checkWholePath, concatBytes, encodingOf, invalidArgType, isName, lengthOf, modeOf, resizeBytes,
  splitPath, timeMs, toBytes, tooLong, type Encoding,
} from './engine/args.js';
import { ChangeMapper } from './engine/change-map.js';
import { CopyUp, WriteJournal } from './engine/copy-up.js';
import { EntryTable } from './engine/entry-table.js';
import { InodeNumbers } from './engine/inode-numbers.js';
import { OwnWriter, OwnWrites } from './engine/own-writes.js';
import { listingModes, mergeListing, type Listing } from './engine/readdir.js';
import { entryPath, RedirectIndex } from './engine/redirects.js';
import { MAX_RESTARTS, Resolver } from './engine/resolver.js';
import { Dirent, Stats } from './engine/stats.js';
import { release, subscribeWeakly, type OverlayResources } from './engine/subscriptions.js';
import { fsError, hasCode, type StrataError } from './errors.js';
import { ABSENT, WHITEOUT, type Handle, type Layer, type NodeSpec, type NodeStat } from './layers/layer.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './layers/memory-layer.js';
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
  cache?: { capacity?: Partial<CacheCapacity> | number; impl?: CacheImpl };
  /** Time source in milliseconds (default performance.now); only differences are used. */
  clock?: () => number;
}

export interface ResolveInfo {
  /** Which layer answered: 'upper', or the index into `lowers`. */
  layer: 'upper' | number;
  merged: boolean;
  opaque: boolean;
}

export interface OverlayCounters {
  hits: number;
  misses: number;
  negativeHits: number;
  revalidations: number;
  expired: number;
  changed: number;
  estale: number;
  relookups: number;
  evictions: number;
  entries: number;
  bytes: number;
}

export interface StatOptions {
  throwIfNoEntry?: boolean;
}

export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIR_MODE = 0o755;
const MAX_LAYERS = 255;
const EMPTY = new Uint8Array(0);

type Fail = (code: string) => StrataError;

export class Overlay {
  readonly policy: PolicyName;
  readonly redirectDir: boolean;
  readonly metacopy: boolean;

  private readonly layers: (Layer | undefined)[];
  private readonly upper: Layer | undefined;
  private readonly cache: DentryCache;
  private readonly table: EntryTable;
  private readonly redirects: RedirectIndex;
  private readonly resolver: Resolver;
  private readonly copyUp: CopyUp;
  private readonly changes: ChangeMapper;
  private readonly inodes = new InodeNumbers();
  private readonly resources: OverlayResources;
  /** The counters at close(); undefined while open. */
  private closedStats: OverlayCounters | undefined;
  /**
   * The stat record the last liveness check in find() peeked (Layer.peekStat), for statsOf to
   * read instead of asking the layer again; undefined when the layer has none or it was not read.
   */
  private peeked: Readonly<NodeStat> | undefined;

  constructor(options: OverlayOptions) {
    if (typeof options !== 'object' || options === null) throw invalidArgType('options', 'of type object', options);
    const { lowers, upper } = options;
    if (!Array.isArray(lowers) || lowers.length === 0) throw invalidArgType('options.lowers', 'a non-empty array of layers', lowers);
    if (lowers.length + 1 > MAX_LAYERS) throw new RangeError(`an overlay takes at most ${MAX_LAYERS - 1} lowers`);
    this.policy = policyFor(options.policy).name;
    this.redirectDir = options.redirectDir === true;
    this.metacopy = options.metacopy === true;
    this.layers = [upper, ...lowers];
    // Writes go through OwnWriter, so that this overlay's listeners skip what they notify.
    const own = new OwnWrites();
    this.upper = upper !== undefined && upper.writable ? new OwnWriter(upper, own) : undefined;
    this.cache = createCache({ impl: options.cache?.impl, capacity: options.cache?.capacity });
    this.table = new EntryTable(this.cache);
    this.redirects = new RedirectIndex(this.cache, this.table);
    const clock = options.clock ?? (() => performance.now());
    this.resolver = new Resolver(this.cache, this.layers, this.table, this.redirects, policyFor(options.policy), this.redirectDir, clock);
    this.copyUp = new CopyUp(this.layers, this.cache, this.table, this.redirects, this.inodes, this.metacopy, this.upper);
    this.changes = new ChangeMapper(this.cache, this.table, this.redirects, this.resolver);
    this.resources = subscribeWeakly(this, this.layers, this.changes, this.cache, own);
  }

  /** True when the overlay has a writable upper; otherwise every write fails with EROFS. */
  get writable(): boolean {
    return this.upper !== undefined;
  }

  /**
   * Stop listening to the layers and give the cache back (a WASM instance goes to a pool for the
   * next overlay). A closed overlay could only answer from a cache nobody keeps up to date, so
   * every operation fails with EBADF afterwards; stats() keeps the final counters. An overlay
   * that is dropped without close() does the same once it is collected.
   */
  close(): void {
    if (this.closedStats !== undefined) return;
    this.closedStats = this.stats();
    release(this.resources);
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
   * stale entry is still counted and dropped, and the answer comes from the fresh state — a
   * plain `false` for an object that exists would be a silently wrong answer.
   */
  exists(path: string): boolean {
    if (typeof path !== 'string') return false;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        return this.find(path, true, 'access') === WALK_FOUND;
      } catch (err) {
        if (!hasCode(err, 'ESTALE')) return false;
      }
    }
    return false;
  }

  readdir(path: string, options?: { withFileTypes?: false; encoding?: string } | string): string[];
  readdir(path: string, options: { withFileTypes: true }): Dirent[];
  readdir(path: string, options?: { withFileTypes?: boolean; encoding?: string } | string): string[] | Dirent[] {
    checkPath(path);
    if (this.find(path, true, 'scandir') === WALK_NEGATIVE) throw fsError('ENOENT', 'scandir', path);
    const r = this.cache.result;
    if (r[RES_TYPE] !== T_DIR) throw fsError('ENOTDIR', 'scandir', path);
    const listing = this.listingOf(r[RES_ID]);
    if (typeof options === 'object' && options !== null && options.withFileTypes === true) {
      const modes = listingModes(this.layers, listing);
      return listing.names.map((name, i) => new Dirent(name, path, modes[i]));
    }
    return listing.names.slice();
  }

  readFile(path: string, options?: Encoding | { encoding?: Encoding; flag?: string }): Buffer | string {
    checkPath(path);
    const id = this.existing(path, true, 'open');
    // node:fs opens a directory fine and fails the read, without a path.
    if (this.cache.type(id) === T_DIR) throw fsError('EISDIR', 'read');
    const data = this.contentOf(id);
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const encoding = encodingOf(options);
    return encoding ? buffer.toString(encoding) : buffer;
  }

  readlink(path: string): string {
    checkPath(path);
    const id = this.existing(path, false, 'readlink');
    if (this.cache.type(id) !== T_SYMLINK) throw fsError('EINVAL', 'readlink', path);
    return this.layers[this.cache.layer(id)]!.readlink(this.cache.handle(id));
  }

  realpath(path: string): string {
    checkPath(path);
    return entryPath(this.cache, this.existing(path, true, 'realpath'));
  }

  /** Which layer answers for `path` (a symlink in the last component is not followed). */
  resolve(path: string): ResolveInfo {
    checkPath(path);
    const id = this.existing(path, false, 'lstat');
    const layer = this.cache.layer(id);
    const flags = this.cache.flags(id);
    return { layer: layer === 0 ? 'upper' : layer - 1, merged: (flags & F_MERGED) !== 0, opaque: (flags & F_OPAQUE) !== 0 };
  }

  stats(): OverlayCounters {
    if (this.closedStats !== undefined) return { ...this.closedStats };
    const c = this.cache.counters();
    const e = this.resolver.counters;
    return {
      hits: c.hits, misses: c.misses, negativeHits: c.negativeHits, revalidations: e.revalidations,
      expired: c.expired, changed: c.changed, estale: e.estale, relookups: e.relookups,
      evictions: c.evictions, entries: c.entries, bytes: c.bytes,
    };
  }

  /** Forget what is cached for `path` (and below it), or everything. Never an error later. */
  invalidate(path?: string): void {
    if (path !== undefined) checkPath(path);
    if (this.closedStats !== undefined) return;
    const id = path === undefined ? ROOT_ID : this.cache.lookupPath(path);
    if (id === ROOT_ID) {
      this.resolver.clearAll();
      return;
    }
    // A walk stopped in a layer call (which called this) must not resume on a removed entry.
    this.resolver.disturbed();
    if (id === NO_ENTRY) return;
    const parent = this.cache.parent(id);
    this.cache.remove(id);
    this.table.dropListing(parent);
  }

  // ---------------------------------------------------------------- writes

  writeFile(path: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    checkPath(path);
    const bytes = toBytes(data, options);
    this.writeContent(path, options, () => bytes);
  }

  appendFile(path: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    checkPath(path);
    const bytes = toBytes(data, options);
    this.writeContent(path, options, (old) => concatBytes(old(), bytes));
  }

  truncate(path: string, len = 0): void {
    checkPath(path);
    const size = lengthOf(len);
    const fail: Fail = (code) => fsError(code, 'open', path);
    const id = this.existing(path, true, 'open');
    if (this.cache.type(id) === T_DIR) throw fail('EISDIR');
    this.requireUpper(fail);
    this.putContent(id, this.cache.result[RES_PARENT], (old) => size === 0 ? EMPTY : resizeBytes(old(), size));
  }

  chmod(path: string, mode: number | string): void {
    checkPath(path);
    const bits = modeOf(mode);
    const fail: Fail = (code) => fsError(code, 'chmod', path);
    const id = this.existing(path, true, 'chmod');
    this.requireUpper(fail);
    this.changeMeta(id, (upper, h) => upper.setMode(h, bits), (spec) => { spec.mode = bits; });
  }

  utimes(path: string, atime: number | string | Date, mtime: number | string | Date): void {
    checkPath(path);
    const a = timeMs(atime, 'atime');
    const m = timeMs(mtime, 'mtime');
    const fail: Fail = (code) => fsError(code, 'utime', path);
    const id = this.existing(path, true, 'utime');
    this.requireUpper(fail);
    this.changeMeta(id, (upper, h) => upper.setTimes(h, a, m), (spec) => { spec.atimeMs = a; spec.mtimeMs = m; });
  }

  mkdir(path: string, options?: { recursive?: boolean; mode?: number | string } | number | string): string | undefined {
    checkPath(path);
    const opts = typeof options === 'object' && options !== null ? options : { mode: options };
    const mode = opts.mode === undefined ? DEFAULT_DIR_MODE : modeOf(opts.mode);
    const fail: Fail = (code) => fsError(code, 'mkdir', path);
    checkWholePath(path, 'mkdir');
    if (opts.recursive === true) return this.mkdirRecursive(path, mode, fail);
    this.mkdirOne(path, mode, path);
    return undefined;
  }

  rmdir(path: string): void {
    checkPath(path);
    const fail: Fail = (code) => fsError(code, 'rmdir', path);
    const sp = this.parentOf(path, 'rmdir', path);
    if (sp.last === null) throw fail('EBUSY');
    if (sp.last === '.') throw fail('EINVAL');
    if (sp.last === '..') throw fail('ENOTEMPTY');
    this.requireUpper(fail);
    if (this.lookupLast(sp.bare, 'rmdir', path) === WALK_NEGATIVE) throw fail('ENOENT');
    const r = this.cache.result;
    const id = r[RES_ID];
    if (r[RES_TYPE] !== T_DIR) throw fail('ENOTDIR');
    if (this.listingOf(id).names.length > 0) throw fail('ENOTEMPTY');
    this.removeDir(id, r[RES_PARENT], sp.last);
  }

  unlink(path: string): void {
    checkPath(path);
    const fail: Fail = (code) => fsError(code, 'unlink', path);
    const sp = this.parentOf(path, 'unlink', path);
    if (!isName(sp.last)) throw fail('EISDIR');
    this.requireUpper(fail);
    if (this.lookupLast(sp.bare, 'unlink', path) === WALK_NEGATIVE) throw fail('ENOENT');
    const r = this.cache.result;
    if (r[RES_TYPE] === T_DIR) throw fail('EISDIR');
    if (sp.trailingSlash) throw fail('ENOTDIR');
    this.removeNonDir(r[RES_ID], r[RES_PARENT], sp.last);
  }

  /**
   * node:fs rmSync as Node 20 does it: unless both `force` and `recursive` are set, lstat first
   * (ENOENT ignored with `force`) and refuse a directory without `recursive`; then remove
   * rimraf-style (see rimraf()). Errors carry the syscall that failed (lstat, unlink, rmdir).
   */
  rm(path: string, options?: { recursive?: boolean; force?: boolean }): void {
    checkPath(path);
    const force = options?.force === true;
    const recursive = options?.recursive === true;
    if (!(force && recursive)) {
      const st = this.lstat(path, { throwIfNoEntry: !force });
      if (st === undefined) return;
      if (st.isDirectory() && !recursive) throw rmIsDirectory(path);
    }
    this.rimraf(path);
  }

  rename(from: string, to: string): void {
    checkPath(from, 'oldPath');
    checkPath(to, 'newPath');
    this.onBothPaths(from, to, () => this.renameChecked(from, to));
  }

  private renameChecked(from: string, to: string): void {
    const fail: Fail = (code) => fsError(code, 'rename', from, to);
    checkWholePath(from, 'rename', from, to);
    checkWholePath(to, 'rename', from, to);
    const sp = this.parentOf(from, 'rename', from, to);
    const dp = this.parentOf(to, 'rename', from, to);
    if (!isName(sp.last) || !isName(dp.last)) throw fail('EBUSY');
    this.requireUpper(fail);

    // What the rename would do, decided before anything is written.
    if (this.lookupLast(sp.bare, 'rename', from, to) === WALK_NEGATIVE) throw fail('ENOENT');
    let r = this.cache.result;
    const srcType = r[RES_TYPE];
    const srcLayer = r[RES_LAYER];
    const srcHandle = r[RES_HANDLE];
    const srcIsDir = srcType === T_DIR;
    const srcReals = this.table.realsOf(r[RES_ID]).slice();
    const srcHasLower = srcIsDir && hasLower(srcReals);
    const srcPath = entryPath(this.cache, r[RES_ID]);
    const srcParentPath = entryPath(this.cache, r[RES_PARENT]);
    if (!srcIsDir && (sp.trailingSlash || dp.trailingSlash)) throw fail('ENOTDIR');
    const dstFound = this.lookupLast(dp.bare, 'rename', from, to) === WALK_FOUND;
    r = this.cache.result;
    const dstType = dstFound ? r[RES_TYPE] : T_NONE;
    const dstId = dstFound ? r[RES_ID] : NO_ENTRY;
    const dstParentPath = entryPath(this.cache, r[RES_PARENT]);
    // The VFS's traps: a directory moved below itself, or onto one of its ancestors.
    if (srcIsDir && isWithin(dstParentPath, srcPath)) throw fail('EINVAL');
    if (dstFound && dstType === T_DIR && isWithin(srcParentPath, entryPath(this.cache, dstId))) throw fail('ENOTEMPTY');
    if (dstFound && r[RES_LAYER] === srcLayer && r[RES_HANDLE] === srcHandle) return; // one object, two names
    if (dstFound && srcIsDir && dstType !== T_DIR) throw fail('ENOTDIR');
    if (dstFound && !srcIsDir && dstType === T_DIR) throw fail('EISDIR');
    if (srcIsDir && srcHasLower && !this.redirectDir) throw fail('EXDEV');
    const dstUpperDir = dstFound && dstType === T_DIR ? this.upperPartOf(dstId) : 0;
    if (dstFound && dstType === T_DIR && this.listingOf(dstId).names.length > 0) throw fail('ENOTEMPTY');

    const upper = this.upper!;
    const j = this.journal();
    let srcParent: number, srcParentGen: number, dstParent: number;
    try {
      // The source side: walk it again (pinning its chain) and bring it into the upper.
      this.lookupLast(sp.bare, 'rename', from, to);
      r = this.cache.result;
      const srcId = r[RES_ID];
      srcParent = r[RES_PARENT];
      const whiteoutAtSource = this.lowerPositive(srcParent, sp.last, srcLayer);
      const redirect = srcIsDir && srcHasLower ? this.redirects.layerPath(srcId, firstLowerLayer(srcReals)) : undefined;
      const srcUpper = srcIsDir ? this.copyUp.upperDir(srcId, j) : this.fullUpperCopy(srcId, srcParent, sp.last, j);
      const srcDir = this.copyUp.upperDir(srcParent, j);
      srcParentGen = this.table.gen[srcParent];
      // The destination side.
      this.lookupLast(dp.bare, 'rename', from, to);
      dstParent = this.cache.result[RES_PARENT];
      const dstDir = this.copyUp.upperDir(dstParent, j);
      if (srcIsDir) {
        if (redirect !== undefined) this.mark(j, srcUpper, 'redirect', redirect);
        else if (!upper.isOpaque(srcUpper) && hasLower(this.table.realsOf(dstParent))) this.mark(j, srcUpper, 'opaque', true);
      }
      if (dstUpperDir !== 0) this.clearWhiteouts(dstUpperDir, j);
      upper.renameName(srcDir, sp.last, dstDir, dp.last);
      j.onUndo(() => upper.renameName(dstDir, dp.last!, srcDir, sp.last!));
      if (whiteoutAtSource) upper.putWhiteout(srcDir, sp.last);
    } catch (err) {
      j.rollback();
      throw err;
    }
    this.nameChanged(dstParent, dp.last);
    if (this.table.same(srcParent, srcParentGen)) this.nameChanged(srcParent, sp.last);
  }

  symlink(target: string, path: string): void {
    checkPath(target, 'target');
    checkPath(path);
    const fail: Fail = (code) => fsError(code, 'symlink', target, path);
    if (target.includes('\0')) throw fail('EINVAL');
    // A link body is a path: it must fit PATH_MAX with its NUL, as symlink(2) requires.
    if (tooLong(target)) throw fail('ENAMETOOLONG');
    const sp = this.parentOf(path, 'symlink', target, path);
    if (!isName(sp.last)) throw fail('EEXIST');
    if (this.lookupLast(sp.bare, 'symlink', target, path) === WALK_FOUND) throw fail('EEXIST');
    if (sp.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    if (target === '') throw fail('ENOENT');
    this.createChild(this.cache.result[RES_PARENT], sp.last, { type: 'symlink', mode: 0o777, target });
  }

  link(existingPath: string, newPath: string): void {
    checkPath(existingPath, 'existingPath');
    checkPath(newPath, 'newPath');
    this.onBothPaths(existingPath, newPath, () => this.linkChecked(existingPath, newPath));
  }

  private linkChecked(existingPath: string, newPath: string): void {
    const fail: Fail = (code) => fsError(code, 'link', existingPath, newPath);
    checkWholePath(existingPath, 'link', existingPath, newPath);
    checkWholePath(newPath, 'link', existingPath, newPath);
    this.existing(existingPath, false, 'link', existingPath, newPath);
    const srcType = this.cache.result[RES_TYPE];
    const sp = this.parentOf(newPath, 'link', existingPath, newPath);
    if (!isName(sp.last)) throw fail('EEXIST');
    if (this.lookupLast(sp.bare, 'link', existingPath, newPath) === WALK_FOUND) throw fail('EEXIST');
    if (sp.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    if (srcType === T_DIR) throw fail('EPERM');
    const upper = this.upper!;
    const j = this.journal();
    let dstParent: number;
    try {
      // Fact 20: the lower file is copied up (whole) and the new name links to the copy.
      this.existing(existingPath, false, 'link', existingPath, newPath);
      const r = this.cache.result;
      const srcUpper = this.fullUpperCopy(r[RES_ID], r[RES_PARENT], this.cache.name(r[RES_ID]), j);
      this.lookupLast(sp.bare, 'link', existingPath, newPath);
      dstParent = this.cache.result[RES_PARENT];
      const dir = this.copyUp.upperDir(dstParent, j);
      if (upper.lookup(dir, sp.last) === WHITEOUT) {
        upper.removeName(dir, sp.last);
        j.onUndo(() => upper.putWhiteout(dir, sp.last!));
      }
      upper.linkName(srcUpper, dir, sp.last);
    } catch (err) {
      j.rollback();
      throw err;
    }
    this.nameChanged(dstParent, sp.last);
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
    const sp = this.parentOf(path, 'mknod', path);
    if (!isName(sp.last)) throw fail('EEXIST');
    if (this.lookupLast(sp.bare, 'mknod', path) === WALK_FOUND) throw fail('EEXIST');
    if (sp.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    const type = mode & S_IFMT;
    if (type === S_IFCHR && rdev === 0) throw fail('EPERM');
    if (type === S_IFDIR || type === S_IFLNK) throw fail('EINVAL');
    const spec: NodeSpec = type === 0 || type === S_IFREG
      ? { type: 'file', mode: S_IFREG | (mode & 0o7777) }
      : { type: 'other', mode: (type === S_IFCHR || type === S_IFBLK || type === S_IFIFO || type === S_IFSOCK ? type : S_IFIFO) | (mode & 0o7777), rdev };
    this.createChild(this.cache.result[RES_PARENT], sp.last, spec);
  }

  // ---------------------------------------------------------------- walking

  /** An operation on two paths fails with ESTALE once: both paths are flushed of stale entries. */
  private onBothPaths(a: string, b: string, op: () => void): void {
    try {
      op();
    } catch (err) {
      if (hasCode(err, 'ESTALE')) {
        this.resolver.flush(a);
        this.resolver.flush(b);
      }
      throw err;
    }
  }

  /**
   * Walk to WALK_FOUND or WALK_NEGATIVE (details in cache.result). A found entry whose layer
   * object died without the layer telling us is stale: the policy decides (ESTALE or re-walk).
   */
  private find(path: string, follow: boolean, syscall: string, ePath: string = path, eDest?: string): number {
    if (this.closedStats !== undefined) throw fsError('EBADF', syscall, ePath, eDest);
    let stale = false;
    let disturbances = 0;
    for (let attempt = 0; ; attempt++) {
      this.peeked = undefined;
      let status: number;
      try {
        status = this.resolver.walk(path, follow, syscall, ePath, eDest);
      } catch (err) {
        if (stale && !hasCode(err, 'ESTALE')) throw this.resolver.estale(syscall, ePath, eDest);
        throw err;
      }
      const r = this.cache.result;
      let alive = true;
      if (status === WALK_FOUND && attempt <= 2) {
        const mark = this.resolver.mark();
        alive = this.isLive(r[RES_LAYER], r[RES_HANDLE]);
        // Something got in during the layer call: the result record may be another walk's now.
        if (this.resolver.mark() !== mark) {
          if (++disturbances > MAX_RESTARTS) throw fsError('EAGAIN', syscall, ePath, eDest);
          attempt--;
          continue;
        }
      }
      if (alive) {
        if (stale) throw this.resolver.estale(syscall, ePath, eDest);
        return status;
      }
      if (this.resolver.staleHandle(r[RES_ID])) stale = true;
    }
  }

  /** alive(h), or for a layer that can peek its stat record, that record (kept in `peeked`). */
  private isLive(L: number, h: Handle): boolean {
    const layer = this.layers[L]!;
    if (layer.peekStat === undefined) return layer.alive(h);
    this.peeked = layer.peekStat(h);
    return this.peeked !== undefined;
  }

  /** The entry a path names, or ENOENT. */
  private existing(path: string, follow: boolean, syscall: string, ePath: string = path, eDest?: string): number {
    if (this.find(path, follow, syscall, ePath, eDest) === WALK_NEGATIVE) throw fsError('ENOENT', syscall, ePath, eDest);
    return this.cache.result[RES_ID];
  }

  private statCommon(path: string, follow: boolean, syscall: string, options: StatOptions | undefined): Stats | undefined {
    checkPath(path);
    const quiet = options !== undefined && options.throwIfNoEntry === false;
    let status: number;
    if (quiet) {
      try {
        status = this.find(path, follow, syscall);
      } catch (err) {
        if (hasCode(err, 'ENOENT')) return undefined;
        throw err;
      }
      // The negative answer costs no allocation at all.
      if (status === WALK_NEGATIVE) return undefined;
    } else {
      status = this.find(path, follow, syscall);
      if (status === WALK_NEGATIVE) throw fsError('ENOENT', syscall, path);
    }
    const r = this.cache.result;
    return this.statsOf(r[RES_ID], r[RES_TYPE], r[RES_FLAGS], r[RES_LAYER], r[RES_HANDLE]);
  }

  private statsOf(id: number, type: number, flags: number, L: number, h: Handle): Stats {
    const layer = this.layers[L]!;
    // The entry's data is read before the layer call and written back only if the slot still
    // holds the same entry afterwards: a layer may re-enter the overlay (and evict) meanwhile.
    let ino = this.table.inos[id];
    // Only needed to store a first inode number: a cached stat() skips the load.
    const gen = ino ? 0 : this.table.gen[id];
    const reals = this.table.reals[id];
    const metacopy = type === T_FILE && reals !== undefined;
    // The peeked record is the layer's live one: copied into Stats before any other layer call
    // (sizeOf's, for a metacopy file, could change it meanwhile — that rare case takes a copy).
    const peeked = this.peeked;
    this.peeked = undefined;
    const st = peeked !== undefined && !metacopy ? peeked : layer.stat(h);
    if (!ino) {
      ino = this.inodes.of(L, h, st.ino);
      if (this.table.same(id, gen)) this.table.inos[id] = ino;
    }
    // Fact 11: a merged directory reports one link.
    const nlink = type === T_DIR && (flags & F_MERGED) !== 0 ? 1 : st.nlink;
    const size = metacopy ? this.copyUp.sizeOf(reals) : st.size;
    return new Stats(st, ino, nlink, size);
  }

  /** Walk a path's parent directory (symlinks followed): ENOENT/ENOTDIR unless it is one. */
  private parentDir(parent: string, syscall: string, ePath: string, eDest?: string): void {
    if (this.find(parent, true, syscall, ePath, eDest) === WALK_NEGATIVE) throw fsError('ENOENT', syscall, ePath, eDest);
    if (this.cache.result[RES_TYPE] !== T_DIR) throw fsError('ENOTDIR', syscall, ePath, eDest);
  }

  /** Whole-path checks, then the parent directory's walk; the path cut at its last component. */
  private parentOf(path: string, syscall: string, ePath: string, eDest?: string) {
    checkWholePath(path, syscall, ePath, eDest);
    const sp = splitPath(path);
    this.parentDir(sp.parent, syscall, ePath, eDest);
    // A last '..' that would climb above the root is refused like any other (the contract's EINVAL).
    if (sp.last === '..' && this.cache.result[RES_ID] === ROOT_ID) throw fsError('EINVAL', syscall, ePath, eDest);
    return sp;
  }

  /** The last component itself (never followed), after its parent was walked. */
  private lookupLast(bare: string, syscall: string, ePath: string, eDest?: string): number {
    return this.find(bare, false, syscall, ePath, eDest);
  }

  private listingOf(id: number): Listing {
    const now = this.resolver.now();
    let listing = this.table.listings[id];
    if (listing === undefined || (listing.deadline !== 0 && now >= listing.deadline)) {
      const gen = this.table.gen[id];
      const mark = this.resolver.mark();
      listing = mergeListing(this.layers, this.table.realsOf(id).slice(), this.resolver.deadline(this.cache.lowest(id), now));
      // Cached only if nothing got in while the layers were read: a change notified meanwhile
      // already dropped the listing it would have made stale.
      if (this.resolver.mark() === mark && this.table.same(id, gen)) this.table.listings[id] = listing;
    }
    return listing;
  }

  private contentOf(id: number): Uint8Array {
    const reals = this.table.reals[id];
    if (reals !== undefined && this.cache.type(id) === T_FILE) return this.copyUp.contentOf(reals);
    const layer = this.layers[this.cache.layer(id)]!;
    return this.cache.type(id) === T_FILE ? layer.read(this.cache.handle(id)) : EMPTY;
  }

  // ---------------------------------------------------------------- write helpers

  private requireUpper(fail: Fail): void {
    if (this.upper === undefined) throw fail('EROFS');
  }

  private journal(): WriteJournal {
    return new WriteJournal(this.cache, this.table);
  }

  /** A name in directory entry `parent` changed through the overlay: cache the fresh answer. */
  private nameChanged(parent: number, name: string): void {
    this.resolver.relookup(parent, name);
    this.table.dropListing(parent);
  }

  private createChild(parent: number, name: string, spec: NodeSpec): void {
    const j = this.journal();
    try {
      const dir = this.copyUp.upperDir(parent, j);
      this.upper!.createNode(dir, name, spec);
    } catch (err) {
      j.rollback();
      throw err;
    }
    this.nameChanged(parent, name);
  }

  /** writeFile/appendFile: open(O_CREAT) semantics, through symlinks (a dangling one creates). */
  private writeContent(path: string, options: unknown, make: (old: () => Uint8Array) => Uint8Array): void {
    const fail: Fail = (code) => fsError(code, 'open', path);
    const sp = this.parentOf(path, 'open', path);
    if (sp.trailingSlash || !isName(sp.last)) throw fail('EISDIR');
    const status = this.find(path, true, 'open');
    const r = this.cache.result;
    if (status === WALK_NEGATIVE) {
      if (r[RES_LAST] !== 1) throw fail('ENOENT');
      this.requireUpper(fail);
      const mode = typeof options === 'object' && options !== null && (options as { mode?: unknown }).mode !== undefined
        ? modeOf((options as { mode?: unknown }).mode) : DEFAULT_FILE_MODE;
      this.createChild(r[RES_PARENT], this.cache.stoppedName(), { type: 'file', mode, data: make(() => EMPTY) });
      return;
    }
    if (r[RES_TYPE] === T_DIR) throw fail('EISDIR');
    this.requireUpper(fail);
    if (r[RES_TYPE] !== T_FILE) throw fsError('EINVAL', 'write');
    this.putContent(r[RES_ID], r[RES_PARENT], make);
  }

  /** Replace a file's data; a lower file is copied up with the new data in one step. */
  private putContent(id: number, parent: number, make: (old: () => Uint8Array) => Uint8Array): void {
    const reals = this.table.realsOf(id).slice();
    const old = () => this.copyUp.contentOf(reals);
    if (reals[0] === 0) {
      this.upper!.writeData(reals[1], make(old));
      if (reals.length > 2) this.table.setReals(id, [0, reals[1]]);
      this.cache.update(id, T_FILE, 0, 0, 0, reals[1]);
      return;
    }
    const data = make(old);
    const j = this.journal();
    try {
      this.copyUp.copyUpObject(id, parent, this.cache.name(id), j, false, (spec) => { spec.data = data; spec.mtimeMs = undefined; });
    } catch (err) {
      j.rollback();
      throw err;
    }
  }

  /** chmod/utimes: on the upper object, copying up first (metadata only with metacopy). */
  private changeMeta(id: number, apply: (upper: Layer, h: Handle) => void, edit: (spec: NodeSpec) => void): void {
    const upper = this.upper!;
    const type = this.cache.type(id);
    const L = this.cache.layer(id);
    if (L === 0) {
      apply(upper, this.cache.handle(id));
      return;
    }
    const parent = this.cache.result[RES_PARENT];
    const j = this.journal();
    try {
      if (type === T_DIR) apply(upper, this.copyUp.upperDir(id, j));
      else this.copyUp.copyUpObject(id, parent, this.cache.name(id), j, true, edit);
    } catch (err) {
      j.rollback();
      throw err;
    }
  }

  /** The upper object of a non-directory with all its data (rename and link need a whole file). */
  private fullUpperCopy(id: number, parent: number, name: string, j: WriteJournal): Handle {
    const reals = this.table.realsOf(id).slice();
    if (reals[0] !== 0) return this.copyUp.copyUpObject(id, parent, name, j, false);
    const upper = this.upper!;
    if (reals.length > 2) {
      // A metacopy file gets its data before it moves or gains a name; its times stay.
      const st = upper.stat(reals[1]);
      upper.writeData(reals[1], this.copyUp.contentOf(reals));
      upper.setTimes(reals[1], st.atimeMs, st.mtimeMs);
      this.table.setReals(id, [0, reals[1]]);
      this.cache.update(id, T_FILE, 0, 0, 0, reals[1]);
    }
    return reals[1];
  }

  /** mkdir of one directory; errors name `ePath` (mkdir -p reports the whole path). */
  private mkdirOne(path: string, mode: number, ePath: string): void {
    const fail: Fail = (code) => fsError(code, 'mkdir', ePath);
    const sp = this.parentOf(path, 'mkdir', ePath);
    if (!isName(sp.last)) throw fail('EEXIST');
    if (this.lookupLast(sp.bare, 'mkdir', ePath) === WALK_FOUND) throw fail('EEXIST');
    this.requireUpper(fail);
    const r = this.cache.result;
    const parent = r[RES_PARENT];
    // Fact 16: over a whiteout in the upper, the new directory is opaque (the lower ones stay
    // hidden). And as the kernel does when redirect_dir or metacopy is on (lowers may then not
    // change offline), a directory made in a merged parent is marked opaque too: lookups in it
    // need not look below. Either way the view is the same now; the upper matches the kernel's.
    const opaque = ((r[RES_FLAGS] & F_WHITEOUT) !== 0 && r[RES_LAYER] === 0) ||
      ((this.redirectDir || this.metacopy) && hasLower(this.table.realsOf(parent)));
    this.createChild(parent, sp.last, { type: 'dir', mode, opaque });
  }

  /**
   * mkdir -p on the path string, as Node's MKDirpSync does it: try the whole path; on ENOENT try
   * its dirname first (cut at the last '/'), then come back. An existing name is fine if stat()
   * says directory; otherwise EEXIST for the path itself, ENOTDIR on the way, or stat()'s own
   * error (ENOENT for a dangling symlink). Returns the first directory created. Node turns EROFS
   * into the stat() error; here EROFS is kept.
   */
  private mkdirRecursive(path: string, mode: number, fail: Fail): string | undefined {
    const pending = [path];
    let first: string | undefined;
    while (pending.length > 0) {
      const next = pending.pop()!;
      let code: string;
      try {
        this.mkdirOne(next, mode, path);
        first ??= next;
        continue;
      } catch (err) {
        code = String((err as StrataError).code);
      }
      if (code === 'ENOTDIR' || code === 'EROFS' || code === 'EPERM' || code === 'ENOSPC') throw fail(code);
      if (code === 'ENOENT') {
        const dirname = next.slice(0, next.lastIndexOf('/'));
        if (dirname !== next && dirname !== '') {
          pending.push(next, dirname);
          continue;
        }
        throw fail('ENOENT');
      }
      let isDir: boolean;
      try {
        isDir = this.stat(next).isDirectory();
      } catch (err) {
        throw fail(String((err as StrataError).code));
      }
      if (!isDir) throw fail(code === 'EEXIST' && pending.length > 0 ? 'ENOTDIR' : 'EEXIST');
    }
    return first;
  }

  /** Whether a name's removal must leave a whiteout: something below the upper would show. */
  private lowerPositive(parent: number, name: string, topLayer: number): boolean {
    if (topLayer !== 0) return true;
    const reals = this.table.realsOf(parent);
    for (let k = 0; k < reals.length; k += 2) {
      const L = reals[k];
      if (L === 0) continue;
      const h = this.layers[L]!.lookup(reals[k + 1], name);
      if (h !== ABSENT) return h !== WHITEOUT;
    }
    return false;
  }

  /** Facts 14, 19: remove a non-directory; a name that exists below keeps a whiteout. */
  private removeNonDir(id: number, parent: number, name: string): void {
    const upper = this.upper!;
    const whiteout = this.lowerPositive(parent, name, this.cache.layer(id));
    const j = this.journal();
    try {
      const dir = this.copyUp.upperDir(parent, j);
      if (whiteout) upper.putWhiteout(dir, name);
      else upper.removeName(dir, name);
    } catch (err) {
      j.rollback();
      throw err;
    }
    const h = this.cache.handle(id);
    if (this.cache.layer(id) === 0 && !upper.alive(h)) this.inodes.forget(h);
    this.nameChanged(parent, name);
  }

  /** Fact 15: remove an empty (merged) directory: its child whiteouts go, one whiteout stays. */
  private removeDir(id: number, parent: number, name: string): void {
    const upper = this.upper!;
    const whiteout = this.lowerPositive(parent, name, this.cache.layer(id));
    const upperPart = this.upperPartOf(id);
    const j = this.journal();
    try {
      const dir = this.copyUp.upperDir(parent, j);
      if (upperPart !== 0) this.clearWhiteouts(upperPart, j);
      if (whiteout) upper.putWhiteout(dir, name);
      else if (upperPart !== 0) upper.removeName(dir, name);
    } catch (err) {
      j.rollback();
      throw err;
    }
    this.nameChanged(parent, name);
  }

  /** The upper directory of a directory entry, or 0 when it has none. */
  private upperPartOf(id: number): Handle {
    const reals = this.table.realsOf(id);
    return reals[0] === 0 ? reals[1] : 0;
  }

  /** Remove the whiteouts an upper directory holds (all it holds, once it looks empty). */
  private clearWhiteouts(dir: Handle, j: WriteJournal): void {
    const upper = this.upper!;
    for (const name of upper.list(dir)) {
      if (upper.lookup(dir, name) !== WHITEOUT) continue;
      upper.removeName(dir, name);
      j.onUndo(() => upper.putWhiteout(dir, name));
    }
  }

  /** Set an opaque or redirect mark on an upper directory, undoable. */
  private mark(j: WriteJournal, dir: Handle, kind: 'opaque' | 'redirect', value: boolean | string): void {
    const upper = this.upper!;
    if (kind === 'opaque') {
      const was = upper.isOpaque(dir);
      upper.setOpaqueMark(dir, value as boolean);
      j.onUndo(() => upper.setOpaqueMark(dir, was));
    } else {
      const was = upper.redirect(dir);
      upper.setRedirectMark(dir, value as string);
      j.onUndo(() => upper.setRedirectMark(dir, was));
    }
  }

  /** One entry of rmSync's removal: unlink a non-directory, rmdir a directory (lstat errors other than ENOENT ignored, as Node's are). */
  private rimraf(path: string): void {
    let isDir = false;
    try {
      isDir = this.lstat(path).isDirectory();
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return;
    }
    try {
      if (isDir) this.rmdirTree(path, undefined);
      else this.unlink(path);
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return;
      if (!hasCode(err, 'EISDIR')) throw err;
      this.rmdirTree(path, err as StrataError);
    }
  }

  /** rmdir; when not empty, its entries first, then rmdir again. */
  private rmdirTree(path: string, original: StrataError | undefined): void {
    try {
      this.rmdir(path);
      return;
    } catch (err) {
      if (hasCode(err, 'ENOENT')) return;
      if (hasCode(err, 'ENOTDIR')) throw original ?? err;
      if (!hasCode(err, 'ENOTEMPTY') && !hasCode(err, 'EEXIST') && !hasCode(err, 'EPERM')) throw err;
    }
    for (const child of this.readdir(path)) this.rimraf(`${path}/${child}`);
    try {
      this.rmdir(path);
    } catch (err) {
      if (!hasCode(err, 'ENOENT')) throw err;
    }
  }
}

/** The SystemError node:fs rmSync throws for a directory without `recursive` (same fields). */
function rmIsDirectory(path: string): StrataError {
  const err = fsError('ERR_FS_EISDIR', 'rm', path);
  err.message = `Path is a directory: rm returned EISDIR (is a directory) ${path}`;
  err.errno = 21;
  (err as StrataError & { info: object }).info = { code: 'EISDIR', message: 'is a directory', path, syscall: 'rm', errno: 21 };
  return err;
}

function hasLower(reals: readonly number[]): boolean {
  for (let k = 0; k < reals.length; k += 2) if (reals[k] > 0) return true;
  return false;
}

function firstLowerLayer(reals: readonly number[]): number {
  for (let k = 0; k < reals.length; k += 2) if (reals[k] > 0) return reals[k];
  return 1;
}

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || ancestor === '/' || path.startsWith(ancestor + '/');
}
