// Containment: every host access of a DirLayer goes through here, so nothing is read or written
// outside the layer's root. Objects are reached one component at a time from an O_PATH descriptor
// of the root, the way openat() walks: each step names a single child of a directory we hold open
// (`/proc/self/fd/<dir>/<name>` — the kernel jumps to the held directory itself, whatever has been
// renamed above it), refuses symlinks (O_NOFOLLOW: the overlay resolves symlinks, never the host),
// and checks that what it opened is what lstat saw (dev, ino), closing check-then-use races.
//
// Residual risk (documented in docs/kernel-differences.md): a host process that moves a directory
// of the layer out of the root while an operation is inside it can make that one operation land in
// the moved directory. openat2(RESOLVE_BENEATH) keeps an open inside, but the calls that change
// names (unlinkat, renameat2, mkdirat…) have no such form: they act in a held directory wherever
// it has been moved, as the kernel's overlayfs acts on the directories it holds.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import { relabel } from './host-errors.js';
import { O_PATH, displayPath, lstatHostPath, procPath, sameObject } from './host-paths.js';

const O_DIRECTORY = fs.constants.O_DIRECTORY;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW;

/** Called between the lstat check of a component and its open: a test swaps paths here. */
export type RaceHook = (layerPath: string) => void;

/** A held directory: its O_PATH descriptor, what lstat saw, and how to let go of it. */
export interface HeldDir {
  fd: number;
  st: fs.Stats;
}

/** A cached directory descriptor: where it was reached, and whether this operation uses it. */
interface CachedDir extends HeldDir {
  path: string;
  /** Handed to the operation in progress: if evicted meanwhile, closed only when it ends. */
  pinned: boolean;
}

/**
 * Directory descriptors kept open between operations by every tree of the process together,
 * least recently used first out: many layers (6 lowers, each with its own tree) must not add
 * up to the process's descriptor limit. The budget is a quarter of RLIMIT_NOFILE, 16 to 1024.
 */
class DescriptorPool {
  readonly budget: number;
  private readonly lru = new Map<CachedDir, ContainedTree>();

  constructor() {
    let soft = 1024;
    try {
      const line = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
      if (line !== null) soft = line[1] === 'unlimited' ? 1 << 20 : Number(line[1]);
    } catch {
      // keep the conservative default
    }
    this.budget = Math.max(16, Math.min(1024, Math.floor(soft / 4)));
  }

  get size(): number {
    return this.lru.size;
  }

  /** `held` was just used (or added): most recently used; over budget, the oldest go. */
  use(held: CachedDir, tree: ContainedTree): void {
    this.lru.delete(held);
    this.lru.set(held, tree);
    if (this.lru.size > this.budget) this.shrink(this.budget);
  }

  remove(held: CachedDir): void {
    this.lru.delete(held);
  }

  /** Evict down to `target` descriptors (EMFILE: to half, so the failing open can be retried). */
  shrink(target: number): void {
    for (const [held, tree] of this.lru) {
      if (this.lru.size <= target) break;
      this.lru.delete(held);
      tree.evict(held);
    }
  }
}

const pool = new DescriptorPool();

/** Directory descriptors held open by all DirLayers of this process, and their shared budget. */
export function heldDirectoryDescriptors(): { held: number; budget: number } {
  return { held: pool.size, budget: pool.budget };
}

/** Held directories vouched for at most per tree (past it, the rest are checked per use). */
const MAX_VOUCHED_DIRS = 65536;

/** How many `..` one syscall climbs (3 bytes each, well within PATH_MAX). */
const CLIMB_PIECE = 900;

function openHost(p: string, flags: number): number {
  return fs.openSync(p, flags);
}

