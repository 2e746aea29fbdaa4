// File descriptors: numbers naming OpenFiles, with node:fs's descriptor calls in their sync and
// callback forms. Numbers start far above any real descriptor, so a client that tries several
// file systems with one fd (unionfs) never mistakes a real descriptor for ours, and are never
// reused, so a stale number is EBADF rather than someone else's file.
import { fsError } from '../errors.js';
import type { Stats } from '../engine/stats.js';
import type { Overlay } from '../overlay.js';
import { invalidArgType } from './arg-errors.js';
import { NODE_FS } from './node-version.js';
import { bigintStats } from './bigint-stats.js';
import {
  buffersOf, fdOf, lenOf, modeArg, readArgsOf, timeArg, writeArgsOf, type ReadArgs,
} from './fd-args.js';
import { OpenFile, relabel, type FileContext } from './open-file.js';
import { openModeOf } from '../engine/open-flags.js';
import type { PathArgs } from './path-args.js';

const FIRST_FD = 0x30000000;
const DEFAULT_READ_BUFFER = 16384;

export class FdTable {
  private readonly open = new Map<number, OpenFile>();
  private next = FIRST_FD;

  add(file: OpenFile): number {
    const fd = this.next++;
    this.open.set(fd, file);
    return fd;
  }

  /** The open file behind a valid fd argument; EBADF names the caller's syscall. */
  get(fd: unknown, syscall: string): OpenFile {
    const file = this.open.get(fdOf(fd));
    if (file === undefined) throw fsError('EBADF', syscall);
    return file;
  }

  remove(fd: unknown, syscall: string): OpenFile {
    const file = this.get(fd, syscall);
    this.open.delete(fd as number);
    file.close();
    return file;
  }

  has(fd: unknown): boolean {
    return typeof fd === 'number' && this.open.has(fd);
  }
}

type Cb = (err: NodeJS.ErrnoException | null, ...results: unknown[]) => void;

function callbackOf(cb: unknown): Cb {
  if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
  return cb as Cb;
}

/** Run `work` now, answer on a later tick: argument errors throw, fs errors go to the callback. */
function answer(cb: Cb, work: () => unknown[]): void {
  let results: unknown[];
  try {
    results = work();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw err;
    process.nextTick(cb, err);
    return;
  }
  process.nextTick(cb, null, ...results);
}

