// The namespace writes of the reference model (model-overlay.ts): mkdir, rmdir, unlink, rm, rename,
// symlink, link, mknod and their helpers. A link of the class chain (text unchanged).
import { mkdirp, rm } from '../../engine/fs-compat.js';
import { fsError } from '../../errors.js';
import type { Handle, NodeSpec } from '../../layers/layer.js';
import { S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, WHITEOUT } from '../../layers/layer.js';
import { DEFAULT_DIR_MODE, hasLower, isName, isWithin, pathOf, sameObject, SYMLINK_MODE, type Fail } from './model-core.js';
import type { MNode } from './model-lookup.js';
import { parsePath, type ParsedPath } from './model-path.js';
import { ModelReads } from './model-reads.js';

export class ModelNamespace extends ModelReads {
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