/** stat of the directory `levels` above the one held by `fd`, climbing in pieces. */
function statAbove(fd: number, levels: number): fs.Stats | undefined {
  let at = fd;
  try {
    while (levels > CLIMB_PIECE) {
      const up = openHost(procPath(at) + '/..'.repeat(CLIMB_PIECE), O_PATH | O_DIRECTORY);
      if (at !== fd) fs.closeSync(at);
      at = up;
      levels -= CLIMB_PIECE;
    }
    return fs.statSync(procPath(at) + '/..'.repeat(levels), { throwIfNoEntry: false });
  } finally {
    if (at !== fd) fs.closeSync(at);
  }
}

export class ContainedTree {
  /** O_PATH descriptor of the root directory, held for the tree's lifetime. */
  readonly rootFd: number;
  readonly rootIdentity: fs.Stats;
  private closed = false;
  /**
   * Directories reached before, by layer path, so a walk need not start at the root each time.
   * An entry is used only after two checks (two lstat calls): the plain host path still leads to
   * this very directory (nothing was renamed or replaced), and climbing as many `..` as the path
   * is deep from the held directory lands on the root (it was not moved out of the tree) — or,
   * for a layer that reads its watch queue at each operation's start, while a watch vouches for
   * it (vouchDirs).
   */
  private readonly dirs = new Map<string, CachedDir>();
  /** Component opens done walking (a walk from the root costs one per level): for tests. */
  walkSteps = 0;
  /** Held directories used without their two checks: 0 until vouchDirs() (tests count them). */
  vouchedUses = 0;
  /**
   * Held directories a watch vouches for (vouchDirs): their checks passed (or they were just
   * walked to) while every directory above them was watched, and no event has arrived since.
   */
  private vouchedDirs: Set<string> | undefined;
  private vouchDev = -1;
  private everyAncestorWatched: (layerPath: string) => boolean = () => false;
  private caughtUp: () => boolean = () => false;
  /** Nesting of operations in progress: cached descriptors are closed only when none is. */
  private busy = 0;

  constructor(readonly rootPath: string, private readonly hook?: RaceHook) {
    if (!fs.existsSync('/proc/self/fd')) {
      throw new Error('DirLayer needs Linux /proc/self/fd to address host objects without following paths');
    }
    this.rootFd = fs.openSync(rootPath, O_PATH | O_DIRECTORY);
    this.rootIdentity = fs.fstatSync(this.rootFd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.dirs.values()) {
      pool.remove(d);
      fs.closeSync(d.fd);
    }
    this.dirs.clear();
    fs.closeSync(this.rootFd);
  }

  /**
   * For a layer that hears of every change before an operation answers (the watch queue read at
   * each operation's start, on a local filesystem: device `dev`): a held directory is used without
   * its two checks while vouched for. A rename, replacement or removal of it or of a directory
   * above it raises an event in a watched directory, and every event ends every vouching
   * (forgetVouched) before the operation that follows it uses a held directory.
   * `everyAncestorWatched(p)`: whether each directory above `p` (the root included) is watched;
   * `caughtUp()`: whether an operation read the queue just now (a layer called outside an
   * operation, or long after its read, checks as before).
   */
  vouchDirs(dev: number, everyAncestorWatched: (layerPath: string) => boolean, caughtUp: () => boolean): void {
    this.vouchedDirs = new Set();
    this.vouchDev = dev;
    this.everyAncestorWatched = everyAncestorWatched;
    this.caughtUp = caughtUp;
  }

  /** An event arrived (or the layer changed something): no held directory is vouched for now. */
  forgetVouched(): void {
    this.vouchedDirs?.clear();
  }

  /** Whether `layerPath`, about to be checked or walked to, may be vouched for once it passes. */
  private mayVouch(layerPath: string): boolean {
    return this.vouchedDirs !== undefined && this.vouchedDirs.size < MAX_VOUCHED_DIRS && this.everyAncestorWatched(layerPath);
  }

  private vouch(layerPath: string, st: fs.Stats): void {
    if (st.dev === this.vouchDev) this.vouchedDirs?.add(layerPath);
  }

