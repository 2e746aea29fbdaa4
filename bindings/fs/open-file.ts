// An open file over the Overlay: a descriptor's position and mode around the overlay's open file
// object (Overlay.openFile), which keeps reaching the same object after the path it was opened
// at is renamed or unlinked, as a node:fs descriptor does. Reads and writes go to that object at
// their positions and cost the bytes they move: a write stream of n chunks costs its bytes, not
// n times the file. Directories and special files have no object: their reads and writes fail
// as node:fs's do. The fd table, FileHandle, streams and the node:vfs provider share this.
import { fsError, hasCode } from '../errors.js';
import type { OpenObject } from '../engine/open-object.js';
import type { Stats } from '../engine/stats.js';
import type { Overlay } from '../overlay.js';
import type { OpenMode } from '../engine/open-flags.js';

/** The descriptor's own changes, for watch(): path and node:fs event type. */
export type ChangeReport = (path: string, eventType: 'rename' | 'change') => void;

/** What an open file needs from its adapter: where to report writes, and how many it has made. */
export interface FileContext {
  report: ChangeReport;
  /** Increases with every write the adapter makes (any path, any descriptor). */
  writes(): number;
}

export class OpenFile {
  position = 0;
  closed = false;
  /** The directory this descriptor was opened on, if it is one (reads give EISDIR). */
  readonly isDirectory: boolean;

  private constructor(
    private readonly ov: Overlay,
    readonly path: string,
    readonly mode: OpenMode,
    isDirectory: boolean,
    private readonly ctx: FileContext,
    /** The file object; undefined for a directory or a special file. */
    private readonly object: OpenObject | undefined,
  ) {
    this.isDirectory = isDirectory;
  }

  /** open(2) over the overlay (Overlay.openFile with the flags); creating or truncating is reported. */
  static open(ov: Overlay, path: string, mode: OpenMode, createMode: number, ctx: FileContext): OpenFile {
    const existed = !mode.create || existsFollowing(ov, path);
    const opened = relabel(() => ov.openFile(path, mode.bits, createMode), 'open', path);
    if (!existed) ctx.report(path, 'rename');
    else if (mode.truncate && opened.object !== undefined) ctx.report(path, 'change');
    return new OpenFile(ov, path, mode, opened.isDirectory, ctx, opened.object);
  }

  /** Copy up to `length` bytes at `position` (null: the descriptor's position, which advances). */
  read(buffer: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null): number {
    if (!this.mode.readable) throw fsError('EBADF', 'read');
    if (this.isDirectory) throw fsError('EISDIR', 'read');
    const at = position ?? this.position;
    const object = this.object;
    const n = object === undefined ? 0
      : relabel(() => object.read(new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length), at), 'read');
    if (position === null) this.position = at + n;
    return n;
  }

  /** The whole file from the descriptor's position on (readFile on a descriptor), position at the end. */
  readRest(): Buffer {
    if (!this.mode.readable) throw fsError('EBADF', 'read');
    if (this.isDirectory) throw fsError('EISDIR', 'read');
    const object = this.object;
    if (object === undefined) return Buffer.alloc(0);
    const at = this.position;
    const out = Buffer.alloc(Math.max(0, relabel(() => object.stat(), 'read').size - at));
    const n = relabel(() => object.read(out, at), 'read');
    this.position = at + n;
    return out.subarray(0, n);
  }

  /** Write `bytes` at `position` (null: the descriptor's position); O_APPEND always writes at the end. */
  write(bytes: Uint8Array, position: number | null): number {
    if (!this.mode.writable) throw fsError('EBADF', 'write');
    const object = this.object;
    if (object === undefined) throw fsError('EINVAL', 'write');
    let end: number;
    if (this.mode.append) {
      if (bytes.length > 0) relabel(() => object.append(bytes), 'write');
      end = relabel(() => object.stat(), 'write').size;
    } else {
      const at = position ?? this.position;
      if (bytes.length > 0) relabel(() => object.write(bytes, at), 'write');
      end = at + bytes.length;
    }
    if (bytes.length > 0) this.ctx.report(this.path, 'change');
    if (position === null || this.mode.append) this.position = end;
    return bytes.length;
  }

  truncate(len: number): void {
    if (!this.mode.writable) throw fsError('EINVAL', 'ftruncate');
    const object = this.object;
    if (object === undefined) throw fsError('EINVAL', 'ftruncate');
    relabel(() => object.truncate(len), 'ftruncate');
    this.ctx.report(this.path, 'change');
  }

  stat(): Stats {
    const object = this.object;
    return object === undefined ? relabel(() => this.ov.stat(this.path), 'fstat') : relabel(() => object.stat(), 'fstat');
  }

  close(): void {
    this.closed = true;
    this.object?.close();
  }
}

/**
 * The overlay's errors name the syscall it ran (open, stat); a descriptor call reports its own,
 * as node:fs does, and with no path when it is a descriptor call.
 */
/** Whether `path` names something, symlinks followed (a dangling one's target is created); errors are open's to report. */
function existsFollowing(ov: Overlay, path: string): boolean {
  try {
    return ov.stat(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

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
