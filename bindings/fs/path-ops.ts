// The path calls of the adapter, sync forms: path arguments in (path-args.ts), options decoded
// (options.ts), one Overlay call, the answer out. Each successful write reports what it changed,
// for watch(). fs.ts derives the callback and promise forms from these.
import { constants } from 'node:fs';
import { Dirent, type Stats } from '../engine/stats.js';
import { fsError, hasCode, lightFsError } from '../errors.js';
import type { Overlay } from '../overlay.js';
import { invalidArgType, invalidArgValue, noLongerSupported } from './arg-errors.js';
import { bigintStats, wantsBigint, type BigIntStats } from './bigint-stats.js';
import { checkDirOptions, Dir } from './dir.js';
import { modeArg, timeArg } from './fd-args.js';
import { NODE_FS } from './node-version.js';
import { relabel, type ChangeReport } from './open-file.js';
import { rmOptions } from '../engine/fs-options.js';
import { openModeOf } from '../engine/open-flags.js';
import { accessModeOf, encodeName, optionsOf, type NameEncoding } from './options.js';
import { pathString, type PathArgs, type PathLike } from './path-args.js';

/** stat/lstat options for "undefined when missing" (readJson asks its stat this way too). */
export const QUIET = { throwIfNoEntry: false } as const;
const OVERLAYFS_SUPER_MAGIC = 0x794c7630;

type Data = string | NodeJS.ArrayBufferView;
type AnyStats = Stats | BigIntStats;

/** The descriptor side, for calls that take an fd in place of a path (readFile(fd), …). */
export interface FdAccess {
  isFd(p: unknown): p is number;
  readAll(fd: number): Buffer;
  writeAll(fd: number, data: Uint8Array): void;
}

function isDefaultEncoding(encoding: NameEncoding): boolean {
  return encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8';
}

/** readdir's names in the caller's encoding. */
function namesIn(names: string[], encoding: NameEncoding): string[] | Buffer[] {
  return isDefaultEncoding(encoding) ? names : names.map((n) => encodeName(n, encoding)) as string[] | Buffer[];
}

/** readdir's Dirents, their names in the caller's encoding. */
function direntsIn(dirents: Dirent[], encoding: NameEncoding): Dirent[] {
  return isDefaultEncoding(encoding) ? dirents : dirents.map((d) => new Dirent(encodeName(d.name, encoding) as string, d.parentPath, d.mode));
}

function checkData(data: unknown): void {
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
    throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
}

function bytesOfData(data: Data, encoding: unknown): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8');
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const SYMLINK_TYPES = ['dir', 'file', 'junction', null, undefined];

/** symlink's type as Node 24 and later check it: one of a few values, anything else refused. */
function checkSymlinkChoice(type: unknown): void {
  if (!SYMLINK_TYPES.includes(type as string)) {
    throw invalidArgValue('type', type, "must be one of: 'dir', 'file', 'junction', null, undefined");
  }
}

/** A Date that names no time: Node 22 and later leave that time as it is (UTIME_OMIT). */
function isInvalidDate(t: unknown): boolean {
  return t instanceof Date && Number.isNaN(t.getTime());
}

function statsIn(st: Stats | undefined, options: unknown): AnyStats | undefined {
  return st !== undefined && wantsBigint(options) ? bigintStats(st) : st;
}

/**
 * `lightErrors` (createFs option): a missing path to stat/lstat and readlink's "not a symlink"
 * are thrown as light errors (errors.ts, lightFsError), asked of the overlay without an error.
 */
