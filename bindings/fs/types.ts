// The adapter's public types: node:fs's signatures for what createFs returns. Sync forms are typed
// precisely for the calls tools make most; the descriptor, stream, copy and watch calls follow
// node:fs's own types.
import type * as nodeFs from 'node:fs';
import type { constants } from 'node:fs';
import type { Dirent, Stats } from '../engine/stats.js';
import type { Overlay } from '../overlay.js';
import type { BigIntStats } from './bigint-stats.js';
import type { Dir } from './dir.js';
import type { FileHandle } from './file-handle.js';
import type { NameEncoding } from './options.js';
import type { PathLike } from './path-args.js';
import type { FSWatcher } from './watch.js';
import type { StatWatcher } from './watch-file.js';

export interface CreateFsOptions {
  /** What relative paths are relative to (default '/': the overlay has no process cwd). */
  cwd?: string;
  /**
   * @deprecated Not needed: watch()/watchFile() follow the overlay itself (Overlay.subscribe),
   * which reports its layers' changes and its own writes in overlay paths. Layers given here are
   * still listened to, as before (their changes named by layer path).
   */
  watchLayers?: readonly import('../layers/layer.js').Layer[];
  /**
   * Throw the answers a module resolver asks for by the thousand — stat/lstat of a missing path
   * (ENOENT), readlink of a non-symlink (EINVAL), readJson of a missing file — as light errors:
   * the same code, errno, syscall, path, message and `instanceof Error`, built in a few ns
   * instead of V8's ≈ 300 ns for a native Error; but not native (util.types.isNativeError and
   * Error.isError say false; structuredClone keeps the own fields only). Default false.
   */
  lightErrors?: boolean;
}

export type Data = string | NodeJS.ArrayBufferView;
export type WriteOptions = { encoding?: BufferEncoding | null; mode?: number | string; flag?: string } | BufferEncoding | null;
type StatOpts = { throwIfNoEntry?: boolean; bigint?: boolean };
type NameOptions = { encoding?: NameEncoding } | NameEncoding;
type ReaddirOptions = { encoding?: BufferEncoding | null; withFileTypes?: false; recursive?: boolean } | BufferEncoding | null;
type MkdirOptions = { recursive?: boolean; mode?: number | string } | number | string;
type RmOptions = { recursive?: boolean; force?: boolean };
export type Time = number | string | Date;

