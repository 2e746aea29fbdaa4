// File content on the host, reached by descriptor: an object is opened through its checked
// directory with O_NOFOLLOW (a symlink swapped in at the name is refused, a FIFO never blocks)
// and its identity checked on the descriptor, so a write never lands on a followed name.
// Edits in place (append, positional write, truncate) cost the bytes written; a whole
// replacement is built in the work directory and renamed over the name (old or new, never a mix).
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import type { LayerFile } from '../layer.js';
import { displayPath, procPath, sameObject, type HostIdentity } from './host-paths.js';
import { host, nodeStat } from './host-layer-base.js';
import { getXattr, listXattrs, removeXattr, setXattr } from './xattr.js';

/** A checked entry of a layer (host-layer-base.ts's Entry, as far as content needs it). */
interface FileEntry {
  path: string;
  parentFd: number;
  name: string;
  st: fs.Stats;
}

export function checkFile(e: FileEntry, syscall: string): void {
  if (e.st.isDirectory()) throw fsError('EISDIR', syscall, displayPath(e.path));
  if (!e.st.isFile()) throw fsError('EINVAL', syscall, displayPath(e.path));
}

/** Open the checked file `e` by descriptor (never by a followed name), edit it, clear `metacopyKey`. */
export function editFile(e: FileEntry, flags: number, metacopyKey: string, edit: (fd: number) => void): void {
  checkFile(e, 'write');
  const fd = openObjectAt(e.parentFd, e.name, e.st, flags, e.path);
  try {
    host('write', e.path, () => edit(fd));
  } finally {
    fs.closeSync(fd);
  }
  clearMark(procPath(e.parentFd, e.name), metacopyKey, e.path);
}

/** Remove xattr `key` if set: listing first, since a failed removal costs a thrown error. */
export function clearMark(at: string, key: string, layerPath: string): void {
  host('write', layerPath, () => { if (listXattrs(at).includes(key)) removeXattr(at, key); });
}

/**
 * Replace the data of the checked file `e` crash-safely: built at `temp` in `workFd`, renamed
 * over the name (after `recheck` confirms the name still holds the file). The new object's lstat.
 */
export function replaceFile(e: FileEntry, data: Uint8Array, workFd: number, temp: string, metacopyKey: string,
  recheck: () => void): fs.Stats | undefined {
  try {
    buildReplacement(workFd, temp, e.parentFd, e.name, e.st, data, metacopyKey, e.path);
    recheck();
    host('rename', e.path, () => fs.renameSync(procPath(workFd, temp), procPath(e.parentFd, e.name)));
  } catch (err) {
    fs.rmSync(procPath(workFd, temp), { force: true });
    throw err;
  }
  return fs.lstatSync(procPath(e.parentFd, e.name), { throwIfNoEntry: false });
}

const { O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, O_APPEND, O_CREAT, O_EXCL } = fs.constants;

/** The object `name` in directory `dirFd`, opened with `flags`, if it is still `expected`. */
export function openObjectAt(dirFd: number, name: string, expected: HostIdentity, flags: number, layerPath: string): number {
  const fd = host('open', layerPath, () => fs.openSync(procPath(dirFd, name), flags | O_NOFOLLOW | O_NONBLOCK));
  const st = fs.fstatSync(fd);
  if (!st.isFile() || !sameObject(st, expected)) {
    fs.closeSync(fd);
    throw fsError('ESTALE', 'open', displayPath(layerPath));
  }
  return fd;
}

export const READ_ONLY = O_RDONLY;
export const READ_WRITE = O_RDWR;
export const APPEND_ONLY = O_WRONLY | O_APPEND;

/** Write all of `data` at `position` (null: the descriptor's offset, or the end with O_APPEND). */
export function writeAllAt(fd: number, data: Uint8Array, position: number | null): void {
  let off = 0;
  while (off < data.length) {
    off += fs.writeSync(fd, data, off, data.length - off, position === null ? null : position + off);
  }
}

/**
 * Build a replacement for the file at `dirFd`/`name` (lstat'ed as `old`) at `temp` in `workFd`:
 * `data`, the old file's xattrs but `dropXattr`, its owner, mode and atime, a new mtime.
 */
export function buildReplacement(workFd: number, temp: string, dirFd: number, name: string, old: fs.Stats,
  data: Uint8Array, dropXattr: string, layerPath: string): void {
  const at = procPath(workFd, temp);
  host('write', layerPath, () => {
    const fd = fs.openSync(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      writeAllAt(fd, data, 0);
      const source = procPath(dirFd, name);
      for (const key of listXattrs(source)) {
        const value = key === dropXattr ? undefined : getXattr(source, key);
        if (value !== undefined) setXattr(at, key, value);
      }
      try {
        fs.fchownSync(fd, old.uid, old.gid);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err; // ownership needs CAP_CHOWN
      }
      // After chown, which clears set-id bits.
      fs.fchmodSync(fd, old.mode & 0o7777);
      fs.futimesSync(fd, old.atimeMs / 1000, Date.now() / 1000);
    } finally {
      fs.closeSync(fd);
    }
  });
}

/**
 * A LayerFile over host descriptor `fd`; `written` runs after each write (notify, clear marks);
 * `replaced` gives a new descriptor when the object was rebuilt under its handle (writeData).
 */
export function hostFile(fd: number, writable: boolean, layerPath: string,
  written: () => void, replaced: () => number | undefined): LayerFile {
  let open = true;
  const use = (syscall: string): number => {
    if (!open) throw fsError('EBADF', syscall);
    const next = replaced();
    if (next !== undefined) {
      fs.closeSync(fd);
      fd = next;
    }
    return fd;
  };
  const edit = (syscall: string, fn: (fd: number) => void): void => {
    if (!writable) throw fsError('EBADF', syscall);
    host(syscall, layerPath, () => fn(use(syscall)));
    written();
  };
  return {
    read: (buffer, position) => host('read', layerPath, () => fs.readSync(use('read'), buffer, 0, buffer.length, position)),
    write: (data, position) => edit('write', (f) => writeAllAt(f, data, position)),
    // pwrite at the current end: a descriptor opened O_RDWR cannot also be O_APPEND (Linux
    // pwrite ignores the position then), and this one never touches the bytes already there.
    append: (data) => edit('write', (f) => writeAllAt(f, data, fs.fstatSync(f).size)),
    truncate: (len) => edit('ftruncate', (f) => fs.ftruncateSync(f, len)),
    stat: () => nodeStat(host('fstat', layerPath, () => fs.fstatSync(use('fstat')))),
    close: () => {
      if (!open) return;
      open = false;
      fs.closeSync(fd);
    },
  };
}

