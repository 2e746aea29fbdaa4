// Path steps of Overlay methods, on the engine's walks: stat (with the retry of a read whose layer
// object died under it), the checks of a create-a-name operation, open(2) with node:fs flags for
// writeFile/appendFile/readFile, truncate. Errors are worded for the calling operation.
import { posix } from 'node:path';
import { T_DIR, T_FILE, T_SYMLINK } from '../abi.js';
import { fsError, hasCode } from '../errors.js';
import { concatBytes, isName, resizeBytes } from './args.js';
import type { Engine } from './engine.js';
import type { OpenMode } from './open-flags.js';
import type { OpenObject } from './open-object.js';
import type { Dirent, Stats } from './stats.js';
import type { Walked } from './walked.js';

const EMPTY = new Uint8Array(0);

/**
 * stat/lstat of `path`; with `orUndefined` (throwIfNoEntry: false) a missing path is undefined.
 * A layer object replaced under the call is walked to again (Engine.retryRead), inline: no
 * closure on the hottest call.
 */
export function statPath(engine: Engine, path: string, follow: boolean, syscall: string, orUndefined: boolean): Stats | undefined {
  engine.catchUp();
  return statCaughtUp(engine, path, follow, syscall, orUndefined);
}

/**
 * The mode lstat(path) would give (ENOENT, ENOTDIR as lstat), answered by the stat memo alone
 * when it can be: readlink asks it first, since a resolver's readlinks (≈ 4.5 per request, one
 * per component of what it found) are nearly all "not a symlink".
 */
export function lstatMode(engine: Engine, path: string, syscall: string): number {
  engine.catchUp();
  const memo = engine.statMemo;
  if (memo !== undefined) {
    const known = memo.answer(path, false);
    if (known >= 0) {
      if (memo.found(known)) return memo.modeOf(known);
      throw fsError('ENOENT', syscall, path);
    }
  }
  return statCaughtUp(engine, path, false, syscall, false)!.mode;
}

function statCaughtUp(engine: Engine, path: string, follow: boolean, syscall: string, orUndefined: boolean): Stats | undefined {
  const memo = engine.statMemo;
  if (memo === undefined) return statWalked(engine, path, follow, syscall, orUndefined);
  // The hit: one probe, two stamp compares, a fresh Stats (engine/stat-memo.ts).
  const known = memo.answer(path, follow);
  if (known >= 0) {
    if (memo.found(known)) return memo.statsOf(known);
    if (orUndefined) return undefined;
    throw fsError('ENOENT', syscall, path);
  }
  const stamp = memo.stamp();
  const epoch = memo.epoch;
  for (let attempt = 0; ; attempt++) {
    try {
      const w = engine.lookup(path, follow, syscall);
      const st = w.found ? engine.inode.stat(w) : undefined;
      memo.remember(path, follow, w, st, stamp, epoch);
      if (st !== undefined || orUndefined) return st;
      throw fsError('ENOENT', syscall, path);
    } catch (err) {
      if (orUndefined && hasCode(err, 'ENOENT')) return undefined;
      engine.retryRead(err, attempt, syscall, path);
    }
  }
}

function statWalked(engine: Engine, path: string, follow: boolean, syscall: string, orUndefined: boolean): Stats | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      return orUndefined ? statOrUndefined(engine, path, follow, syscall) : engine.inode.stat(engine.existing(path, follow, syscall));
    } catch (err) {
      engine.retryRead(err, attempt, syscall, path);
    }
  }
}

