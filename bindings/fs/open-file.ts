// An open file over the Overlay, which has no open-file objects of its own: the descriptor names
// the path it was opened at, keeps a position, and turns each read or write into whole-file
// Overlay calls. A positional write is a read-modify-write (a write at the end is an append),
// O(file size). Reads keep the file's bytes while nothing says they changed (see content()), so
// a stream reading a file chunk by chunk copies it once, not once per chunk. The fd table,
// FileHandle, streams and the node:vfs provider share this.
import { fsError, hasCode } from '../errors.js';
import type { Stats } from '../engine/stats.js';
import type { Overlay } from '../overlay.js';
import type { OpenMode } from './open-flags.js';

/** The descriptor's own changes, for watch(): path and node:fs event type. */
export type ChangeReport = (path: string, eventType: 'rename' | 'change') => void;

/** What an open file needs from its adapter: where to report writes, and how many it has made. */
export interface FileContext {
  report: ChangeReport;
  /** Increases with every write the adapter makes (any path, any descriptor). */
  writes(): number;
}

const EMPTY = new Uint8Array(0);

export class OpenFile {
  position = 0;
  closed = false;
  /** The bytes last read, valid while `writes` and `signature` are unchanged. */
  private cached: { data: Uint8Array; writes: number; signature: string } | undefined;
  /** The directory this descriptor was opened on, if it is one (reads give EISDIR). */
  readonly isDirectory: boolean;

  private constructor(
    private readonly ov: Overlay,
    readonly path: string,
    readonly mode: OpenMode,
    isDirectory: boolean,
    private readonly ctx: FileContext,
  ) {
    this.isDirectory = isDirectory;
  }

  /**
   * open(2) over the overlay, in the kernel's order: the name's existence (ENOENT, EEXIST with
   * O_EXCL, ELOOP with O_NOFOLLOW), directories (EISDIR for writing), then EROFS.
   */
  static open(ov: Overlay, path: string, mode: OpenMode, createMode: number, ctx: FileContext): OpenFile {
    const fail = (code: string) => fsError(code, 'open', path);
    const link = relabel(() => ov.lstat(path, { throwIfNoEntry: false }), 'open', path);
    if (link !== undefined && mode.exclusive && mode.create) throw fail('EEXIST');
    if (link !== undefined && link.isSymbolicLink() && mode.noFollow) throw fail('ELOOP');
    let st = relabel(() => ov.stat(path, { throwIfNoEntry: false }), 'open', path);
    if (st === undefined && !mode.create) throw fail('ENOENT');
    if (st !== undefined && mode.directory && !st.isDirectory()) throw fail('ENOTDIR');
    if (st !== undefined && st.isDirectory() && mode.writable) throw fail('EISDIR');
    if ((mode.writable || st === undefined) && !ov.writable) throw fail('EROFS');
    if (st === undefined) {
      // O_CREAT: an empty file with the asked mode (a dangling symlink's target is created).
      relabel(() => ov.writeFile(path, EMPTY, { mode: createMode }), 'open', path);
      ctx.report(path, 'rename');
      st = ov.stat(path);
    } else if (mode.truncate && mode.writable && st.isFile()) {
      relabel(() => ov.truncate(path, 0), 'open', path);
      ctx.report(path, 'change');
    }
    return new OpenFile(ov, path, mode, st.isDirectory(), ctx);
  }

  /** Copy up to `length` bytes at `position` (null: the descriptor's position, which advances). */
  read(buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null): number {
    if (!this.mode.readable) throw fsError('EBADF', 'read');
    if (this.isDirectory) throw fsError('EISDIR', 'read');
    const data = this.content('read');
    const at = position ?? this.position;
    const n = Math.max(0, Math.min(length, data.length - at));
    if (n > 0) new Uint8Array(buffer.buffer, buffer.byteOffset + offset, n).set(data.subarray(at, at + n));
    if (position === null) this.position = at + n;
    return n;
  }

  /** The whole file from the descriptor's position on (readFile on a descriptor), position at the end. */
  readRest(): Buffer {
    if (!this.mode.readable) throw fsError('EBADF', 'read');
    if (this.isDirectory) throw fsError('EISDIR', 'read');
    const data = this.content('read');
    const at = Math.min(this.position, data.length);
    this.position = data.length;
    return Buffer.from(data.buffer, data.byteOffset + at, data.length - at);
  }

  /** Write `bytes` at `position` (null: the descriptor's position); O_APPEND always writes at the end. */
  write(bytes: Uint8Array, position: number | null): number {
    if (!this.mode.writable) throw fsError('EBADF', 'write');
    const size = this.size('write');
    const at = this.mode.append ? size : position ?? this.position;
    if (bytes.length > 0) {
      if (at === size) relabel(() => this.ov.appendFile(this.path, bytes), 'write');
      else relabel(() => this.ov.writeFile(this.path, spliced(this.content('write'), at, bytes)), 'write');
      this.ctx.report(this.path, 'change');
    }
    if (position === null || this.mode.append) this.position = at + bytes.length;
    return bytes.length;
  }

  truncate(len: number): void {
    if (!this.mode.writable) throw fsError('EINVAL', 'ftruncate');
    relabel(() => this.ov.truncate(this.path, len), 'ftruncate');
    this.ctx.report(this.path, 'change');
  }

  stat(): Stats {
    return relabel(() => this.ov.stat(this.path), 'fstat');
  }

  private size(syscall: string): number {
    return relabel(() => this.ov.stat(this.path), syscall).size;
  }

  /**
   * The file's bytes. Kept between calls while no write was made through the adapter and the
   * object's stat signature (inode, size, mtime, ctime) is the same, which a change made
   * underneath alters — except a same-size rewrite within the same millisecond of a layer clock
   * that has no finer resolution (docs/fs-adapter.md says so).
   */
  private content(syscall: string): Uint8Array {
    const st = relabel(() => this.ov.stat(this.path), syscall);
    const signature = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const writes = this.ctx.writes();
    const c = this.cached;
    if (c !== undefined && c.writes === writes && c.signature === signature) return c.data;
    const data = relabel(() => this.ov.readFile(this.path) as Buffer, syscall);
    this.cached = { data, writes, signature };
    return data;
  }

  close(): void {
    this.closed = true;
    this.cached = undefined;
  }
}

/** The file's bytes with `bytes` written at `at` (a hole before it reads as zeros). */
function spliced(old: Uint8Array, at: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(old.length, at + bytes.length));
  out.set(old.subarray(0, Math.min(old.length, out.length)));
  out.set(bytes, at);
  return out;
}

/**
 * The overlay's errors name the syscall it ran (open, stat); a descriptor call reports its own,
 * as node:fs does, and with no path when it is a descriptor call.
 */
export function relabel<R>(op: () => R, syscall: string, path?: string): R {
  try {
    return op();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (typeof e?.code === 'string' && typeof e.syscall === 'string' && !hasCode(err, 'ERR_FS_EISDIR')) {
      throw fsError(e.code, syscall, path);
    }
    throw err;
  }
}