export function pathOps(ov: Overlay, paths: PathArgs, fds: FdAccess, report: ChangeReport, lightErrors: boolean) {
  function statSync(p: PathLike, opts?: { throwIfNoEntry?: boolean; bigint?: boolean }): AnyStats | undefined {
    const path = paths.path(p, 'stat');
    if (lightErrors) return statsIn(orLightENOENT(ov.stat(path, QUIET), 'stat', path, opts), opts);
    return statsIn(opts === undefined ? ov.stat(path) : ov.stat(path, { throwIfNoEntry: opts.throwIfNoEntry }), opts);
  }

  function lstatSync(p: PathLike, opts?: { throwIfNoEntry?: boolean; bigint?: boolean }): AnyStats | undefined {
    const path = paths.path(p, 'lstat');
    if (lightErrors) return statsIn(orLightENOENT(ov.lstat(path, QUIET), 'lstat', path, opts), opts);
    return statsIn(opts === undefined ? ov.lstat(path) : ov.lstat(path, { throwIfNoEntry: opts.throwIfNoEntry }), opts);
  }

  /** A quiet stat's answer, or lightErrors' ENOENT unless the caller asked throwIfNoEntry: false. */
  function orLightENOENT(st: Stats | undefined, syscall: string, path: string, opts: { throwIfNoEntry?: boolean } | undefined): Stats | undefined {
    if (st === undefined && opts?.throwIfNoEntry !== false) throw lightFsError('ENOENT', syscall, path);
    return st;
  }

  function existsSync(p: unknown): boolean {
    let path: string;
    try {
      path = paths.path(p, 'access');
    } catch {
      return false;
    }
    return ov.exists(path);
  }

  /**
   * The overlay keeps no permission model of its own (see docs/fs-adapter.md): access is
   * existence, symlinks followed — and W_OK on an overlay without an upper is EROFS, as
   * access(2) answers on a read-only mount (devices and FIFOs excepted, as there).
   */
  function accessSync(p: PathLike, mode?: number): void {
    const path = paths.path(p, 'access');
    const bits = accessModeOf(mode);
    const st = relabel(() => ov.stat(path), 'access', path);
    if ((bits & constants.W_OK) !== 0 && !ov.writable && (st.isFile() || st.isDirectory() || st.isSymbolicLink())) {
      throw fsError('EROFS', 'access', path);
    }
  }

  function readdirSync(p: PathLike, opts?: unknown): string[] | Buffer[] | Dirent[] {
    const path = paths.path(p, 'scandir');
    const o = optionsOf(opts);
    const withFileTypes = o.withFileTypes === true;
    if (o.recursive === true && NODE_FS.recursiveReaddirEntersLinks) return readdirEnteringLinks(path, withFileTypes, o.encoding);
    if (o.recursive === true) return readdirRecursive(path, withFileTypes, o.encoding);
    return withFileTypes ? direntsIn(ov.readdir(path, { withFileTypes: true }), o.encoding) : namesIn(ov.readdir(path), o.encoding);
  }

  /**
   * Recursive readdir is the overlay's (breadth-first, paths relative to `base`); a symlink to a
   * directory is never entered: Node 20 enters it in the names form only, and a loop never ends.
   */
  function readdirRecursive(base: string, withFileTypes: boolean, encoding: NameEncoding): string[] | Buffer[] | Dirent[] {
    if (withFileTypes) return direntsIn(ov.readdir(base, { withFileTypes: true, recursive: true } as { withFileTypes: true }), encoding);
    return namesIn(ov.readdir(base, { recursive: true } as { withFileTypes?: false }), encoding);
  }

  /**
   * Recursive readdir as node:fs 22 and later list it: breadth-first, each directory's entries in
   * its readdir order, and a symlink to a directory entered as a directory (its entries named
   * through the link). A link cycle ends where resolving the path would loop (ELOOP), as there.
   */
  function readdirEnteringLinks(base: string, withFileTypes: boolean, encoding: NameEncoding): string[] | Buffer[] | Dirent[] {
    const prefix = base.endsWith('/') ? base : base + '/';
    const found: Dirent[] = [];
    const names: string[] = [];
    const queue = [''];
    for (let i = 0; i < queue.length; i++) {
      const rel = queue[i];
      const dirents = rel === '' ? ov.readdir(base, { withFileTypes: true }) : ov.readdir(prefix + rel, { withFileTypes: true });
      for (const d of dirents) {
        const child = rel === '' ? d.name : `${rel}/${d.name}`;
        found.push(d);
        names.push(child);
        if (d.isDirectory() || (d.isSymbolicLink() && isDirectoryBehind(prefix + child))) queue.push(child);
      }
    }
    return withFileTypes ? direntsIn(found, encoding) : namesIn(names, encoding);
  }

  /**
   * readdir's answer for node:fs's promise form, which lists a recursive readdir its own way up to
   * Node 24 (NODE_FS.promiseReaddirStack): directories on a stack, each read when its entry is
   * met, the last one met listed next; the Dirent form enters no symlink, the names form enters
   * one to a directory where the sync form does. Otherwise the sync form's answer.
   */
  function readdirAsPromised(p: PathLike, opts?: unknown): string[] | Buffer[] | Dirent[] {
    const o = optionsOf(opts);
    if (o.recursive !== true || !NODE_FS.promiseReaddirStack) return readdirSync(p, opts);
    const base = paths.path(p, 'scandir');
    const withFileTypes = o.withFileTypes === true;
    const entersLinks = !withFileTypes && NODE_FS.recursiveReaddirEntersLinks;
    const prefix = base.endsWith('/') ? base : base + '/';
    const found: Dirent[] = [];
    const names: string[] = [];
    const stack: Array<[rel: string, dirents: Dirent[]]> = [['', ov.readdir(base, { withFileTypes: true })]];
    while (stack.length > 0) {
      const [rel, dirents] = stack.pop()!;
      for (const d of dirents) {
        const child = rel === '' ? d.name : `${rel}/${d.name}`;
        found.push(d);
        names.push(child);
        if (d.isDirectory() || (entersLinks && d.isSymbolicLink() && isDirectoryBehind(prefix + child))) {
          stack.push([child, ov.readdir(prefix + child, { withFileTypes: true })]);
        }
      }
    }
    return withFileTypes ? direntsIn(found, o.encoding) : namesIn(names, o.encoding);
  }

  /** Whether a symlink leads to a directory; a dangling or looping one does not. */
  function isDirectoryBehind(path: string): boolean {
    try {
      return ov.stat(path, QUIET)?.isDirectory() === true;
    } catch {
      return false;
    }
  }

  function readFileSync(p: PathLike | number, opts?: unknown): string | Buffer {
    const o = opts === undefined ? {} : optionsOf(opts);
    const data = fds.isFd(p) ? fds.readAll(p) : readWithFlag(paths.path(p, 'open'), o.flag);
    const encoding = o.encoding === 'buffer' ? undefined : o.encoding;
    return encoding ? data.toString(encoding) : data;
  }

  /** The overlay's readFile with node:fs's `flag`; a creating or truncating one is reported as a write. */
  function readWithFlag(path: string, flag: unknown): Buffer {
    if (flag === undefined) return ov.readFile(path) as Buffer;
    const how = openModeOf(flag);
    const existed = existsNoFollow(path);
    const changed = () => {
      if (!existed && how.create) report(path, 'rename');
      else if (existed && how.truncate) report(path, 'change');
    };
    try {
      const data = ov.readFile(path, { flag: flag as string }) as Buffer;
      changed();
      return data;
    } catch (err) {
      // A write-only flag ('w', 'a'…) opens (creating, truncating), then fails the read: EBADF.
      if (hasCode(err, 'EBADF')) changed();
      throw err;
    }
  }

  function readlinkSync(p: PathLike, opts?: unknown): string | Buffer {
    const path = paths.path(p, 'readlink');
    if (lightErrors) {
      // Any other answer (a symlink, ENOTDIR, …) is readlink's own, below.
      let st: Stats | undefined | null = null;
      try {
        st = ov.lstat(path, QUIET);
      } catch {}
      if (st === undefined) throw lightFsError('ENOENT', 'readlink', path);
      if (st !== null && !st.isSymbolicLink()) throw lightFsError('EINVAL', 'readlink', path);
    }
    const target = ov.readlink(path);
    return opts === undefined ? target : encodeName(target, optionsOf(opts).encoding);
  }

  function realpathSync(p: PathLike, opts?: unknown): string | Buffer {
    const path = paths.path(p, 'realpath');
    const real = ov.realpath(path);
    return opts === undefined ? real : encodeName(real, optionsOf(opts).encoding);
  }
  realpathSync.native = realpathSync;

  /** writeFile/appendFile: the overlay honours the flag (open(2) semantics); a number writes to that fd. */
  function writeWith(p: PathLike | number, data: Data, opts: unknown, fallback: 'w' | 'a'): void {
    checkData(data);
    const o = optionsOf(opts) as { encoding?: BufferEncoding; mode?: unknown; flag?: string };
    if (fds.isFd(p)) return fds.writeAll(p, bytesOfData(data, o.encoding));
    const path = paths.path(p, 'open');
    const mode = modeArg(o.mode, 0o666);
    const existed = existsNoFollow(path);
    const overlayOptions = { encoding: o.encoding, flag: o.flag, mode: o.mode === undefined ? undefined : mode };
    if (fallback === 'a') ov.appendFile(path, bytesOfData(data, o.encoding), overlayOptions);
    else ov.writeFile(path, bytesOfData(data, o.encoding), overlayOptions);
    report(path, existed ? 'change' : 'rename');
  }

  /** O_EXCL does not follow a final symlink: a dangling one still counts as existing. */
  function existsNoFollow(path: string): boolean {
    try {
      return ov.lstat(path, QUIET) !== undefined;
    } catch {
      return false; // the write itself reports what is wrong with the path
    }
  }

  function writeFileSync(p: PathLike | number, data: Data, opts?: unknown): void {
    writeWith(p, data, opts, 'w');
  }

  function appendFileSync(p: PathLike | number, data: Data, opts?: unknown): void {
    writeWith(p, data, opts, 'a');
  }

  function mkdirSync(p: PathLike, opts?: { recursive?: boolean; mode?: number | string } | number | string): string | undefined {
    const path = paths.path(p, 'mkdir');
    const first = ov.mkdir(path, opts);
    report(first ?? path, 'rename');
    return first;
  }

  function rmdirSync(p: PathLike, opts?: { recursive?: boolean }): void {
    const path = paths.path(p, 'rmdir');
    if (!NODE_FS.rmdirRecursive) {
      // Node 25 removed `recursive` (DEP0147): naming it at all is refused, other fields are not read.
      if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
        throw invalidArgType('options', 'of type object', opts);
      }
      if (opts?.recursive !== undefined) throw noLongerSupported('options.recursive', opts.recursive);
      ov.rmdir(path);
    } else if (rmOptions(opts, false).recursive !== true) ov.rmdir(path);
    else {
      // Node's deprecated rmdir(recursive): a directory tree only, and it must exist.
      const st = ov.lstat(path, QUIET);
      if (st === undefined) throw fsError('ENOENT', 'rmdir', path);
      if (!st.isDirectory()) throw fsError('ENOTDIR', 'rmdir', path);
      ov.rm(path, { recursive: true });
    }
    report(path, 'rename');
  }

  function rmSync(p: PathLike, opts?: { recursive?: boolean; force?: boolean }): void {
    const path = paths.path(p, 'rm');
    const existed = existsNoFollow(path);
    ov.rm(path, opts);
    if (existed) report(path, 'rename');
  }

  function unlinkSync(p: PathLike): void {
    const path = paths.path(p, 'unlink');
    ov.unlink(path);
    report(path, 'rename');
  }

  function renameSync(a: PathLike, b: PathLike): void {
    const [from, to] = paths.pair(a, b, 'rename', ['oldPath', 'newPath']);
    ov.rename(from, to);
    report(from, 'rename');
    report(to, 'rename');
  }

  function symlinkSync(target: PathLike, p: PathLike, type?: unknown): void {
    // Node 24 checks the type first, and refuses anything it does not know; before, only a string
    // was checked, after the paths (the Overlay's own rule, so it is left to ov.symlink).
    if (NODE_FS.symlinkType === 'one-of') checkSymlinkChoice(type);
    // The target is stored as given: a relative target stays relative to the link.
    const t = pathString(target, 'target');
    const path = paths.path(p, 'symlink');
    ov.symlink(t, path, NODE_FS.symlinkType === 'one-of' ? undefined : type as string);
    report(path, 'rename');
  }

  function linkSync(a: PathLike, b: PathLike): void {
    const [from, to] = paths.pair(a, b, 'link', ['existingPath', 'newPath']);
    ov.link(from, to);
    report(to, 'rename');
  }

  function truncateSync(p: PathLike, len?: number): void {
    const path = paths.path(p, 'open');
    ov.truncate(path, len);
    report(path, 'change');
  }

  function chmodSync(p: PathLike, mode: number | string): void {
    const path = paths.path(p, 'chmod');
    ov.chmod(path, mode);
    report(path, 'change');
  }

  function utimesSync(p: PathLike, atime: number | string | Date, mtime: number | string | Date): void {
    const path = paths.path(p, 'utime');
    if (NODE_FS.invalidDateKeepsTime && (isInvalidDate(atime) || isInvalidDate(mtime))) {
      // The argument errors come before the file's.
      timeArg(atime, 'atime');
      timeArg(mtime, 'mtime');
      const st = relabel(() => ov.stat(path), 'utime', path);
      ov.utimes(path, isInvalidDate(atime) ? st.atime : atime, isInvalidDate(mtime) ? st.mtime : mtime);
    } else ov.utimes(path, atime, mtime);
    report(path, 'change');
  }

  /** chown(2)'s permission rules for this process (Overlay.chown); the copy-up is metadata-only with metacopy. */
  function chownSync(p: PathLike, uid: number, gid: number): void {
    const path = paths.path(p, 'chown');
    ov.chown(path, uid, gid);
    report(path, 'change');
  }

  function lchownSync(p: PathLike, uid: number, gid: number): void {
    const path = paths.path(p, 'lchown');
    ov.lchown(path, uid, gid);
    report(path, 'change');
  }

  function lutimesSync(p: PathLike, atime: unknown, mtime: unknown): void {
    const path = paths.path(p, 'lutime');
    const [a, m] = [timeArg(atime, 'atime'), timeArg(mtime, 'mtime')];
    if (NODE_FS.invalidDateKeepsTime && (Number.isNaN(a) || Number.isNaN(m))) {
      const st = relabel(() => ov.lstat(path), 'lutime', path);
      ov.lutimes(path, Number.isNaN(a) ? st.atime : new Date(a), Number.isNaN(m) ? st.mtime : new Date(m));
    } else ov.lutimes(path, new Date(a), new Date(m));
    report(path, 'change');
  }

  /** statfs: overlayfs's magic; the layers report no capacity, so the block counts are 0. */
  function statfsSync(p: PathLike, opts?: { bigint?: boolean }) {
    const path = paths.path(p, 'statfs');
    relabel(() => ov.stat(path), 'statfs', path);
    const n = (v: number) => (opts?.bigint === true ? BigInt(v) : v);
    // Node 24 added the fragment size (f_frsize), in node:fs's field order.
    const frsize = NODE_FS.statfsFrsize ? { frsize: n(4096) } : {};
    return { type: n(OVERLAYFS_SUPER_MAGIC), bsize: n(4096), ...frsize, blocks: n(0), bfree: n(0), bavail: n(0), files: n(0), ffree: n(0) };
  }

  function opendirSync(p: PathLike, opts?: unknown): Dir {
    const path = paths.path(p, 'opendir');
    const { recursive } = checkDirOptions(opts);
    const st = relabel(() => ov.stat(path), 'opendir', path);
    if (!st.isDirectory()) throw fsError('ENOTDIR', 'opendir');
    // A recursive Dir never enters a symlink to a directory, on every Node major.
    return new Dir(path, recursive === true ? readdirRecursive(path, true, undefined) as Dirent[] : ov.readdir(path, { withFileTypes: true }));
  }

  function openAsBlob(p: PathLike, options?: { type?: string }): Promise<Blob> {
    const data = readFileSync(p) as Buffer;
    return Promise.resolve(new Blob([new Uint8Array(data)], { type: options?.type ?? '' }));
  }

  return {
    statSync, lstatSync, existsSync, accessSync, readdirSync, readdirAsPromised, readFileSync, readlinkSync, realpathSync,
    writeFileSync, appendFileSync, mkdirSync, rmdirSync, rmSync, unlinkSync, renameSync, symlinkSync,
    linkSync, truncateSync, chmodSync, utimesSync, chownSync, lchownSync, lutimesSync, statfsSync, opendirSync,
    openAsBlob,
  };
}
