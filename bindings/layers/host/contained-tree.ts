// Containment: every host access of a DirLayer goes through here, so nothing is read or written
// outside the layer's root. Objects are reached one component at a time from an O_PATH descriptor
// of the root, the way openat() walks: each step names a single child of a directory we hold open
// (`/proc/self/fd/<dir>/<name>` — the kernel jumps to the held directory itself, whatever has been
// renamed above it), refuses symlinks (O_NOFOLLOW: the overlay resolves symlinks, never the host),
// and checks that what it opened is what lstat saw (dev, ino), closing check-then-use races.
//
// Residual risk (documented in docs/kernel-differences.md): a host process that moves a directory
// of the layer out of the root while an operation is inside it can make that one operation land in
// the moved directory. Linux openat2(RESOLVE_BENEATH) would close it; Node has no API for it.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import { relabel } from './host-errors.js';

/** open(2) O_PATH (Linux, all architectures Node supports): a handle on an object, no I/O. */
export const O_PATH = 0o10000000;
const O_DIRECTORY = fs.constants.O_DIRECTORY;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW;

/** Called between the lstat check of a component and its open: a test swaps paths here. */
export type RaceHook = (layerPath: string) => void;

/** The identity of a host object: same dev+ino+birth time → same object (ino numbers are reused). */
export interface HostIdentity {
  dev: number;
  ino: number;
  birthtimeMs: number;
}

export function sameObject(a: HostIdentity, b: HostIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs;
}

/** Split a layer path ('' = root, 'a/b') into components. */
export function components(layerPath: string): string[] {
  return layerPath === '' ? [] : layerPath.split('/');
}

/** '/a/b' for error messages ('/' for the root). */
export function displayPath(layerPath: string): string {
  return '/' + layerPath;
}

export function joinPath(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** A name the layer accepts: one component, not '.'/'..', no '/' or NUL. */
export function checkName(name: string, syscall: string, dirPath: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw fsError('EINVAL', syscall, displayPath(joinPath(dirPath, name)));
  }
}

export function procPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** A held directory: its O_PATH descriptor, what lstat saw, and how to let go of it. */
export interface HeldDir {
  fd: number;
  st: fs.Stats;
}

/** How many directory descriptors a tree keeps open between operations (least recently used go). */
const DIR_CACHE_SIZE = 256;

export class ContainedTree {
  /** O_PATH descriptor of the root directory, held for the tree's lifetime. */
  readonly rootFd: number;
  readonly rootIdentity: fs.Stats;
  private closed = false;
  /**
   * Directories reached before, by layer path, so a walk need not start at the root each time.
   * An entry is used only after two checks (two lstat calls): the plain host path still leads to
   * this very directory (nothing was renamed or replaced), and climbing as many `..` as the path
   * is deep from the held directory lands on the root (it was not moved out of the tree).
   */
  private readonly dirs = new Map<string, HeldDir>();
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
    for (const d of this.dirs.values()) fs.closeSync(d.fd);
    this.dirs.clear();
    fs.closeSync(this.rootFd);
  }

  /** Forget cached directories at or below `layerPath` (after the layer itself moved or removed them). */
  forgetDirs(layerPath: string): void {
    const prefix = layerPath + '/';
    for (const [p, d] of [...this.dirs]) {
      if (layerPath === '' || p === layerPath || p.startsWith(prefix)) {
        this.dirs.delete(p);
        if (this.busy === 0) fs.closeSync(d.fd);
        else this.retired.push(d.fd);
      }
    }
  }

  private readonly retired: number[] = [];

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
    let fd: number;
    try {
      fd = fs.openSync(procPath(dirFd, name), O_PATH | O_NOFOLLOW | (seen.isDirectory() ? O_DIRECTORY : 0));
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

  /** The directory at `layerPath`: from the cache when still valid, else walked to and cached. */
  private reach(layerPath: string): HeldDir {
    if (layerPath === '') return { fd: this.rootFd, st: fs.fstatSync(this.rootFd) };
    const parts = components(layerPath);
    // The deepest cached directory on the way that still checks out.
    let depth = parts.length;
    let held: HeldDir | undefined;
    for (; depth > 0; depth--) {
      held = this.cached(parts.slice(0, depth).join('/'), depth);
      if (held !== undefined) break;
    }
    let fd = held?.fd ?? this.rootFd;
    let st = held?.st;
    let walked = parts.slice(0, depth).join('/');
    for (const name of parts.slice(depth)) {
      walked = joinPath(walked, name);
      const seen = this.lstatAt(fd, name, walked);
      if (seen === undefined) throw fsError('ENOENT', 'lstat', displayPath(walked));
      if (!seen.isDirectory()) throw fsError('ENOTDIR', 'lstat', displayPath(walked));
      fd = this.openAt(fd, name, seen, walked);
      st = seen;
      this.dirs.set(walked, { fd, st });
    }
    return { fd, st: st! };
  }

  /** A cached directory, if the checks above still hold for it; else it is dropped. */
  private cached(layerPath: string, depth: number): HeldDir | undefined {
    const held = this.dirs.get(layerPath);
    if (held === undefined) return undefined;
    const here = fs.lstatSync(`${this.rootPath}/${layerPath}`, { throwIfNoEntry: false });
    let inside = false;
    if (here !== undefined && sameObject(here, held.st)) {
      // Climbing needs search permission on every directory on the way: where the process lacks
      // it the check cannot be made, and the directory is walked to again from one that can.
      let top: fs.Stats | undefined;
      try {
        top = fs.statSync(procPath(held.fd) + '/..'.repeat(depth), { throwIfNoEntry: false });
      } catch {
        top = undefined;
      }
      inside = top !== undefined && sameObject(top, this.rootIdentity);
    }
    this.dirs.delete(layerPath);
    if (!inside) {
      if (this.busy <= 1) fs.closeSync(held.fd);
      else this.retired.push(held.fd);
      return undefined;
    }
    const fresh = { fd: held.fd, st: here! };
    this.dirs.set(layerPath, fresh); // most recently used last
    return fresh;
  }

  /** End of an operation: close what was retired and trim the cache to its size. */
  private release(): void {
    if (--this.busy > 0) return;
    for (const fd of this.retired.splice(0)) fs.closeSync(fd);
    for (const [p, d] of this.dirs) {
      if (this.dirs.size <= DIR_CACHE_SIZE) break;
      this.dirs.delete(p);
      fs.closeSync(d.fd);
    }
  }
}
