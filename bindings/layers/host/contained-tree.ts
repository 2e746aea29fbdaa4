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

export class ContainedTree {
  /** O_PATH descriptor of the root directory, held for the tree's lifetime. */
  readonly rootFd: number;
  readonly rootIdentity: HostIdentity;
  private closed = false;

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
    fs.closeSync(this.rootFd);
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
   * root without following any symlink. The descriptor is closed afterwards (the root's is kept).
   * A missing component is ENOENT; a symlink or non-directory component is ENOTDIR.
   */
  withDir<T>(layerPath: string, fn: (dirFd: number, st: fs.Stats) => T): T {
    let fd = this.rootFd;
    let st: fs.Stats | undefined;
    let walked = '';
    try {
      for (const name of components(layerPath)) {
        walked = joinPath(walked, name);
        const seen = this.lstatAt(fd, name, walked);
        if (seen === undefined) throw fsError('ENOENT', 'lstat', displayPath(walked));
        if (!seen.isDirectory()) throw fsError('ENOTDIR', 'lstat', displayPath(walked));
        const next = this.openAt(fd, name, seen, walked);
        if (fd !== this.rootFd) fs.closeSync(fd);
        fd = next;
        st = seen;
      }
      return fn(fd, st ?? fs.fstatSync(fd));
    } finally {
      if (fd !== this.rootFd) fs.closeSync(fd);
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
}
