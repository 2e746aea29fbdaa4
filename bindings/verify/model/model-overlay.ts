// The reference model of the overlay: every operation of the Overlay API answered by walking the
// layers from scratch (no cache, no WASM), written for clarity, not speed. It is the oracle of the
// engine-vs-model differential test and the "fresh, uncached overlay" of the stress tester.
//
// Read-only use over layers someone else mutates is safe: nothing is remembered between calls
// except `origins`, which only this model's own copy-ups fill (so over an upper written by another
// overlay, a copied-up object reports the upper object's inode number, not its lower origin's).
//
// Semantics are docs/semantics.md facts 1-20; where a detail was in doubt it was settled on the Linux
// kernel (6.18, overlay mounted with index=off and redirect_dir/metacopy off or on):
// - mkdir over a whiteout in the upper gives an opaque directory (fact 16); over a whiteout that
//   only a lower holds, a plain one (the lower whiteout still hides what is below).
// - renaming a pure-upper directory into a merged parent marks it opaque, so lower directories
//   at the new name never merge into it; renaming a merged/lower one (redirect_dir on) sets a
//   redirect to its lower path and leaves a whiteout at the old name (facts 17, 18).
// - rename checks EXDEV before ENOTEMPTY; an empty merged destination directory is replaced.
// - copy-up keeps mode and times (mtime checked on a file and a directory) and, for a file with
//   one link, the inode number (a name of a lower hard link gets the upper's: with index=off it
//   is a file of its own now); a copied-up directory is merged (nlink 1, fact 11).
// - rename of one name of a lower hard link onto another renames (index=off: two overlay
//   inodes); only names of one upper object are "the same file" to rename(2).
// - with metacopy off, a metacopy file is refused (EPERM) but listed (the kernel leaves an upper
//   one out of a listing, or fails the readdir: kernel-differences.md); with metacopy on, a
//   metacopy file's redirect says where its data is below.
// - writing through a dangling symlink creates the target (copying up its parent directories).
// - errno order follows the VFS: parent lookup errors, then EEXIST/EISDIR, then EROFS (unlink,
//   rmdir and rename check EROFS right after the parent lookup).
// The whole model was then run against a kernel mount of the same layers (seeded workloads of
// bindings/verify/model/workload.ts, ~3·10^4 compared answers plus the final upper directories) and
// agrees, apart from these known differences:
// - the kernel lists a whiteout inside a directory that merges nothing (a non-merged directory
//   is read raw) as a 0/0 character device; Strata never lists whiteouts (fact 9);
// - with redirect_dir on, the kernel also marks every new directory in a merged parent opaque
//   (an optimisation, invisible unless a lower changes later); Strata marks only over whiteouts;
// - with metacopy on, the kernel renames and links a lower file by a metacopy copy-up with a
//   file redirect; the Layer interface has redirects for directories only, so Strata copies the
//   data (the overlay shows the same either way);
// - a rename that fails late in the kernel (ENOTEMPTY from the upper filesystem) has already
//   copied up the source and set its redirect; Strata checks first and writes nothing;
// - node:fs's mkdir -p reports EROFS as ENOENT (it stat()s after a failed mkdir); EROFS is kept;
// - the kernel's ext4 reuses freed inode numbers (Strata's layers never do).
// (bindings/verify/model/kernel-check.ts is that comparison; run it as root.)
// Where the kernel and Strata's contract differ, the contract wins: `..` above the root is EINVAL
// (the kernel stays at the root), and a NUL byte or a relative path is EINVAL. rm and mkdir -p
// follow node:fs (Node 20) rather than a syscall.
import { MAX_SYMLINKS } from '../../abi.js';
import { mkdirp, rm } from '../../engine/fs-compat.js';
import { fsError, type StrataError } from '../../errors.js';
import type { Handle, Layer, NodeSpec } from '../../layers/layer.js';
import { WHITEOUT } from '../../layers/layer.js';
import { ModelIndex } from './model-index.js';
import { isNode, join, LayerStack, type MNode, type Real } from './model-lookup.js';
import { nameTooLong, parsePath, type ParsedPath } from './model-path.js';
import { ModelDirent, ModelStats } from './model-stats.js';