  /** Forget cached directories at or below `layerPath` (after the layer itself moved or removed them). */
  forgetDirs(layerPath: string): void {
    const prefix = layerPath + '/';
    for (const [p, d] of [...this.dirs]) {
      if (layerPath === '' || p === layerPath || p.startsWith(prefix)) {
        this.dirs.delete(p);
        pool.remove(d);
        this.drop(d);
      }
    }
  }

  private readonly retired: number[] = [];
  /** Cached directories handed to the operation in progress. */
  private readonly pins: CachedDir[] = [];

  /** The pool takes `held` back (over budget): close it, or when this operation uses it, at its end. */
  evict(held: CachedDir): void {
    if (this.dirs.get(held.path) === held) this.dirs.delete(held.path);
    this.drop(held);
  }

  private drop(held: CachedDir): void {
    if (held.pinned && this.busy > 0) this.retired.push(held.fd);
    else fs.closeSync(held.fd);
  }

  /** lstat of `name` in the directory held by `dirFd`; undefined if there is no such entry. */
  lstatAt(dirFd: number, name: string, layerPath: string): fs.Stats | undefined {
    try {
      return fs.lstatSync(procPath(dirFd, name), { throwIfNoEntry: false });
    } catch (err) {
      throw relabel(err, 'lstat', displayPath(layerPath));
    }
  }

  /**
   * An O_PATH descriptor for `name` in `dirFd`, which lstat saw as `seen`. Symlinks are opened as
   * themselves. Throws ESTALE when the entry was swapped between the lstat and the open.
   */
  openAt(dirFd: number, name: string, seen: fs.Stats, layerPath: string): number {
    this.hook?.(layerPath);
    this.walkSteps++;
    let fd: number;
    const flags = O_PATH | O_NOFOLLOW | (seen.isDirectory() ? O_DIRECTORY : 0);
    try {
      try {
        fd = fs.openSync(procPath(dirFd, name), flags);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EMFILE' && code !== 'ENFILE') throw err;
        // Out of descriptors: give back half of what the layers keep, then try once more.
        pool.shrink(Math.floor(pool.size / 2));
        fd = fs.openSync(procPath(dirFd, name), flags);
      }
    } catch (err) {
      // ELOOP/ENOTDIR here mean the entry became a symlink or a non-directory after the check.
      throw relabel(err, 'open', displayPath(layerPath));
    }
    const now = fs.fstatSync(fd);
    if (!sameObject(now, seen)) {
      fs.closeSync(fd);
      throw fsError('ESTALE', 'open', displayPath(layerPath));
    }
    return fd;
  }

  /**
   * Run `fn` with an O_PATH descriptor of the directory at `layerPath` and its stat, reached from the
   * root (or the deepest still-valid cached directory on the way) without following any symlink.
   * A missing component is ENOENT; a symlink or non-directory component is ENOTDIR.
   */
  withDir<T>(layerPath: string, fn: (dirFd: number, st: fs.Stats) => T): T {
    this.busy++;
    try {
      const held = this.reach(layerPath);
      return fn(held.fd, held.st);
    } finally {
      this.release();
    }
  }

