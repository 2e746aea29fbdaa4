// The state and the machinery under the reference model (model-overlay.ts): its layers, the path
// walk, the stats it answers, and copy-up (ensureUpper). Split off by responsibility, text unchanged.
import { MAX_SYMLINKS } from '../../abi.js';
import { fsError, type StrataError } from '../../errors.js';
import type { Handle, Layer, NodeSpec } from '../../layers/layer.js';
import { WHITEOUT } from '../../layers/layer.js';
import { ModelIndex } from './model-index.js';
import { isNode, LayerStack, type MNode, type Real } from './model-lookup.js';
import { nameTooLong, parsePath, type ParsedPath } from './model-path.js';
import { ModelStats } from './model-stats.js';

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

export type Fail = (code: string) => StrataError;

/** Where a walk ended: the object the path names, or the directory a missing last name is in. */
export interface Walked {
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
export interface ParentOf {
  dir: MNode;
  last: string | null;
}

export type Encoding = BufferEncoding | null | undefined;
/** The model's state, path walking, answers and copy-up; reads and writes build on it. */
export class ModelCore {
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
  protected readonly index: ModelIndex;

  constructor(options: ModelOptions) {
    if (!options.lowers || options.lowers.length === 0) throw new TypeError('an overlay needs at least one lower layer');
    this.upper = options.upper;
    this.redirectDir = options.redirectDir === true;
    this.metacopy = options.metacopy === true;
    this.index = new ModelIndex(options.index === true);
    this.stack = new LayerStack(options.upper, options.lowers, { redirectDir: this.redirectDir, metacopy: this.metacopy });
  }

  // ---------------------------------------------------------------- path walking

  /**
   * Walk a parsed path from the root. Symlinks are followed in every component but the last, and
   * in the last one too when `follow` is set or a trailing slash demands a directory. `..` moves
   * to the physical parent of the walk (above the root: EINVAL, the cache contract's rule).
   */
  protected walk(parsed: ParsedPath, fail: Fail, follow: boolean): Walked {
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
  protected parentOf(parsed: ParsedPath, fail: Fail): ParentOf {
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
  protected lookupLast(dir: MNode, name: string, fail: Fail): { node: MNode | null; upperWhiteout: boolean } {
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
  protected existing(parsed: ParsedPath, fail: Fail, follow: boolean): MNode {
    const w = this.walk(parsed, fail, follow);
    if (w.node === null) throw fail('ENOENT');
    return w.node;
  }

  protected statCommon(p: string, syscall: string, follow: boolean, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
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

  protected readData(node: MNode): Uint8Array {
    if (node.type !== 'file') return new Uint8Array(0);
    const r = this.dataReal(this.index.realsOf(node, this.upper));
    return r.layer.read(r.h);
  }

  // ---------------------------------------------------------------- write helpers

  protected requireUpper(fail: Fail): void {
    if (this.upper === undefined || !this.upper.writable) throw fail('EROFS');
  }

  /**
   * Fact 12: bring an object into the upper layer, ancestors first, with its mode, owner, times,
   * xattrs and symlink target; file data whole, or (fact 13) not at all for a metadata-only change
   * with metacopy on. A metacopy file about to get a data change gets its data first. Returns the
   * upper handle. An upper entry already at the name (made earlier in this same operation through
   * another walk's view) is reused, never replaced.
   */
  protected ensureUpper(node: MNode, metaOnly: boolean): Handle {
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
}

// ---------------------------------------------------------------- small helpers

export function isName(last: string | null): last is string {
  return last !== null && last !== '.' && last !== '..';
}

export function hasLower(node: MNode): boolean {
  return node.reals.some((r) => r.li > 0);
}

/**
 * One object, as the kernel's VFS sees it (rename then does nothing): one name, or two names of
 * one upper object. Two lower names of a hard link are two overlay inodes with index off (copy-up splits
 * them), so a rename between them goes ahead.
 */
export function sameObject(a: MNode, b: MNode): boolean {
  if (a.reals[0].li !== b.reals[0].li || a.reals[0].h !== b.reals[0].h) return false;
  return a.reals[0].li === 0 || pathOf(a) === pathOf(b);
}

/** The canonical overlay path of a node: its physical chain of names. */
export function pathOf(node: MNode): string {
  const names: string[] = [];
  for (let n: MNode | null = node; n !== null && n.parent !== null; n = n.parent) names.push(n.name);
  return '/' + names.reverse().join('/');
}

export function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || ancestor === '/' || path.startsWith(ancestor + '/');
}

/** Layer inode numbers spread apart per layer index so they never collide. */
export function realIno(r: Real): number {
  return (r.li + 1) * 2 ** 32 + r.layer.stat(r.h).ino;
}

export function toBytes(data: string | Uint8Array, options: unknown): Uint8Array {
  if (typeof data !== 'string') return new Uint8Array(data);
  const encoding = (typeof options === 'string' ? options : (options as { encoding?: BufferEncoding } | undefined)?.encoding) ?? 'utf8';
  return new Uint8Array(Buffer.from(data, encoding as BufferEncoding));
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function toMs(t: number | string | Date): number {
  if (t instanceof Date) return t.getTime();
  return Number(t) * 1000;
}