export interface ModelOptions {
  lowers: Layer[];
  upper?: Layer;
  redirectDir?: boolean;
  metacopy?: boolean;
  /** index=on: lower hard links stay joined across copy-up (model-index.ts). */
  index?: boolean;
  /** Accepted for symmetry with Overlay; the model has no cache, so no policy applies. */
  policy?: string;
}

/** Modes of objects created through the overlay (as MemoryLayer's own defaults). */
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIR_MODE = 0o755;
export const SYMLINK_MODE = 0o777;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

type Fail = (code: string) => StrataError;

/** Where a walk ended: the object the path names, or the directory a missing last name is in. */
interface Walked {
  /** null: the last component does not exist (then `parent` and `name` say where it would be). */
  node: MNode | null;
  /** The directory the last component was looked up in; null when the path ends at a directory
   * without naming it ('/', '.', '..'). */
  parent: MNode | null;
  name: string;
  /** The missing last name is hidden by a whiteout in the upper layer. */
  upperWhiteout: boolean;
  trailingSlash: boolean;
}

/** The directory holding a path's last component, and that component (null for '/'). */
interface ParentOf {
  dir: MNode;
  last: string | null;
}

type Encoding = BufferEncoding | null | undefined;

export class ModelOverlay {
  readonly stack: LayerStack;
  readonly upper: Layer | undefined;
  readonly redirectDir: boolean;
  readonly metacopy: boolean;
  /** Upper handle → inode number of the lower object this model copied it up from (fact 10). */
  private readonly origins = new Map<Handle, number>();
  /** Upper handle → the number it showed first (see inoOf), and number → that handle. */
  private readonly shown = new Map<Handle, number>();
  private readonly shownBy = new Map<number, Handle>();
  private fresh = 0;
  private readonly index: ModelIndex;

  constructor(options: ModelOptions) {
    if (!options.lowers || options.lowers.length === 0) throw new TypeError('an overlay needs at least one lower layer');
    this.upper = options.upper;
    this.redirectDir = options.redirectDir === true;
    this.metacopy = options.metacopy === true;
    this.index = new ModelIndex(options.index === true);
    this.stack = new LayerStack(options.upper, options.lowers, { redirectDir: this.redirectDir, metacopy: this.metacopy });
  }

  // ---------------------------------------------------------------- reads

  stat(p: string, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
    return this.statCommon(p, 'stat', true, options);
  }

  lstat(p: string, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
    return this.statCommon(p, 'lstat', false, options);
  }

  exists(p: string): boolean {
    try {
      const parsed = parsePath(p, 'access');
      return this.walk(parsed, (code) => fsError(code, 'access', p), true).node !== null;
    } catch {
      return false;
    }
  }

  readdir(p: string, options?: { withFileTypes?: boolean; encoding?: string } | string): string[] | ModelDirent[] {
    const fail: Fail = (code) => fsError(code, 'scandir', p);
    const node = this.existing(parsePath(p, 'scandir'), fail, true);
    if (node.type !== 'dir') throw fail('ENOTDIR');
    const entries = this.stack.listing(node);
    if (typeof options === 'object' && options?.withFileTypes) {
      return entries.map((e) => new ModelDirent(e.name, p, e.type, e.mode));
    }
    return entries.map((e) => e.name);
  }

  readFile(p: string, options?: Encoding | { encoding?: Encoding; flag?: string }): Buffer | string {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const node = this.existing(parsePath(p, 'open'), fail, true);
    // node:fs opens a directory fine and fails the read, without a path in the message.
    if (node.type === 'dir') throw fsError('EISDIR', 'read');
    const data = Buffer.from(this.readData(node));
    const encoding = typeof options === 'object' && options !== null ? options.encoding : options;
    return encoding ? data.toString(encoding) : data;
  }

  readlink(p: string): string {
    const fail: Fail = (code) => fsError(code, 'readlink', p);
    const node = this.existing(parsePath(p, 'readlink'), fail, false);
    if (node.type !== 'symlink') throw fail('EINVAL');
    return node.reals[0].layer.readlink(node.reals[0].h);
  }

  realpath(p: string): string {
    const fail: Fail = (code) => fsError(code, 'realpath', p);
    return pathOf(this.existing(parsePath(p, 'realpath'), fail, true));
  }