  /**
   * Run `fn` with the directory holding `layerPath`'s last component and an O_PATH descriptor of
   * the entry itself (verified against lstat). The root has no parent: parentFd is -1, name ''.
   * Returns undefined (fn not called) when the entry does not exist.
   */
  withEntry<T>(
    layerPath: string,
    fn: (parentFd: number, name: string, fd: number, st: fs.Stats) => T,
  ): T | undefined {
    if (layerPath === '') return fn(-1, '', this.rootFd, fs.fstatSync(this.rootFd));
    const slash = layerPath.lastIndexOf('/');
    const parent = slash < 0 ? '' : layerPath.slice(0, slash);
    const name = layerPath.slice(slash + 1);
    return this.withDir(parent, (parentFd) => {
      const seen = this.lstatAt(parentFd, name, layerPath);
      if (seen === undefined) return undefined;
      const fd = this.openAt(parentFd, name, seen, layerPath);
      try {
        return fn(parentFd, name, fd, seen);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  /**
   * The directory at `layerPath`: from the cache when still valid, else walked to (from the
   * deepest valid cached directory on the way) and cached. Linear in the depth: the exact path
   * is tried first, and each check is one syscall pair whatever the depth.
   */
  private reach(layerPath: string): HeldDir {
    if (layerPath === '') return { fd: this.rootFd, st: fs.fstatSync(this.rootFd) };
    let depth = 1;
    for (let i = layerPath.indexOf('/'); i >= 0; i = layerPath.indexOf('/', i + 1)) depth++;
    let prefix = layerPath;
    let held: CachedDir | undefined;
    for (;;) {
      held = this.cached(prefix, depth);
      if (held !== undefined) break;
      const slash = prefix.lastIndexOf('/');
      if (slash < 0) {
        prefix = '';
        depth = 0;
        break;
      }
      prefix = prefix.slice(0, slash);
      depth--;
    }
    if (held !== undefined && prefix.length === layerPath.length) return held;
    let fd = held?.fd ?? this.rootFd;
    let st = held?.st;
    let walked = prefix;
    let from = prefix.length === 0 ? 0 : prefix.length + 1;
    while (from <= layerPath.length) {
      let end = layerPath.indexOf('/', from);
      if (end < 0) end = layerPath.length;
      const name = layerPath.slice(from, end);
      walked = layerPath.slice(0, end);
      from = end + 1;
      // Asked before the walk: a watch added after it could not vouch for what the walk saw.
      const vouchable = this.mayVouch(walked);
      const seen = this.lstatAt(fd, name, walked);
      if (seen === undefined) throw fsError('ENOENT', 'lstat', displayPath(walked));
      if (!seen.isDirectory()) throw fsError('ENOTDIR', 'lstat', displayPath(walked));
      fd = this.openAt(fd, name, seen, walked);
      if (vouchable) this.vouch(walked, seen);
      st = seen;
      const entry: CachedDir = { fd, st, path: walked, pinned: false };
      if (from > layerPath.length) this.pin(entry);
      this.dirs.set(walked, entry);
      pool.use(entry, this);
    }
    return { fd, st: st! };
  }

  /** A cached directory, if the checks above still hold for it; else it is dropped. */
  private cached(layerPath: string, depth: number): CachedDir | undefined {
    const held = this.dirs.get(layerPath);
    if (held === undefined) return undefined;
    if (this.vouchedDirs?.has(layerPath) === true && this.caughtUp()) {
      this.vouchedUses++;
      this.pin(held);
      pool.use(held, this);
      return held;
    }
    const vouchable = this.mayVouch(layerPath);
    const here = lstatHostPath(this.rootPath, layerPath);
    let inside = false;
    if (here !== undefined && sameObject(here, held.st)) {
      // Climbing needs search permission on every directory on the way: where the process lacks
      // it the check cannot be made, and the directory is walked to again from one that can.
      let top: fs.Stats | undefined;
      try {
        top = statAbove(held.fd, depth);
      } catch {
        top = undefined;
      }
      inside = top !== undefined && sameObject(top, this.rootIdentity);
    }
    if (!inside) {
      this.dirs.delete(layerPath);
      pool.remove(held);
      this.drop(held);
      return undefined;
    }
    held.st = here!;
    if (vouchable) this.vouch(layerPath, here!);
    this.pin(held);
    pool.use(held, this);
    return held;
  }

  /** End of an operation: close what was retired while in use; nothing is pinned any more. */
  private release(): void {
    if (--this.busy > 0) return;
    for (const fd of this.retired.splice(0)) fs.closeSync(fd);
    for (const d of this.pins.splice(0)) d.pinned = false;
  }

  private pin(held: CachedDir): void {
    if (held.pinned) return;
    held.pinned = true;
    this.pins.push(held);
  }
}