export function descriptorOps(ov: Overlay, paths: PathArgs, table: FdTable, ctx: FileContext) {
  const report = ctx.report;
  function openSync(p: unknown, flags?: unknown, mode?: unknown): number {
    const path = paths.path(p, 'open');
    const how = openModeOf(flags);
    const createMode = modeArg(mode, 0o666);
    return table.add(OpenFile.open(ov, path, how, createMode, ctx));
  }

  function closeSync(fd: unknown): void {
    table.remove(fd, 'close');
  }

  function readSync(fd: unknown, buffer: unknown, offsetOrOptions?: unknown, length?: unknown, position?: unknown): number {
    const file = table.get(fdOf(fd), 'read');
    const a = readArgsOf(buffer, offsetOrOptions, length, position, arguments.length <= 3);
    return a.length === 0 ? 0 : file.read(a.buffer, a.offset, a.length, a.position);
  }

  function writeSync(fd: unknown, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number {
    const file = table.get(fdOf(fd), 'write');
    const a = writeArgsOf(buffer, offset, length, position);
    return file.write(a.bytes, a.position);
  }

  function readvSync(fd: unknown, buffers: unknown, position?: unknown): number {
    const file = table.get(fdOf(fd), 'read');
    let total = 0;
    let at = typeof position === 'number' && position >= 0 ? position : null;
    for (const b of buffersOf(buffers)) {
      const n = file.read(b, 0, b.byteLength, at);
      total += n;
      if (at !== null) at += n;
      if (n < b.byteLength) break;
    }
    return total;
  }

  function writevSync(fd: unknown, buffers: unknown, position?: unknown): number {
    const file = table.get(fdOf(fd), 'write');
    const list = buffersOf(buffers);
    const bytes = Buffer.concat(list.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    return file.write(bytes, typeof position === 'number' && position >= 0 ? position : null);
  }

  function fstatSync(fd: unknown, options?: { bigint?: boolean }): Stats | ReturnType<typeof bigintStats> {
    const st = table.get(fdOf(fd), 'fstat').stat();
    return options?.bigint === true ? bigintStats(st) : st;
  }

  function ftruncateSync(fd: unknown, len?: unknown): void {
    const file = table.get(fdOf(fd), 'ftruncate');
    file.truncate(lenOf(len));
  }

  // The overlay is synchronous and keeps nothing in flight: there is nothing to flush.
  function fsyncSync(fd: unknown): void {
    table.get(fdOf(fd), 'fsync');
  }

  function fdatasyncSync(fd: unknown): void {
    table.get(fdOf(fd), 'fdatasync');
  }

  function futimesSync(fd: unknown, atime: unknown, mtime: unknown): void {
    const file = table.get(fdOf(fd), 'futime');
    let a = timeArg(atime, 'atime');
    let m = timeArg(mtime, 'mtime');
    if (NODE_FS.invalidDateKeepsTime && (Number.isNaN(a) || Number.isNaN(m))) {
      // An invalid Date leaves that time as it is (Node 22 and later).
      const st = relabel(() => ov.stat(file.path), 'futime');
      if (Number.isNaN(a)) a = st.atimeMs;
      if (Number.isNaN(m)) m = st.mtimeMs;
    }
    relabel(() => ov.utimes(file.path, a / 1000, m / 1000), 'futime');
    report(file.path, 'change');
  }

  function fchmodSync(fd: unknown, mode: unknown): void {
    const file = table.get(fdOf(fd), 'fchmod');
    const bits = modeArg(mode, NaN);
    relabel(() => ov.chmod(file.path, bits), 'fchmod');
    report(file.path, 'change');
  }

  const sync = {
    openSync, closeSync, readSync, writeSync, readvSync, writevSync, fstatSync, ftruncateSync, fsyncSync,
    fdatasyncSync, futimesSync, fchmodSync,
  };

  // ------------------------------------------------------------- callback forms

  function open(p: unknown, flags?: unknown, mode?: unknown, cb?: unknown): void {
    if (typeof flags === 'function') [cb, flags, mode] = [flags, undefined, undefined];
    else if (typeof mode === 'function') [cb, mode] = [mode, undefined];
    const done = callbackOf(cb);
    answer(done, () => [openSync(p, flags, mode)]);
  }

  function read(fd: unknown, ...rest: unknown[]): void {
    const done = callbackOf(rest[rest.length - 1]);
    answer(done, () => {
      const file = table.get(fdOf(fd), 'read');
      const a = callbackReadArgs(rest.slice(0, -1));
      const n = a.length === 0 ? 0 : file.read(a.buffer, a.offset, a.length, a.position);
      return [n, a.buffer];
    });
  }

  function write(fd: unknown, buffer: unknown, ...rest: unknown[]): void {
    const done = callbackOf(rest[rest.length - 1]);
    const [offset, length, position] = rest.slice(0, -1);
    answer(done, () => {
      const file = table.get(fdOf(fd), 'write');
      const a = writeArgsOf(buffer, offset, length, position);
      return [file.write(a.bytes, a.position), a.source];
    });
  }

  function vector(sync: (fd: unknown, b: unknown, p?: unknown) => number) {
    return (fd: unknown, buffers: unknown, position?: unknown, cb?: unknown): void => {
      if (typeof position === 'function') [cb, position] = [position, undefined];
      const done = callbackOf(cb);
      answer(done, () => [sync(fd, buffers, position), buffers]);
    };
  }

  function simple(sync: (...args: any[]) => unknown, params: number) {
    return (...args: unknown[]): void => {
      const done = callbackOf(args[args.length - 1]);
      const given = args.slice(0, Math.min(args.length - 1, params));
      answer(done, () => {
        const r = sync(...given);
        return r === undefined ? [] : [r];
      });
    };
  }

  const callbacks = {
    open, read, write, readv: vector(readvSync), writev: vector(writevSync),
    close: simple(closeSync, 1), fstat: simple(fstatSync, 2), ftruncate: simple(ftruncateSync, 2),
    fsync: simple(fsyncSync, 1), fdatasync: simple(fdatasyncSync, 1), futimes: simple(futimesSync, 3),
    fchmod: simple(fchmodSync, 2),
  };
  return { sync, callbacks };
}

/** fs.read's forms: (buffer, offset, length, position), (buffer, options), (options), (). */
function callbackReadArgs(args: unknown[]): ReadArgs {
  if (args.length >= 4) return readArgsOf(args[0], args[1], args[2], args[3], false);
  if (args.length === 2) return readArgsOf(args[0], args[1] ?? {}, undefined, undefined, true);
  if (args.length === 1 && ArrayBuffer.isView(args[0])) return readArgsOf(args[0], {}, undefined, undefined, true);
  const options = (args[0] ?? {}) as { buffer?: unknown };
  return readArgsOf(options.buffer ?? Buffer.alloc(DEFAULT_READ_BUFFER), options, undefined, undefined, true);
}