  /** Which layer answers for `p` (symlinks not followed in the last component). */
  resolve(p: string): { layer: 'upper' | number; merged: boolean; opaque: boolean } {
    const fail: Fail = (code) => fsError(code, 'lstat', p);
    const node = this.existing(parsePath(p, 'lstat'), fail, false);
    const top = node.reals[0];
    return {
      layer: top.li === 0 ? 'upper' : top.li - 1,
      merged: node.type === 'dir' && node.reals.length > 1,
      opaque: node.type === 'dir' && top.layer.isOpaque(top.h),
    };
  }

  // ---------------------------------------------------------------- writes

  writeFile(p: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    this.writeCommon(p, toBytes(data, options), options, false);
  }

  appendFile(p: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    this.writeCommon(p, toBytes(data, options), options, true);
  }

  truncate(p: string, len = 0): void {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const node = this.existing(parsePath(p, 'open'), fail, true);
    if (node.type === 'dir') throw fail('EISDIR');
    this.requireUpper(fail);
    const old = this.readData(node);
    const size = Math.max(0, Math.trunc(len));
    const next = new Uint8Array(size);
    next.set(old.subarray(0, Math.min(size, old.length)));
    const h = this.ensureUpper(node, false);
    this.upper!.writeData(h, next);
  }

  chmod(p: string, mode: number | string): void {
    const fail: Fail = (code) => fsError(code, 'chmod', p);
    const node = this.existing(parsePath(p, 'chmod'), fail, true);
    this.requireUpper(fail);
    const h = this.ensureUpper(node, true);
    this.upper!.setMode(h, (typeof mode === 'string' ? parseInt(mode, 8) : mode) & 0o7777);
  }

  utimes(p: string, atime: number | string | Date, mtime: number | string | Date): void {
    const fail: Fail = (code) => fsError(code, 'utime', p);
    const node = this.existing(parsePath(p, 'utime'), fail, true);
    this.requireUpper(fail);
    const h = this.ensureUpper(node, true);
    this.upper!.setTimes(h, toMs(atime), toMs(mtime));
  }

  mkdir(p: string, options?: { recursive?: boolean; mode?: number } | number): string | undefined {
    const opts = typeof options === 'number' ? { mode: options } : options ?? {};
    const fail: Fail = (code) => fsError(code, 'mkdir', p);
    const parsed = parsePath(p, 'mkdir');
    if (opts.recursive) {
      // Every error of mkdir -p names the whole path `p`: `fail` does.
      return mkdirp({ mkdirOne: (next) => this.mkdirOne(parsePath(next, 'mkdir', 'path', fail), fail, opts.mode), stat: (next) => this.stat(next)! }, p);
    }
    this.mkdirOne(parsed, fail, opts.mode);
    return undefined;
  }

  rmdir(p: string): void {
    const fail: Fail = (code) => fsError(code, 'rmdir', p);
    const { dir, last } = this.parentOf(parsePath(p, 'rmdir'), fail);
    if (last === null) throw fail('EBUSY');
    if (last === '.') throw fail('EINVAL');
    if (last === '..') throw fail('ENOTEMPTY');
    this.requireUpper(fail);
    const node = this.lookupLast(dir, last, fail).node;
    if (node === null) throw fail('ENOENT');
    if (node.type !== 'dir') throw fail('ENOTDIR');
    if (this.stack.listing(node).length > 0) throw fail('ENOTEMPTY');
    this.removeDir(dir, last, node);
  }

  unlink(p: string): void {
    const fail: Fail = (code) => fsError(code, 'unlink', p);
    const parsed = parsePath(p, 'unlink');
    const { dir, last } = this.parentOf(parsed, fail);
    if (last === null || last === '.' || last === '..') throw fail('EISDIR');
    this.requireUpper(fail);
    const node = this.lookupLast(dir, last, fail).node;
    if (node === null) throw fail('ENOENT');
    if (node.type === 'dir') throw fail('EISDIR');
    if (parsed.trailingSlash) throw fail('ENOTDIR');
    this.removeNonDir(dir, last, node);
  }

  /** node:fs rmSync, as Node 20 does it (bindings/engine/fs-compat.ts, shared with the Overlay). */
  rm(p: string, options?: { recursive?: boolean; force?: boolean }): void {
    rm(this, p, options);
  }

