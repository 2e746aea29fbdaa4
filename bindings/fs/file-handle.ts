// fs.promises' FileHandle over the adapter's descriptors: every method is the descriptor call of
// the same name (fds.ts), answered as a promise; close() frees the descriptor and emits 'close'.
import { EventEmitter } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import type { ReadStream, WriteStream } from 'node:fs';
import { fsError } from '../errors.js';
import type { Stats } from '../engine/stats.js';
import type { BigIntStats } from './bigint-stats.js';
import { isBufferLike } from './fd-args.js';
import { optionsOf } from './options.js';

/** The descriptor calls a FileHandle needs (the sync forms of fds.ts, and the streams). */
export interface HandleOps {
  closeSync(fd: number): void;
  readSync(fd: number, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number;
  writeSync(fd: number, buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): number;
  readvSync(fd: number, buffers: unknown, position?: unknown): number;
  writevSync(fd: number, buffers: unknown, position?: unknown): number;
  fstatSync(fd: number, options?: { bigint?: boolean }): Stats | BigIntStats;
  ftruncateSync(fd: number, len?: unknown): void;
  fsyncSync(fd: number): void;
  fdatasyncSync(fd: number): void;
  futimesSync(fd: number, atime: unknown, mtime: unknown): void;
  fchmodSync(fd: number, mode: unknown): void;
  fchownSync(fd: number, uid: unknown, gid: unknown): void;
  readFd(fd: number): Buffer;
  writeAllFd(fd: number, data: Uint8Array): void;
  createReadStream(path: unknown, options?: Record<string, unknown>): ReadStream;
  createWriteStream(path: unknown, options?: Record<string, unknown>): WriteStream;
}

const CLOSED = -1;

export class FileHandle extends EventEmitter {
  #fd: number;

  constructor(private readonly ops: HandleOps, fd: number) {
    super();
    this.#fd = fd;
  }

  get fd(): number {
    return this.#fd;
  }

  private live(syscall: string): number {
    if (this.#fd === CLOSED) throw fsError('EBADF', syscall);
    return this.#fd;
  }

  async read(buffer?: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesRead: number; buffer: NodeJS.ArrayBufferView }> {
    const fd = this.live('read');
    let buf = buffer;
    if (!isBufferLike(buffer)) {
      const o = (buffer ?? {}) as { buffer?: unknown; offset?: unknown; length?: unknown; position?: unknown };
      buf = o.buffer ?? Buffer.alloc(16384);
      return { bytesRead: this.ops.readSync(fd, buf, { offset: o.offset, length: o.length, position: o.position }), buffer: buf as NodeJS.ArrayBufferView };
    }
    if (typeof offset === 'object' && offset !== null) return { bytesRead: this.ops.readSync(fd, buf, offset), buffer: buf as NodeJS.ArrayBufferView };
    const bytesRead = this.ops.readSync(fd, buf, offset ?? 0, length ?? (buf as NodeJS.ArrayBufferView).byteLength - ((offset as number) ?? 0), position ?? null);
    return { bytesRead, buffer: buf as NodeJS.ArrayBufferView };
  }

  async write(buffer: unknown, offset?: unknown, length?: unknown, position?: unknown): Promise<{ bytesWritten: number; buffer: unknown }> {
    const fd = this.live('write');
    return { bytesWritten: this.ops.writeSync(fd, buffer, offset, length, position), buffer };
  }

  async readv(buffers: unknown, position?: unknown): Promise<{ bytesRead: number; buffers: unknown }> {
    return { bytesRead: this.ops.readvSync(this.live('read'), buffers, position), buffers };
  }

  async writev(buffers: unknown, position?: unknown): Promise<{ bytesWritten: number; buffers: unknown }> {
    return { bytesWritten: this.ops.writevSync(this.live('write'), buffers, position), buffers };
  }

  async readFile(options: BufferEncoding | { encoding: BufferEncoding }): Promise<string>;
  async readFile(options?: unknown): Promise<Buffer>;
  async readFile(options?: unknown): Promise<Buffer | string> {
    const o = optionsOf(options);
    const data = this.ops.readFd(this.live('read'));
    return typeof o.encoding === 'string' && o.encoding !== 'buffer' ? data.toString(o.encoding) : data;
  }

  async writeFile(data: unknown, options?: unknown): Promise<void> {
    const fd = this.live('write');
    this.ops.writeAllFd(fd, await bytesOf(data, options));
  }

  async appendFile(data: unknown, options?: unknown): Promise<void> {
    return this.writeFile(data, options);
  }

  async stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats> {
    return this.ops.fstatSync(this.live('fstat'), options);
  }

  async truncate(len?: number): Promise<void> {
    this.ops.ftruncateSync(this.live('ftruncate'), len);
  }

  async sync(): Promise<void> {
    this.ops.fsyncSync(this.live('fsync'));
  }

  async datasync(): Promise<void> {
    this.ops.fdatasyncSync(this.live('fdatasync'));
  }

  async utimes(atime: unknown, mtime: unknown): Promise<void> {
    this.ops.futimesSync(this.live('futime'), atime, mtime);
  }

  async chmod(mode: unknown): Promise<void> {
    this.ops.fchmodSync(this.live('fchmod'), mode);
  }

  async chown(uid: unknown, gid: unknown): Promise<void> {
    this.ops.fchownSync(this.live('fchown'), uid, gid);
  }

  createReadStream(options?: Record<string, unknown>): ReadStream {
    return this.ops.createReadStream(null, { ...options, fd: this.live('read') });
  }

  createWriteStream(options?: Record<string, unknown>): WriteStream {
    return this.ops.createWriteStream(null, { ...options, fd: this.live('write') });
  }

  readLines(options?: Record<string, unknown>): Interface {
    return createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  async close(): Promise<void> {
    if (this.#fd === CLOSED) return;
    const fd = this.#fd;
    this.#fd = CLOSED;
    this.ops.closeSync(fd);
    this.emit('close');
  }

  async [Symbol.for('nodejs.asyncDispose')](): Promise<void> {
    return this.close();
  }
}

/** promises.writeFile/FileHandle.writeFile data: a string, bytes, or an (async) iterable of them. */
export async function bytesOf(data: unknown, options?: unknown): Promise<Uint8Array> {
  const encoding = optionsOf(options).encoding;
  const enc = typeof encoding === 'string' && encoding !== 'buffer' ? encoding : 'utf8';
  if (typeof data === 'string') return Buffer.from(data, enc);
  if (isBufferLike(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data !== null && typeof data === 'object' && (Symbol.asyncIterator in data || Symbol.iterator in data)) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of data as AsyncIterable<unknown>) {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, enc));
      else if (isBufferLike(chunk)) chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      else throw invalidData(chunk);
    }
    return Buffer.concat(chunks);
  }
  throw invalidData(data);
}

function invalidData(data: unknown): TypeError {
  const err = new TypeError(`The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView, or an AsyncIterable or Iterable. Received ${typeof data}`) as TypeError & { code: string };
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}
