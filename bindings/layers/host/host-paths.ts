// Layer paths and host paths for a host-directory layer: how a layer path ('' = the root, 'a/b')
// is split, joined, checked and shown in errors; the /proc path of a held descriptor; the plain
// host path under the root and its lstat (walked in pieces past PATH_MAX); and the identity that
// tells one host object from another. Containment itself is contained-tree.ts.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';

const O_DIRECTORY = fs.constants.O_DIRECTORY;

/** open(2) O_PATH (Linux, all architectures Node supports): a handle on an object, no I/O. */
export const O_PATH = 0o10000000;

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

/** Longest host path handed to one syscall; longer ones are walked in pieces (PATH_MAX is 4096). */
const PATH_PIECE = 3000;

/** The host path of `layerPath` ('' is the root) under the layer's root. */
export function hostPath(rootPath: string, layerPath: string): string {
  return layerPath === '' ? rootPath : `${rootPath}/${layerPath}`;
}

/**
 * lstat of the plain host path `rootPath/layerPath` (following symlinks on the way, not at the
 * end, as lstat(2) does), also where the path is longer than PATH_MAX: walked in pieces.
 */
export function lstatHostPath(rootPath: string, layerPath: string): fs.Stats | undefined {
  const full = hostPath(rootPath, layerPath);
  if (full.length < PATH_PIECE) return fs.lstatSync(full, { throwIfNoEntry: false });
  const parts = layerPath.split('/');
  const last = parts.pop()!;
  let fd = -1;
  let prefix = rootPath;
  try {
    for (const name of parts) {
      if (prefix.length + name.length + 1 >= PATH_PIECE) {
        const next = fs.openSync(prefix, O_PATH | O_DIRECTORY);
        if (fd >= 0) fs.closeSync(fd);
        fd = next;
        prefix = procPath(fd);
      }
      prefix = `${prefix}/${name}`;
    }
    return fs.lstatSync(`${prefix}/${last}`, { throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}