  rename(from: string, to: string): void {
    const fail: Fail = (code) => fsError(code, 'rename', from, to);
    const ps = parsePath(from, 'rename', 'oldPath', fail);
    const pd = parsePath(to, 'rename', 'newPath', fail);
    const sp = this.parentOf(ps, fail);
    const dp = this.parentOf(pd, fail);
    if (!isName(sp.last) || !isName(dp.last)) throw fail('EBUSY');
    this.requireUpper(fail);
    const src = this.lookupLast(sp.dir, sp.last, fail).node;
    if (src === null) throw fail('ENOENT');
    if (src.type !== 'dir' && (ps.trailingSlash || pd.trailingSlash)) throw fail('ENOTDIR');
    const dst = this.lookupLast(dp.dir, dp.last, fail).node;
    // The VFS's lock_rename traps: moving a directory under itself, or onto an ancestor.
    if (src.type === 'dir' && isWithin(pathOf(dp.dir), pathOf(src))) throw fail('EINVAL');
    if (dst !== null && dst.type === 'dir' && isWithin(pathOf(sp.dir), pathOf(dst))) throw fail('ENOTEMPTY');
    if (dst !== null && (sameObject(src, dst) || this.index.same(src, dst))) return;
    if (dst !== null) {
      if (src.type === 'dir' && dst.type !== 'dir') throw fail('ENOTDIR');
      if (src.type !== 'dir' && dst.type === 'dir') throw fail('EISDIR');
    }
    if (src.type === 'dir' && hasLower(src) && !this.redirectDir) throw fail('EXDEV');
    if (dst !== null && dst.type === 'dir' && this.stack.listing(dst).length > 0) throw fail('ENOTEMPTY');

    const upper = this.upper!;
    const leaveWhiteout = this.stack.lowerPositive(sp.dir, sp.last, src);
    if (dst !== null && dst.type !== 'dir') this.dropName(dst);
    const srcH = this.ensureUpper(src, false);
    const srcDirH = this.ensureUpper(sp.dir, true);
    const dstDirH = this.ensureUpper(dp.dir, true);
    if (src.type === 'dir') {
      if (hasLower(src)) upper.setRedirectMark(srcH, src.lowerPath);
      else if (!upper.isOpaque(srcH) && hasLower(dp.dir)) upper.setOpaqueMark(srcH, true);
    }
    if (dst !== null && dst.type === 'dir' && dst.reals[0].li === 0) this.clearWhiteouts(dst.reals[0].h);
    upper.renameName(srcDirH, sp.last, dstDirH, dp.last);
    if (leaveWhiteout) upper.putWhiteout(srcDirH, sp.last);
  }