/** The synchronous half of the adapter; the callback and promise forms mirror it. */
export interface OverlayFsSync {
  statSync(path: PathLike, options: { bigint: true; throwIfNoEntry?: true }): BigIntStats;
  statSync(path: PathLike, options?: { throwIfNoEntry?: true; bigint?: false }): Stats;
  statSync(path: PathLike, options: StatOpts): Stats | undefined;
  lstatSync(path: PathLike, options?: { throwIfNoEntry?: true; bigint?: false }): Stats;
  lstatSync(path: PathLike, options: StatOpts): Stats | undefined;
  existsSync(path: unknown): boolean;
  accessSync(path: PathLike, mode?: number): void;
  readdirSync(path: PathLike, options: { encoding: 'buffer'; withFileTypes?: false; recursive?: boolean } | 'buffer'): Buffer[];
  readdirSync(path: PathLike, options: { withFileTypes: true; encoding?: BufferEncoding | null; recursive?: boolean }): Dirent[];
  readdirSync(path: PathLike, options?: ReaddirOptions): string[];
  readFileSync(path: PathLike | number, options: BufferEncoding | { encoding: BufferEncoding; flag?: string }): string;
  readFileSync(path: PathLike | number, options?: { encoding?: null; flag?: string } | null): Buffer;
  /**
   * Not in node:fs: enhanced-resolve's optional method. A file's JSON, parsed once per content version
   * (checked by a stat); the value is shared between calls, treat it as read-only.
   */
  readJsonSync(path: PathLike): unknown;
  readlinkSync(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
  readlinkSync(path: PathLike, options?: NameOptions): string;
  realpathSync: {
    (path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
    (path: PathLike, options?: NameOptions): string;
    native(path: PathLike, options: { encoding: 'buffer' } | 'buffer'): Buffer;
    native(path: PathLike, options?: NameOptions): string;
  };
  writeFileSync(path: PathLike | number, data: Data, options?: WriteOptions): void;
  appendFileSync(path: PathLike | number, data: Data, options?: WriteOptions): void;
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
  chownSync(path: PathLike, uid: number, gid: number): void;
  lchownSync(path: PathLike, uid: number, gid: number): void;
  lutimesSync(path: PathLike, atime: Time, mtime: Time): void;
  statfsSync(path: PathLike, options?: { bigint?: boolean }): nodeFs.StatsFs;
  opendirSync(path: PathLike, options?: nodeFs.OpenDirOptions): Dir;
  copyFileSync(src: PathLike, dest: PathLike, mode?: number): void;
  cpSync(src: PathLike, dest: PathLike, options?: nodeFs.CopySyncOptions): void;
  mkdtempSync(prefix: string, options?: unknown): string;
  openSync(path: PathLike, flags?: nodeFs.OpenMode, mode?: nodeFs.Mode | null): number;
  closeSync(fd: number): void;
  readSync(fd: number, buffer: NodeJS.ArrayBufferView, offset?: number | nodeFs.ReadSyncOptions, length?: number, position?: nodeFs.ReadPosition | null): number;
  writeSync(fd: number, buffer: NodeJS.ArrayBufferView | string, offset?: number | null, length?: number | BufferEncoding | null, position?: number | null): number;
  readvSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position?: number | null): number;
  writevSync(fd: number, buffers: readonly NodeJS.ArrayBufferView[], position?: number | null): number;
  fstatSync(fd: number, options?: { bigint?: boolean }): Stats;
  ftruncateSync(fd: number, len?: number): void;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  futimesSync(fd: number, atime: Time, mtime: Time): void;
  fchmodSync(fd: number, mode: nodeFs.Mode): void;
  fchownSync(fd: number, uid: number, gid: number): void;
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
  writeFile(path: PathLike, data: Data | Iterable<Data> | AsyncIterable<Data>, options?: WriteOptions): Promise<void>;
  appendFile(path: PathLike, data: Data | Iterable<Data> | AsyncIterable<Data>, options?: WriteOptions): Promise<void>;
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
  chown: Promised<OverlayFsSync['chownSync']>;
  lchown: Promised<OverlayFsSync['lchownSync']>;
  lutimes: Promised<OverlayFsSync['lutimesSync']>;
  statfs: Promised<OverlayFsSync['statfsSync']>;
  opendir: Promised<OverlayFsSync['opendirSync']>;
  copyFile: Promised<OverlayFsSync['copyFileSync']>;
  cp(src: PathLike, dest: PathLike, options?: nodeFs.CopyOptions): Promise<void>;
  mkdtemp: Promised<OverlayFsSync['mkdtempSync']>;
  open(path: PathLike, flags?: nodeFs.OpenMode, mode?: nodeFs.Mode): Promise<FileHandle>;
  /** As on Linux's node:fs: lchmod is not implemented (rejects ERR_METHOD_NOT_IMPLEMENTED). */
  lchmod(path: PathLike, mode: nodeFs.Mode): Promise<void>;
  watch(path: PathLike, options?: { recursive?: boolean; encoding?: BufferEncoding | 'buffer'; signal?: AbortSignal }): AsyncIterable<{ eventType: 'rename' | 'change'; filename: string | Buffer }>;
  constants: typeof constants;
  /** Node 22 and later only; not implemented: the first step rejects ERR_METHOD_NOT_IMPLEMENTED (fs/newer-functions.ts). */
  glob?(pattern: string | string[], options?: unknown): AsyncIterable<never>;
  /** Node 24 and later only: a temporary directory that removes itself (rm -rf) when disposed. */
  mkdtempDisposable?(prefix: PathLike, options?: unknown): Promise<DisposableTempDir & AsyncDisposable>;
}

/** What mkdtempDisposableSync/promises.mkdtempDisposable give: the new directory and its removal. */
export interface DisposableTempDir {
  path: string;
  remove(): void | Promise<void>;
}

export interface OverlayFs extends OverlayFsSync {
  stat: CallbackOp;
  lstat: CallbackOp;
  access: CallbackOp;
  /** Deprecated in node:fs, still used: cb(exists: boolean), never an error. */
  exists(path: unknown, cb: (exists: boolean) => void): void;
  readdir: CallbackOp;
  readFile: CallbackOp;
  /** readJsonSync's callback form (enhanced-resolve's optional `readJson`). */
  readJson(path: PathLike, cb: (err: Error | null, value?: unknown) => void): void;
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
  chown: CallbackOp;
  lchown: CallbackOp;
  lutimes: CallbackOp;
  statfs: CallbackOp;
  opendir: CallbackOp;
  copyFile: CallbackOp;
  cp: CallbackOp;
  mkdtemp: CallbackOp;
  open: CallbackOp;
  close: CallbackOp;
  read: CallbackOp;
  write: CallbackOp;
  readv: CallbackOp;
  writev: CallbackOp;
  fstat: CallbackOp;
  ftruncate: CallbackOp;
  fsync: CallbackOp;
  fdatasync: CallbackOp;
  futimes: CallbackOp;
  fchmod: CallbackOp;
  fchown: CallbackOp;
  openAsBlob(path: PathLike, options?: { type?: string }): Promise<Blob>;
  /** Node 26 and later only. */
  openAsBlobSync?(path: PathLike, options?: { type?: string }): Blob;
  /** Node 22 and later only; not implemented: throws ERR_METHOD_NOT_IMPLEMENTED (fs/newer-functions.ts). */
  globSync?(pattern: string | string[], options?: unknown): never;
  /** Node 22 and later only; not implemented: calls back with ERR_METHOD_NOT_IMPLEMENTED. */
  glob?(pattern: string | string[], options: unknown, cb?: (err: Error) => void): void;
  /** Node 24 and later only: a temporary directory that removes itself (rm -rf) when disposed. */
  mkdtempDisposableSync?(prefix: PathLike, options?: unknown): DisposableTempDir & Disposable;
  createReadStream(path: PathLike | null, options?: BufferEncoding | Record<string, unknown>): nodeFs.ReadStream;
  createWriteStream(path: PathLike | null, options?: BufferEncoding | Record<string, unknown>): nodeFs.WriteStream;
  Stats: typeof Stats;
  Dirent: typeof Dirent;
  watch(path: PathLike, options?: unknown, listener?: (eventType: string, filename: string | Buffer) => void): FSWatcher;
  watchFile(path: PathLike, options: unknown, listener?: (curr: Stats, prev: Stats) => void): StatWatcher;
  unwatchFile(path: PathLike, listener?: (curr: Stats, prev: Stats) => void): void;
  promises: OverlayFsPromises;
  /** The overlay this adapter forwards to. */
  readonly overlay: Overlay;
}

