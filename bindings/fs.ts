// createFs(overlay): a node:fs-shaped object over an Overlay, for the calls bundlers, resolvers and
// language servers make (enhanced-resolve's CachedInputFileSystem among them). It is a thin
// translation layer: path arguments in (fs/path-args.ts), options decoded (fs/options.ts), one
// Overlay call, the answer out — sync, callback (fs/async-forms.ts) and promise forms of the same
// function. The Overlay's own cache is the only cache; its Node-style errors pass through as they are.
import { constants } from 'node:fs';
import { invalidArgType } from './fs/arg-errors.js';
import { Dirent, Stats } from './engine/stats.js';
import { fsError } from './errors.js';
import { callbackForm, promiseForm } from './fs/async-forms.js';
import {
  accessModeOf, checkNoBigint, checkReadFlag, encodeName, optionsOf, writeModeOf, type NameEncoding,
} from './fs/options.js';
import { PathArgs, pathString, type PathLike } from './fs/path-args.js';
import type { Overlay } from './overlay.js';

export type { PathLike } from './fs/path-args.js';
export { Dirent, Stats } from './engine/stats.js';

export interface CreateFsOptions {
  /** What relative paths are relative to (default '/': the overlay has no process cwd). */
  cwd?: string;
}

type Data = string | NodeJS.ArrayBufferView;
type WriteOptions = { encoding?: BufferEncoding | null; mode?: number | string; flag?: string } | BufferEncoding | null;
type StatOpts = { throwIfNoEntry?: boolean; bigint?: false };
type NameOptions = { encoding?: NameEncoding } | NameEncoding;
type ReaddirOptions = { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null;
type MkdirOptions = { recursive?: boolean; mode?: number | string } | number | string;
type RmOptions = { recursive?: boolean; force?: boolean };
type Time = number | string | Date;

/** The synchronous half of the adapter; the callback and promise forms mirror it. */
export interface OverlayFsSync {
  statSync(path: PathLike, options?: { throwIfNoEntry?: true; bigint?: false }): Stats;
  statSync(path: PathLike, options: StatOpts): Stats | undefined;
  lstatSync(path: PathLike, options?: { throwIfNoEntry?: true; bigint?: false }): Stats;
  lstatSync(path: PathLike, options: StatOpts): Stats | undefined;
  existsSync(path: unknown): boolean;
  accessSync(path: PathLike, mode?: number): void;
  readdirSync(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer'): Buffer[];
  readdirSync(path: PathLike, options: { withFileTypes: true; encoding?: BufferEncoding | null; recursive?: boolean }): Dirent[];
  readdirSync(path: PathLike, options?: ReaddirOptions): string[];
  readFileSync(path: PathLike, options: BufferEncoding | { encoding: BufferEncoding; flag?: string }): string;
  readFileSync(path: PathLike, options?: { encoding?: null; flag?: string } | null): Buffer;
  readlinkSync(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
  readlinkSync(path: PathLike, options?: NameOptions): string;
  realpathSync: {
    (path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
    (path: PathLike, options?: NameOptions): string;
    native(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
    native(path: PathLike, options?: NameOptions): string;
  };
  writeFileSync(path: PathLike, data: Data, options?: WriteOptions): void;
  appendFileSync(path: PathLike, data: Data, options?: WriteOptions): void;
  mkdirSync(path: PathLike, options?: MkdirOptions): string | undefined;
  rmdirSync(path: PathLike, options?: { recursive?: boolean }): void;
  rmSync(path: PathLike, options?: RmOptions): void;
  unlinkSync(path: PathLike): void;
  renameSync(oldPath: PathLike, newPath: PathLike): void;
  symlinkSync(target: PathLike, path: PathLike, type?: string | null): void;
  linkSync(existingPath: PathLike, newPath: PathLike): void;
  truncateSync(path: PathLike, len?: number): void;
  chmodSync(path: PathLike, mode: number | string): void;
  utimesSync(path: PathLike, atime: Time, mtime: Time): void;
}

type Promised<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
// The callback forms take the sync form's arguments plus a trailing (err, result) callback.
type CallbackOp = (...args: any[]) => void;

export interface OverlayFsPromises {
  // The asynchronous stat has no throwIfNoEntry in node:fs: a missing entry always rejects.
  stat(path: PathLike, options?: { bigint?: false }): Promise<Stats>;
  lstat(path: PathLike, options?: { bigint?: false }): Promise<Stats>;
  access: Promised<OverlayFsSync['accessSync']>;
  readdir: Promised<OverlayFsSync['readdirSync']>;
  readFile: Promised<OverlayFsSync['readFileSync']>;
  readlink: Promised<OverlayFsSync['readlinkSync']>;
  realpath: Promised<OverlayFsSync['realpathSync']>;
  writeFile: Promised<OverlayFsSync['writeFileSync']>;
  appendFile: Promised<OverlayFsSync['appendFileSync']>;
  mkdir: Promised<OverlayFsSync['mkdirSync']>;
  rmdir: Promised<OverlayFsSync['rmdirSync']>;
  rm: Promised<OverlayFsSync['rmSync']>;
  unlink: Promised<OverlayFsSync['unlinkSync']>;
  rename: Promised<OverlayFsSync['renameSync']>;
  symlink: Promised<OverlayFsSync['symlinkSync']>;
  link: Promised<OverlayFsSync['linkSync']>;
  truncate: Promised<OverlayFsSync['truncateSync']>;
  chmod: Promised<OverlayFsSync['chmodSync']>;
  utimes: Promised<OverlayFsSync['utimesSync']>;
  constants: typeof constants;
}

export interface OverlayFs extends OverlayFsSync {
  stat: CallbackOp;
  lstat: CallbackOp;
  access: CallbackOp;
  /** Deprecated in node:fs, still used: cb(exists: boolean), never an error. */
  exists(path: unknown, cb: (exists: boolean) => void): void;
  readdir: CallbackOp;
  readFile: CallbackOp;
  readlink: CallbackOp;
  realpath: CallbackOp & { native: CallbackOp };
  writeFile: CallbackOp;
  appendFile: CallbackOp;
  mkdir: CallbackOp;
  rmdir: CallbackOp;
  rm: CallbackOp;
  unlink: CallbackOp;
  rename: CallbackOp;
  symlink: CallbackOp;
  link: CallbackOp;
  truncate: CallbackOp;
  chmod: CallbackOp;
  utimes: CallbackOp;
  promises: OverlayFsPromises;
  constants: typeof constants;
  /** The overlay this adapter forwards to. */
  readonly overlay: Overlay;
}

const QUIET = { throwIfNoEntry: false } as const;

function joinName(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function isDefaultEncoding(encoding: NameEncoding): boolean {
  return encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8';
}

function checkData(data: unknown): void {
  if (typeof data !== 'string' && !ArrayBuffer.isView(data)) {
    throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
}

export function createFs(overlay: Overlay, options: CreateFsOptions = {}): OverlayFs {
  const ov = overlay;
  const paths = new PathArgs(options.cwd ?? '/');

  // ---------------------------------------------------------------- sync forms

  function statSync(p: PathLike, opts?: StatOpts): Stats | undefined {
    const path = paths.path(p, 'stat');
    if (opts === undefined) return ov.stat(path);
    checkNoBigint(opts);
    return ov.stat(path, opts);
  }

  function lstatSync(p: PathLike, opts?: StatOpts): Stats | undefined {
    const path = paths.path(p, 'lstat');
    if (opts === undefined) return ov.lstat(path);
    checkNoBigint(opts);
    return ov.lstat(path, opts);
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

  function accessSync(p: PathLike, mode?: number): void {
    const path = paths.path(p, 'access');
    accessModeOf(mode);
    // The overlay keeps no permission model of its own: access is existence, symlinks followed.
    try {
      ov.stat(path);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (typeof e.code === 'string' && e.syscall === 'stat') throw fsError(e.code, 'access', path);
      throw err;
    }
  }

  function readdirSync(p: PathLike, opts?: unknown): string[] | Buffer[] | Dirent[] {
    const path = paths.path(p, 'scandir');
    const o = optionsOf(opts);
    const withFileTypes = o.withFileTypes === true;
    if (o.recursive === true) return readdirRecursive(path, withFileTypes, o.encoding);
    if (withFileTypes) {
      const dirents = ov.readdir(path, { withFileTypes: true });
      return isDefaultEncoding(o.encoding) ? dirents : dirents.map((d) => renamed(d, o.encoding));
    }
    const names = ov.readdir(path);
    return isDefaultEncoding(o.encoding) ? names : names.map((n) => encodeName(n, o.encoding)) as string[] | Buffer[];
  }

  function renamed(d: Dirent, encoding: NameEncoding): Dirent {
    return new Dirent(encodeName(d.name, encoding) as string, d.parentPath, d.mode);
  }

  /**
   * Recursive readdir as node:fs does it — breadth-first, paths relative to `base` — except that a
   * symlink to a directory is never entered: Node 20 enters it in the names form only (not with
   * withFileTypes), and a symlink loop then never ends.
   */
  function readdirRecursive(base: string, withFileTypes: boolean, encoding: NameEncoding): string[] | Buffer[] | Dirent[] {
    const out: (string | Buffer | Dirent)[] = [];
    const queue: string[] = [base];
    const skip = base.replace(/\/+$/, '').length + 1;
    for (let i = 0; i < queue.length; i++) {
      for (const d of ov.readdir(queue[i], { withFileTypes: true })) {
        const full = joinName(queue[i], d.name);
        if (withFileTypes) out.push(isDefaultEncoding(encoding) ? d : renamed(d, encoding));
        else out.push(encodeName(full.slice(skip), encoding));
        if (d.isDirectory()) queue.push(full);
      }
    }
    return out as string[] | Buffer[] | Dirent[];
  }

  function readFileSync(p: PathLike, opts?: unknown): string | Buffer {
    const path = paths.path(p, 'open');
    if (opts === undefined) return ov.readFile(path);
    const o = optionsOf(opts);
    checkReadFlag(o.flag);
    const encoding = o.encoding === 'buffer' ? undefined : o.encoding;
    return encoding ? ov.readFile(path, encoding) : ov.readFile(path);
  }

  function readlinkSync(p: PathLike, opts?: unknown): string | Buffer {
    const path = paths.path(p, 'readlink');
    const target = ov.readlink(path);
    return opts === undefined ? target : encodeName(target, optionsOf(opts).encoding);
  }

  function realpathSync(p: PathLike, opts?: unknown): string | Buffer {
    const path = paths.path(p, 'realpath');
    const real = ov.realpath(path);
    return opts === undefined ? real : encodeName(real, optionsOf(opts).encoding);
  }
  realpathSync.native = realpathSync;

  function writeWith(p: PathLike, data: Data, opts: unknown, fallback: 'w' | 'a'): void {
    const path = paths.path(p, 'open');
    checkData(data);
    const o = optionsOf(opts);
    const how = writeModeOf(o.flag, fallback);
    if (how.exclusive && existsNoFollow(path)) throw fsError('EEXIST', 'open', path);
    const overlayOptions = o as { encoding?: BufferEncoding; mode?: number };
    if (how.append) ov.appendFile(path, data as string | Uint8Array, overlayOptions);
    else ov.writeFile(path, data as string | Uint8Array, overlayOptions);
  }

  /** O_EXCL does not follow a final symlink: a dangling one still counts as existing. */
  function existsNoFollow(path: string): boolean {
    try {
      return ov.lstat(path, QUIET) !== undefined;
    } catch {
      return false; // the write itself reports what is wrong with the path
    }
  }

  function writeFileSync(p: PathLike, data: Data, opts?: unknown): void {
    writeWith(p, data, opts, 'w');
  }

  function appendFileSync(p: PathLike, data: Data, opts?: unknown): void {
    writeWith(p, data, opts, 'a');
  }

  function mkdirSync(p: PathLike, opts?: MkdirOptions): string | undefined {
    return ov.mkdir(paths.path(p, 'mkdir'), opts);
  }

  function rmdirSync(p: PathLike, opts?: { recursive?: boolean }): void {
    const path = paths.path(p, 'rmdir');
    if (opts?.recursive !== true) return ov.rmdir(path);
    // Node's deprecated rmdir(recursive): a directory tree only, and it must exist.
    const st = ov.lstat(path, QUIET);
    if (st === undefined) throw fsError('ENOENT', 'rmdir', path);
    if (!st.isDirectory()) throw fsError('ENOTDIR', 'rmdir', path);
    ov.rm(path, { recursive: true });
  }

  function rmSync(p: PathLike, opts?: RmOptions): void {
    ov.rm(paths.path(p, 'rm'), opts);
  }

  function unlinkSync(p: PathLike): void {
    ov.unlink(paths.path(p, 'unlink'));
  }

  function renameSync(a: PathLike, b: PathLike): void {
    const [from, to] = paths.pair(a, b, 'rename', ['oldPath', 'newPath']);
    ov.rename(from, to);
  }

  function symlinkSync(target: PathLike, p: PathLike, _type?: string | null): void {
    // The target is stored as given: a relative target stays relative to the link.
    const t = pathString(target, 'target');
    ov.symlink(t, paths.path(p, 'symlink'));
  }

  function linkSync(a: PathLike, b: PathLike): void {
    const [from, to] = paths.pair(a, b, 'link', ['existingPath', 'newPath']);
    ov.link(from, to);
  }

  function truncateSync(p: PathLike, len?: number): void {
    ov.truncate(paths.path(p, 'open'), len);
  }

  function chmodSync(p: PathLike, mode: number | string): void {
    ov.chmod(paths.path(p, 'chmod'), mode);
  }

  function utimesSync(p: PathLike, atime: Time, mtime: Time): void {
    ov.utimes(paths.path(p, 'utime'), atime, mtime);
  }

  // stat/lstat without a callback-friendly "not found": node:fs's async stat has no throwIfNoEntry.
  function statAnswer(p: PathLike, opts?: StatOpts): Stats {
    checkNoBigint(opts);
    return ov.stat(paths.path(p, 'stat'));
  }

  function lstatAnswer(p: PathLike, opts?: StatOpts): Stats {
    checkNoBigint(opts);
    return ov.lstat(paths.path(p, 'lstat'));
  }

  const sync = {
    statSync, lstatSync, existsSync, accessSync, readdirSync, readFileSync, readlinkSync, realpathSync,
    writeFileSync, appendFileSync, mkdirSync, rmdirSync, rmSync, unlinkSync, renameSync, symlinkSync,
    linkSync, truncateSync, chmodSync, utimesSync,
  };

  // One table drives both asynchronous forms, so they cannot drift apart: [sync source, how many
  // arguments come before node:fs's callback].
  const asyncSources: Record<string, [(...args: any[]) => unknown, number]> = {
    stat: [statAnswer, 2], lstat: [lstatAnswer, 2], access: [accessSync, 2], readdir: [readdirSync, 2],
    readFile: [readFileSync, 2], readlink: [readlinkSync, 2], realpath: [realpathSync, 2],
    writeFile: [writeFileSync, 3], appendFile: [appendFileSync, 3], mkdir: [mkdirSync, 2], rmdir: [rmdirSync, 2],
    rm: [rmSync, 2], unlink: [unlinkSync, 1], rename: [renameSync, 2], symlink: [symlinkSync, 3],
    link: [linkSync, 2], truncate: [truncateSync, 2], chmod: [chmodSync, 2], utimes: [utimesSync, 3],
  };
  const callbacks: Record<string, CallbackOp> = {};
  const promises: Record<string, unknown> = { constants };
  for (const [name, [fn, params]] of Object.entries(asyncSources)) {
    callbacks[name] = callbackForm(fn, params);
    promises[name] = promiseForm(fn);
  }
  (callbacks.realpath as CallbackOp & { native: CallbackOp }).native = callbacks.realpath;

  function exists(p: unknown, cb: (exists: boolean) => void): void {
    if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
    process.nextTick(cb, existsSync(p));
  }

  return {
    ...sync,
    ...callbacks,
    exists,
    promises,
    constants,
    overlay: ov,
  } as unknown as OverlayFs;
}
