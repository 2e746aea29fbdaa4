// DirLayer's cached hits in as few host calls as possible: the attributes of an object the layer
// already vouched for (one lstat, written into a record reused per handle), and its whole content
// (open + fstat + read + close). Both go through the native helper when it is built (one call, no
// Stats object), else through node:fs. Both follow the plain host path, not the contained walk:
// what makes that safe is the identity check (dev, ino, birth time) against the object the
// contained walk found — a planted symlink, a swapped file or ancestor yields another object,
// and the caller then takes its contained path (which answers, or fails, as before). A file a
// watch vouches for is read without the fstat (readVouched): there the kernel keeps the open
// inside the root, and the read itself tells a file of another size apart.
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import type { NodeStat, NodeType } from '../layer.js';
import { hostPath, lstatHostPath, sameObject, type HostIdentity } from './host-paths.js';
import { native } from './native.js';

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = fs.constants;

/** Paths at least this long go the portable way (lstatHostPath walks them in pieces). */
const NATIVE_PATH_MAX = 3000;
const ENOENT = -os.errno.ENOENT;
const ENOTDIR = -os.errno.ENOTDIR;
const ENOSYS = -os.errno.ENOSYS;
const EPERM = -os.errno.EPERM;
/** False once openat2 was refused (an old kernel, a seccomp filter): readVouched stops asking. */
let openat2Works = true;

/** readIfSame's landing place for a file smaller than it (one per process, made on first use: copied out at once). */
let scratch: Buffer | undefined;

/** lstatInto's output, node:fs's field order (one per process: read at once, never kept). */
const slots = new Float64Array(14);
const DEV = 0, MODE = 1, NLINK = 2, UID = 3, GID = 4, RDEV = 5, INO = 7, SIZE = 8;
const ATIME = 10, MTIME = 11, CTIME = 12, BIRTHTIME = 13;

function typeOf(mode: number): NodeType {
  const t = mode & S_IFMT;
  return t === S_IFREG ? 'file' : t === S_IFDIR ? 'dir' : t === S_IFLNK ? 'symlink' : 'other';
}

/** A layer stat record of host attributes, written into `into` when given (same shape always). */
function record(into: NodeStat | undefined, type: NodeType, mode: number, size: number, nlink: number, uid: number,
  gid: number, atimeMs: number, mtimeMs: number, ctimeMs: number, birthtimeMs: number, ino: number, rdev: number): NodeStat {
  if (into === undefined) return { type, mode, size, nlink, uid, gid, atimeMs, mtimeMs, ctimeMs, birthtimeMs, ino, rdev };
  into.type = type;
  into.mode = mode;
  into.size = size;
  into.nlink = nlink;
  into.uid = uid;
  into.gid = gid;
  into.atimeMs = atimeMs;
  into.mtimeMs = mtimeMs;
  into.ctimeMs = ctimeMs;
  into.birthtimeMs = birthtimeMs;
  into.ino = ino;
  into.rdev = rdev;
  return into;
}

/**
 * The attributes of the object at `rootPath/layerPath` if it is `id`, written into `into` (or a
 * new record when undefined); undefined when nothing, or another object, is there. Host errors
 * other than "no such entry" are thrown (as lstat's, by the portable path).
 */
export function statIfSame(rootPath: string, layerPath: string, id: HostIdentity, into: NodeStat | undefined): NodeStat | undefined {
  const helper = native();
  const full = hostPath(rootPath, layerPath);
  if (helper !== null && full.length < NATIVE_PATH_MAX) {
    const rc = helper.lstatInto(full, slots);
    if (rc === ENOENT || rc === ENOTDIR) return undefined;
    if (rc === 0) {
      if (slots[DEV] !== id.dev || slots[INO] !== id.ino || slots[BIRTHTIME] !== id.birthtimeMs) return undefined;
      const mode = slots[MODE];
      const type = typeOf(mode);
      return record(into, type, mode, slots[SIZE], slots[NLINK], slots[UID], slots[GID], slots[ATIME], slots[MTIME],
        slots[CTIME], slots[BIRTHTIME], slots[INO], type === 'other' ? slots[RDEV] : 0);
    }
    // Anything else (EACCES, ELOOP, …): node:fs below raises it with its usual shape.
  }
  const st = lstatHostPath(rootPath, layerPath);
  if (st === undefined || !sameObject(st, id)) return undefined;
  const type = typeOf(st.mode);
  return record(into, type, st.mode, st.size, st.nlink, st.uid, st.gid, st.atimeMs, st.mtimeMs, st.ctimeMs,
    st.birthtimeMs, st.ino, type === 'other' ? st.rdev : 0);
}

/**
 * The whole content of the regular file at `rootPath/layerPath` if it is `id`; undefined when
 * this cannot answer (another object, not a regular file, empty by its size, any host error):
 * the caller reads through its contained path, which gives the right data or error.
 */
export function readIfSame(rootPath: string, layerPath: string, id: HostIdentity): Uint8Array | undefined {
  const full = hostPath(rootPath, layerPath);
  const helper = native();
  if (helper !== null && full.length < NATIVE_PATH_MAX) {
    const into = (scratch ??= Buffer.allocUnsafeSlow(64 * 1024));
    const out = helper.readFileIf(full, id.dev, id.ino, id.birthtimeMs, into);
    if (typeof out !== 'number') return out;
    if (out < 0) return undefined;
    // Copied into a Buffer from node's pool, as fs.readFileSync's own for a small file.
    const data = Buffer.allocUnsafe(out);
    into.copy(data, 0, 0, out);
    return data;
  }
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted at the name opens at once (and is then refused unread).
    fd = fs.openSync(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || !sameObject(st, id) || st.size === 0 || st.size > 0x7fffffff) return undefined;
    const data = Buffer.allocUnsafe(st.size);
    let done = 0;
    while (done < data.length) {
      const n = fs.readSync(fd, data, done, data.length - done, done);
      if (n === 0) break; // shrank meanwhile: what is there now
      done += n;
    }
    return done === data.length ? data : data.subarray(0, done);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The content of the file at `layerPath` (a layer path, '' = the root) under the root descriptor,
 * which the caller's watch vouches for as a regular file of `size` bytes: open, read, close — no
 * fstat, since the kernel keeps the walk inside the root and refuses symlinks (openat2), and
 * a file of another size is told apart by the read. Another object of the same size found there
 * was put in place after the operation began: its content is an answer of that moment.
 * Undefined: take the checked path (readIfSame, then the contained walk).
 */
export function readVouched(rootFd: number, layerPath: string, size: number): Uint8Array | undefined {
  const helper = openat2Works ? native() : null;
  if (helper === null || !(size >= 1 && size < 0x7fffffff) || layerPath.length >= NATIVE_PATH_MAX) return undefined;
  // size + 1: a file that grew reads more than `size`. A small Buffer comes from node's pool.
  const into = Buffer.allocUnsafe(size + 1);
  const got = helper.readFileBeneath(rootFd, layerPath, into);
  if (got === size) return into.subarray(0, size);
  if (got === ENOSYS || got === EPERM) openat2Works = false;
  return undefined;
}