  symlink(target: string, p: string): void {
    if (typeof target !== 'string') parsePath(target, 'symlink', 'target');
    const fail: Fail = (code) => fsError(code, 'symlink', target, p);
    if (target.includes('\0')) throw fail('EINVAL');
    const parsed = parsePath(p, 'symlink', 'path', fail);
    const { dir, last } = this.parentOf(parsed, fail);
    if (!isName(last)) throw fail('EEXIST');
    const found = this.lookupLast(dir, last, fail);
    if (found.node !== null) throw fail('EEXIST');
    if (parsed.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    if (target === '') throw fail('ENOENT');
    const dirH = this.ensureUpper(dir, true);
    this.upper!.createNode(dirH, last, { type: 'symlink', mode: S_IFLNK | SYMLINK_MODE, target });
  }

  link(existing: string, p: string): void {
    const fail: Fail = (code) => fsError(code, 'link', existing, p);
    const pe = parsePath(existing, 'link', 'existingPath', fail);
    const pn = parsePath(p, 'link', 'newPath', fail);
    const src = this.existing(pe, fail, false);
    const { dir, last } = this.parentOf(pn, fail);
    if (!isName(last)) throw fail('EEXIST');
    if (this.lookupLast(dir, last, fail).node !== null) throw fail('EEXIST');
    if (pn.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    if (src.type === 'dir') throw fail('EPERM');
    // Fact 20: the lower file is copied up (whole) and the new name links to the copy.
    const h = this.ensureUpper(src, false);
    const dirH = this.ensureUpper(dir, true);
    this.upper!.linkName(h, dirH, last);
    const joined = this.index.entryOf(src, false);
    if (joined !== undefined) joined.nlink++;
  }

  /**
   * mknod(2): a special file (or a regular one) by its mode's type bits. Fact 6: a character
   * device 0/0 is how whiteouts are stored, so creating one through the overlay is EPERM (after
   * the name and EROFS checks, as overlayfs's ovl_mknod refuses it inside the create; checked:
   * `mknod X c 0 0` on a kernel mount is EPERM, `c 5 1` works).
   */
  mknod(p: string, mode: number, rdev = 0): void {
    const fail: Fail = (code) => fsError(code, 'mknod', p);
    const parsed = parsePath(p, 'mknod');
    const { dir, last } = this.parentOf(parsed, fail);
    if (!isName(last)) throw fail('EEXIST');
    if (this.lookupLast(dir, last, fail).node !== null) throw fail('EEXIST');
    if (parsed.trailingSlash) throw fail('ENOENT');
    this.requireUpper(fail);
    const type = mode & S_IFMT;
    if (type === S_IFCHR && rdev === 0) throw fail('EPERM');
    if (type === S_IFDIR || type === S_IFLNK) throw fail('EINVAL');
    const spec: NodeSpec = type === 0 || type === S_IFREG
      ? { type: 'file', mode: S_IFREG | (mode & 0o7777) }
      : { type: 'other', mode: mode & (S_IFMT | 0o7777), rdev };
    this.upper!.createNode(this.ensureUpper(dir, true), last, spec);
  }

  // ---------------------------------------------------------------- path walking

  /**
   * Walk a parsed path from the root. Symlinks are followed in every component but the last, and
   * in the last one too when `follow` is set or a trailing slash demands a directory. `..` moves
   * to the physical parent of the walk (above the root: EINVAL, the cache contract's rule).
   */
  private walk(parsed: ParsedPath, fail: Fail, follow: boolean): Walked {
    let stack: MNode[] = [this.stack.root()];
    const queue = parsed.components.slice();
    let trailing = parsed.trailingSlash;
    let follows = 0;
    while (queue.length > 0) {
      const comp = queue.shift()!;
      const last = queue.length === 0;
      const dir = stack[stack.length - 1];
      if (comp === '.') continue;
      if (comp === '..') {
        if (stack.length === 1) throw fail('EINVAL');
        stack.pop();
        continue;
      }
      const found = this.lookupLast(dir, comp, fail);
      const node = found.node;
      if (node === null) {
        if (last) return { node: null, parent: dir, name: comp, upperWhiteout: found.upperWhiteout, trailingSlash: trailing };
        throw fail('ENOENT');
      }
      if (node.type === 'symlink' && (!last || follow || trailing)) {
        if (++follows > MAX_SYMLINKS) throw fail('ELOOP');
        const target = node.reals[0].layer.readlink(node.reals[0].h);
        if (target === '') throw fail('ENOENT');
        if (target.startsWith('/')) stack = [stack[0]];
        if (last && target.endsWith('/')) trailing = true;
        queue.unshift(...target.split('/').filter((c) => c !== ''));
        continue;
      }
      if (node.type !== 'dir' && (!last || trailing)) throw fail('ENOTDIR');
      if (last) return { node, parent: dir, name: comp, upperWhiteout: false, trailingSlash: trailing };
      stack.push(node);
    }
    return { node: stack[stack.length - 1], parent: null, name: '', upperWhiteout: false, trailingSlash: trailing };
  }

  /** Walk to the directory holding the last component (symlinks on the way followed). */
  private parentOf(parsed: ParsedPath, fail: Fail): ParentOf {
    const comps = parsed.components;
    if (comps.length === 0) return { dir: this.stack.root(), last: null };
    const head: ParsedPath = { components: comps.slice(0, -1), trailingSlash: false };
    const w = this.walk(head, fail, true);
    if (w.node === null) throw fail('ENOENT');
    if (w.node.type !== 'dir') throw fail('ENOTDIR');
    const last = comps[comps.length - 1];
    // A last '..' climbing above the root is refused like any other (the contract's EINVAL).
    if (last === '..' && w.node.parent === null) throw fail('EINVAL');
    return { dir: w.node, last };
  }

  /** Look one name up in a directory, with the checks a walk makes on reaching it. */
  private lookupLast(dir: MNode, name: string, fail: Fail): { node: MNode | null; upperWhiteout: boolean } {
    if (nameTooLong(name)) throw fail('ENAMETOOLONG');
    const found = this.stack.lookup(dir, name);
    if (found.type === 'broken') throw fail('EIO');
    if (found.type === 'refused') throw fail('EPERM');
    if (isNode(found)) return { node: found, upperWhiteout: false };
    const upper = dir.reals[0];
    const upperWhiteout = found.whiteout && upper.li === 0 && upper.layer.lookup(upper.h, name) === WHITEOUT;
    return { node: null, upperWhiteout };
  }

  /** The object a path names, or ENOENT. */
  private existing(parsed: ParsedPath, fail: Fail, follow: boolean): MNode {
    const w = this.walk(parsed, fail, follow);
    if (w.node === null) throw fail('ENOENT');
    return w.node;
  }

  private statCommon(p: string, syscall: string, follow: boolean, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
    const fail: Fail = (code) => fsError(code, syscall, p);
    const quiet = options?.throwIfNoEntry === false;
    const parsed = parsePath(p, syscall);
    let w: Walked;
    try {
      w = this.walk(parsed, fail, follow);
    } catch (err) {
      if (quiet && (err as StrataError).code === 'ENOENT') return undefined;
      throw err;
    }
    if (w.node === null) {
      if (quiet) return undefined;
      throw fail('ENOENT');
    }
    return this.statsOf(w.node);
  }

  // ---------------------------------------------------------------- answers

  private statsOf(node: MNode): ModelStats {
    const reals = this.index.realsOf(node, this.upper);
    const top = reals[0];
    const st = top.layer.stat(top.h);
    let size = st.size;
    if (node.type === 'file' && top.layer.isMetacopy(top.h)) size = this.dataReal(reals).layer.stat(this.dataReal(reals).h).size;
    const joined = this.index.entryOf(node, false);
    return new ModelStats({
      dev: 0,
      ino: this.inoOf(node),
      mode: st.mode,
      // Fact 11: a merged directory reports one link.
      nlink: node.type === 'dir' && node.reals.length > 1 ? 1 : joined !== undefined ? joined.nlink : st.nlink,
      uid: st.uid,
      gid: st.gid,
      rdev: st.rdev,
      size,
      atimeMs: st.atimeMs,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      birthtimeMs: st.birthtimeMs,
    });
  }

  /**
   * Fact 10: an object keeps the inode number of the object it was copied up from. Otherwise
   * each layer's inode numbers are spread apart so two layers never collide.
   */
  inoOf(node: MNode): number {
    const top = node.reals[0];
    if (top.li !== 0) return realIno(top);
    const origin = this.origins.get(top.h);
    if (origin !== undefined) return origin;
    // An upper object keeps the number it showed first, though its layer's may change (DirLayer
    // rewrites data into a new host inode under the same handle); a number the host hands on to
    // a new object while the first still shows it is replaced by a fresh one.
    const first = this.shown.get(top.h);
    if (first !== undefined) return first;
    let n = realIno(top);
    const holder = this.shownBy.get(n);
    if (holder !== undefined && holder !== top.h && this.upper!.alive(holder)) n = 2 ** 52 + ++this.fresh;
    this.shown.set(top.h, n);
    this.shownBy.set(n, top.h);
    return n;
  }

  private dataReal(reals: Real[]): Real {
    return reals.find((r) => !r.layer.isMetacopy(r.h)) ?? reals[reals.length - 1];
  }

  private readData(node: MNode): Uint8Array {
    if (node.type !== 'file') return new Uint8Array(0);
    const r = this.dataReal(this.index.realsOf(node, this.upper));
    return r.layer.read(r.h);
  }

  // ---------------------------------------------------------------- write helpers

  private requireUpper(fail: Fail): void {
    if (this.upper === undefined || !this.upper.writable) throw fail('EROFS');
  }

  /**
   * Fact 12: bring an object into the upper layer, ancestors first, with its mode, owner, times,
   * xattrs and symlink target; file data whole, or (fact 13) not at all for a metadata-only change
   * with metacopy on. A metacopy file about to get a data change gets its data first. Returns the
   * upper handle. An upper entry already at the name (made earlier in this same operation through
   * another walk's view) is reused, never replaced.
   */
  private ensureUpper(node: MNode, metaOnly: boolean): Handle {
    const upper = this.upper!;
    const top = node.reals[0];
    if (top.li === 0) {
      if (!metaOnly && node.type === 'file' && upper.isMetacopy(top.h)) {
        const st = upper.stat(top.h);
        upper.writeData(top.h, this.readData(node));
        upper.setTimes(top.h, st.atimeMs, st.mtimeMs);
        node.reals = [top];
      }
      return top.h;
    }
    const parentH = this.ensureUpper(node.parent!, true);
    const already = upper.lookup(parentH, node.name);
    if (already > 0) {
      node.reals = node.type === 'dir' ? [{ li: 0, layer: upper, h: already }, ...node.reals] : [{ li: 0, layer: upper, h: already }];
      return this.ensureUpper(node, metaOnly);
    }
    // index=on: a name of a lower hard link whose file was copied up before is linked to it.
    const joined = this.index.entryOf(node, true);
    if (joined !== undefined && joined.upper !== 0) {
      const reals = this.index.realsOf(node, upper);
      upper.linkName(joined.upper, parentH, node.name);
      node.reals = reals;
      return this.ensureUpper(node, metaOnly);
    }
    // What is copied: the object itself, or the joined file kept for its lower names.
    const source = joined !== undefined ? this.index.realsOf(node, upper)[0] : top;
    const st = source.layer.stat(source.h);
    const spec: NodeSpec = {
      type: st.type,
      mode: st.mode,
      uid: st.uid,
      gid: st.gid,
      atimeMs: st.atimeMs,
      mtimeMs: st.mtimeMs,
      xattrs: source.layer.xattrs(source.h),
    };
    const metacopy = metaOnly && this.metacopy && node.type === 'file' && source === top;
    if (node.type === 'file') {
      if (metacopy) spec.metacopy = true;
      else spec.data = this.readData(node);
    } else if (node.type === 'symlink') {
      spec.target = source.layer.readlink(source.h);
    } else if (node.type === 'other') {
      spec.rdev = st.rdev;
    }
    const ino = this.inoOf(node);
    const h = upper.createNode(parentH, node.name, spec);
    // A name of a lower hard link becomes a file of its own (index off): the kernel reports the
    // upper object's inode number for it, not the lower's its other names keep.
    if (node.type === 'dir' || st.nlink === 1 || joined !== undefined) this.origins.set(h, ino);
    if (joined !== undefined) this.index.setUpper(joined, h);
    const mine: Real = { li: 0, layer: upper, h };
    node.reals = node.type === 'dir' || metacopy ? [mine, ...node.reals] : [mine];
    return h;
  }

  private writeCommon(p: string, bytes: Uint8Array, options: unknown, append: boolean): void {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const parsed = parsePath(p, 'open');
    const { last } = this.parentOf(parsed, fail);
    // open(O_CREAT) of a name with a trailing slash, or of '/', '.', '..': the VFS says EISDIR.
    if (parsed.trailingSlash || !isName(last)) throw fail('EISDIR');
    const w = this.walk(parsed, fail, true);
    if (w.node === null) {
      this.requireUpper(fail);
      const mode = typeof options === 'object' && options !== null && typeof (options as { mode?: unknown }).mode === 'number'
        ? (options as { mode: number }).mode : DEFAULT_FILE_MODE;
      const dirH = this.ensureUpper(w.parent!, true);
      this.upper!.createNode(dirH, w.name, { type: 'file', mode: S_IFREG | (mode & 0o7777), data: bytes });
      return;
    }
    if (w.node.type === 'dir') throw fail('EISDIR');
    this.requireUpper(fail);
    const data = append ? concat(this.readData(w.node), bytes) : bytes;
    const h = this.ensureUpper(w.node, false);
    this.upper!.writeData(h, data);
  }

  private mkdirOne(parsed: ParsedPath, fail: Fail, mode: number | undefined): void {
    const { dir, last } = this.parentOf(parsed, fail);
    if (!isName(last)) throw fail('EEXIST');
    const found = this.lookupLast(dir, last, fail);
    if (found.node !== null) throw fail('EEXIST');
    this.requireUpper(fail);
    const dirH = this.ensureUpper(dir, true);
    // Fact 16: over a whiteout in the upper, the new directory is opaque. With redirect_dir (or
    // metacopy, which needs it) the kernel also marks a directory created in a merged parent
    // opaque, so that a later rename of it needs no lower lookup (checked on a 6.18 mount).
    const opaque = found.upperWhiteout || ((this.redirectDir || this.metacopy || this.index.enabled) && hasLower(dir));
    this.upper!.createNode(dirH, last, { type: 'dir', mode: S_IFDIR | ((mode ?? DEFAULT_DIR_MODE) & 0o7777), opaque });
  }

  /**
   * index=on: a name of a joined file goes (unlink, or renamed over): one link less. (The kernel
   * copies the file up first if none of its names was — its count lives with the upper — which
   * shows nowhere but in its work directory.)
   */
  private dropName(node: MNode): void {
    const joined = this.index.entryOf(node, true);
    if (joined === undefined) return;
    if (node.reals[0].li === 0) this.index.beforeUpperNameGoes(joined, this.upper!, this.readData(node));
    joined.nlink--;
  }

  /** Facts 14, 19: remove a non-directory; a name that exists below keeps a whiteout. */
  private removeNonDir(dir: MNode, name: string, node: MNode): void {
    const upper = this.upper!;
    this.dropName(node);
    const whiteout = this.stack.lowerPositive(dir, name, node);
    const dirH = this.ensureUpper(dir, true);
    if (whiteout) upper.putWhiteout(dirH, name);
    else upper.removeName(dirH, name);
  }

  /** Fact 15: remove an empty (merged) directory: its child whiteouts go, one whiteout stays. */
  private removeDir(dir: MNode, name: string, node: MNode): void {
    const upper = this.upper!;
    const whiteout = this.stack.lowerPositive(dir, name, node);
    const dirH = this.ensureUpper(dir, true);
    if (node.reals[0].li === 0) this.clearWhiteouts(node.reals[0].h);
    if (whiteout) upper.putWhiteout(dirH, name);
    else if (node.reals[0].li === 0) upper.removeName(dirH, name);
  }

  /** Remove the whiteouts an upper directory holds (all it holds, once it looks empty). */
  private clearWhiteouts(h: Handle): void {
    const upper = this.upper!;
    for (const name of upper.list(h)) {
      if (upper.lookup(h, name) === WHITEOUT) upper.removeName(h, name);
    }
  }
}

// ---------------------------------------------------------------- small helpers

function isName(last: string | null): last is string {
  return last !== null && last !== '.' && last !== '..';
}

function hasLower(node: MNode): boolean {
  return node.reals.some((r) => r.li > 0);
}

/**
 * One object, as the kernel's VFS sees it (rename then does nothing): one name, or two names of
 * one upper object. Two lower names of a hard link are two overlay inodes with index off (copy-up splits
 * them), so a rename between them goes ahead.
 */
function sameObject(a: MNode, b: MNode): boolean {
  if (a.reals[0].li !== b.reals[0].li || a.reals[0].h !== b.reals[0].h) return false;
  return a.reals[0].li === 0 || pathOf(a) === pathOf(b);
}

/** The canonical overlay path of a node: its physical chain of names. */
export function pathOf(node: MNode): string {
  const names: string[] = [];
  for (let n: MNode | null = node; n !== null && n.parent !== null; n = n.parent) names.push(n.name);
  return '/' + names.reverse().join('/');
}

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || ancestor === '/' || path.startsWith(ancestor + '/');
}

/** Layer inode numbers spread apart per layer index so they never collide. */
function realIno(r: Real): number {
  return (r.li + 1) * 2 ** 32 + r.layer.stat(r.h).ino;
}

function toBytes(data: string | Uint8Array, options: unknown): Uint8Array {
  if (typeof data !== 'string') return new Uint8Array(data);
  const encoding = (typeof options === 'string' ? options : (options as { encoding?: BufferEncoding } | undefined)?.encoding) ?? 'utf8';
  return new Uint8Array(Buffer.from(data, encoding as BufferEncoding));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function toMs(t: number | string | Date): number {
  if (t instanceof Date) return t.getTime();
  return Number(t) * 1000;
}