function statOrUndefined(engine: Engine, path: string, follow: boolean, syscall: string): Stats | undefined {
  let w;
  try {
    w = engine.lookup(path, follow, syscall);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  // The negative answer costs no allocation at all.
  return w.found ? engine.inode.stat(w) : undefined;
}

/** EROFS unless the overlay has a writable upper. */
export function requireUpper(engine: Engine, syscall: string, path: string, dest?: string): void {
  if (engine.upper === undefined) throw fsError('EROFS', syscall, path, dest);
}

/**
 * The checks of every create-a-name operation (symlink, mknod, mkdir): the parent walked, a real
 * name that does not exist yet, no trailing slash, a writable overlay. The name's negative view.
 */
export function freeName(engine: Engine, path: string, syscall: string, ePath: string, eDest?: string, trailingSlashOk = false): Walked {
  const sp = engine.parentOf(path, syscall, ePath, eDest);
  if (!isName(sp.last)) throw fsError('EEXIST', syscall, ePath, eDest);
  const w = engine.lookupLast(sp, syscall, ePath, eDest);
  if (w.found) throw fsError('EEXIST', syscall, ePath, eDest);
  if (sp.trailingSlash && !trailingSlashOk) throw fsError('ENOENT', syscall, ePath, eDest);
  requireUpper(engine, syscall, ePath, eDest);
  return w;
}

/**
 * open(2) of `path` with node:fs flags, in the kernel's order: O_CREAT's EISDIR for a directory,
 * EEXIST (O_EXCL, a final symlink not followed), ELOOP (O_NOFOLLOW), ENOENT, ENOTDIR
 * (O_DIRECTORY), EISDIR (a directory for writing), EROFS. A missing name with O_CREAT is created
 * holding `initial` (undefined is returned then); O_TRUNC is the caller's, merged into its write.
 */
export function openPath(engine: Engine, path: string, how: OpenMode, mode: number, initial: Uint8Array): Walked | undefined {
  // Only a create walks the parent first (its checks come before the name's); any other open
  // meets the same errors walking the whole path, once.
  if (how.create) {
    const sp = engine.parentOf(path, 'open');
    // A final '.', '..' or '/' names an existing directory: O_EXCL's EEXIST comes first there.
    if (!isName(sp.last)) throw fsError(how.exclusive ? 'EEXIST' : 'EISDIR', 'open', path);
    if (sp.trailingSlash) throw fsError('EISDIR', 'open', path);
  }
  if ((how.create && how.exclusive) || how.noFollow) {
    const link = engine.lookup(path, false, 'open');
    if (link.found && how.create && how.exclusive) throw fsError('EEXIST', 'open', path);
    if (link.found && link.type === T_SYMLINK) throw fsError('ELOOP', 'open', path);
  }
  const w = engine.lookup(path, true, 'open');
  if (!w.found) {
    if (!how.create || !w.last) throw fsError('ENOENT', 'open', path);
    requireUpper(engine, 'open', path);
    engine.namespace.create(w.parent, w.name, { type: 'file', mode, data: initial });
    return undefined;
  }
  if (how.directory && w.type !== T_DIR) throw fsError('ENOTDIR', 'open', path);
  if (w.type === T_DIR && how.writable) throw fsError('EISDIR', 'open', path);
  // O_TRUNC asks for write access even without it (the kernel's MAY_WRITE).
  if (how.writable || how.truncate) requireUpper(engine, 'open', path);
  return w;
}

/**
 * writeFile/appendFile with `how` (node:fs flags): O_TRUNC replaces the data, O_APPEND appends,
 * neither (r+) overwrites the start; a write-less open writes nothing (EBADF for any byte).
 */
export function writeContent(engine: Engine, path: string, how: OpenMode, mode: number, bytes: Uint8Array): void {
  const w = openPath(engine, path, how, mode, how.writable ? bytes : EMPTY);
  if (!how.writable) {
    if (w !== undefined && how.truncate && w.type === T_FILE) truncateTo(engine, w, 0, path);
    if (bytes.length > 0) throw fsError('EBADF', 'write');
    return;
  }
  if (w === undefined) return;
  if (w.type !== T_FILE) throw fsError('EINVAL', 'write');
  if (how.truncate) engine.inode.setContent(w, { whole: () => bytes });
  else if (how.append) {
    engine.inode.setContent(w, { inPlace: (upper, h) => upper.append(h, bytes), whole: (old) => concatBytes(old(), bytes) });
  } else {
    engine.inode.setContent(w, { inPlace: (upper, h) => upper.writeAt(h, bytes, 0), whole: (old) => overwriteStart(old(), bytes) });
  }
}

/** readFile with `how`: the open's side effects (create, O_TRUNC) first, then EBADF without read access. */
export function readContent(engine: Engine, path: string, how: OpenMode): Uint8Array {
  const w = openPath(engine, path, how, 0o666, EMPTY);
  const truncated = w !== undefined && how.truncate && w.type === T_FILE;
  if (truncated) truncateTo(engine, w, 0, path);
  if (!how.readable) throw fsError('EBADF', 'read');
  // Created or just truncated: empty (w may still name the lower object the truncate copied up).
  if (w === undefined || truncated) return EMPTY;
  // node:fs opens a directory fine and fails the read, without a path.
  if (w.type === T_DIR) throw fsError('EISDIR', 'read');
  return engine.inode.content(w);
}

/** An open through the overlay: the file's object, or none for a directory or special file. */
export interface OpenedPath {
  object: OpenObject | undefined;
  isDirectory: boolean;
}

/** Overlay.openFile with flags: open(2) as openPath, O_TRUNC applied, then the file's object. */
export function openObject(engine: Engine, path: string, how: OpenMode, mode: number): OpenedPath {
  let w = openPath(engine, path, how, mode, EMPTY);
  const truncate = w !== undefined && how.truncate && w.type === T_FILE;
  if (truncate) truncateTo(engine, w!, 0, path);
  // Created or copied up by the truncate: walk again to the object that now answers.
  if (w === undefined || truncate) w = engine.existing(path, true, 'open');
  if (w.type !== T_FILE) return { object: undefined, isDirectory: w.type === T_DIR };
  return { object: engine.inode.open(w, how.writable), isDirectory: false };
}

function overwriteStart(old: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (bytes.length >= old.length) return bytes;
  const out = old.slice();
  out.set(bytes, 0);
  return out;
}

/** truncate of a file (symlinks followed) to `size`, in place where the upper file already is. */
export function truncatePath(engine: Engine, path: string, size: number): void {
  const w = engine.existing(path, true, 'open');
  if (w.type === T_DIR) throw fsError('EISDIR', 'open', path);
  requireUpper(engine, 'open', path);
  truncateTo(engine, w, size, path);
}

function truncateTo(engine: Engine, w: Walked, size: number, path: string): void {
  try {
    engine.inode.setContent(w, {
      inPlace: (upper, h) => upper.truncate(h, size),
      whole: (old) => size === 0 ? EMPTY : resizeBytes(old(), size, path),
    });
  } catch (err) {
    // A layer that cannot allocate the length: the kernel's "file too large" too.
    if (err instanceof RangeError && !('code' in err)) throw fsError('EFBIG', 'ftruncate', path);
    throw err;
  }
}

/**
 * readdir of `path`; `recursive` lists the subtree as node:fs 20 does: breadth-first, names
 * relative to `path`, Dirents naming their own directory. A symlink to a directory is not entered.
 */
export function listPath(engine: Engine, path: string, withFileTypes: boolean, recursive: boolean): string[] | Dirent[] {
  if (!recursive) return listDir(engine, path, withFileTypes);
  const out: (string | Dirent)[] = [];
  const queue: [dir: string, rel: string][] = [[path, '']];
  for (let i = 0; i < queue.length; i++) {
    const [dir, rel] = queue[i];
    for (const d of listDir(engine, dir, true) as Dirent[]) {
      const name = rel === '' ? d.name : `${rel}/${d.name}`;
      out.push(withFileTypes ? d : name);
      if (d.isDirectory()) queue.push([posix.join(dir, d.name), name]);
    }
  }
  return out as string[] | Dirent[];
}

function listDir(engine: Engine, dir: string, withFileTypes: boolean): string[] | Dirent[] {
  const w = engine.existing(dir, true, 'scandir');
  if (w.type !== T_DIR) throw fsError('ENOTDIR', 'scandir', dir);
  return engine.listings.readdir(w.id, dir, withFileTypes);
}
