// Argument checks of node:fs's descriptor calls (read/write/readv/writev/ftruncate…), with node's
// codes and messages: the tests run each bad call on a real descriptor and on the adapter's.
import { invalidArgType, invalidArgValue, outOfRange } from './arg-errors.js';

const MAX_SAFE = '9007199254740991';

export function fdOf(fd: unknown): number {
  if (typeof fd !== 'number') throw invalidArgType('fd', 'of type number', fd);
  if (!Number.isInteger(fd)) throw outOfRange('fd', 'an integer', fd);
  if (fd < 0 || fd > 0x7fffffff) throw outOfRange('fd', '>= 0 && <= 2147483647', fd);
  return fd;
}

export function isBufferLike(v: unknown): v is NodeJS.ArrayBufferView {
  return ArrayBuffer.isView(v);
}

function bufferOf(buffer: unknown): NodeJS.ArrayBufferView {
  if (!isBufferLike(buffer)) throw invalidArgType('buffer', 'an instance of Buffer, TypedArray, or DataView', buffer);
  return buffer;
}

function integerOf(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < min || v > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `>= ${min} && <= ${MAX_SAFE}`, v);
  return v;
}

/** A read/write position: null/undefined/-1 mean "the descriptor's position". */
export function positionOf(position: unknown): number | null {
  if (position === null || position === undefined) return null;
  if (typeof position === 'bigint') {
    if (position < -1n || position > BigInt(MAX_SAFE)) throw outOfRange('position', `>= -1 && <= ${MAX_SAFE}`, position);
    return position === -1n ? null : Number(position);
  }
  if (typeof position !== 'number') throw invalidArgType('position', 'of type bigint or integer', position);
  const p = integerOf(position, 'position', -1);
  return p === -1 ? null : p;
}

export interface ReadArgs {
  buffer: NodeJS.ArrayBufferView;
  offset: number;
  length: number;
  position: number | null;
}

/**
 * readSync(fd, buffer, offset, length, position) or readSync(fd, buffer, [options]); the
 * callback form's short forms are normalised by its caller first.
 */
export function readArgsOf(buffer: unknown, offsetOrOptions: unknown, length: unknown, position: unknown, short: boolean): ReadArgs {
  const buf = bufferOf(buffer);
  let offset = offsetOrOptions;
  if (short || (typeof offsetOrOptions === 'object' && offsetOrOptions !== null)) {
    const o = (offsetOrOptions ?? {}) as { offset?: unknown; length?: unknown; position?: unknown };
    if (typeof o !== 'object') throw invalidArgType('options', 'of type object', o);
    offset = o.offset ?? 0;
    length = o.length ?? buf.byteLength - (offset as number);
    position = o.position ?? null;
  }
  const off = offset === undefined ? 0 : integerOf(offset, 'offset', 0);
  const len = (length as number) | 0;
  if (len === 0) return { buffer: buf, offset: off, length: 0, position: null };
  if (buf.byteLength === 0) throw invalidArgValue('buffer', buf, 'is empty and cannot be written');
  if (len < 0) throw outOfRange('length', '>= 0', len);
  if (off + len > buf.byteLength) throw outOfRange('length', `<= ${buf.byteLength - off}`, len);
  return { buffer: buf, offset: off, length: len, position: positionOf(position) };
}

export interface WriteArgs {
  bytes: Uint8Array;
  position: number | null;
  /** What node:fs hands back: the buffer or the string written. */
  source: NodeJS.ArrayBufferView | string;
}

/** writeSync(fd, buffer, [offset, length, position]) or writeSync(fd, string, [position, encoding]). */
export function writeArgsOf(buffer: unknown, offset: unknown, length: unknown, position: unknown): WriteArgs {
  if (isBufferLike(buffer)) {
    if (typeof offset === 'object' && offset !== null) {
      const o = offset as { offset?: unknown; length?: unknown; position?: unknown };
      offset = o.offset ?? 0;
      length = o.length ?? buffer.byteLength - (offset as number);
      position = o.position ?? null;
    }
    const off = typeof offset === 'number' ? offset : 0;
    const len = typeof length === 'number' ? length : buffer.byteLength - off;
    if (off > buffer.byteLength) throw outOfRange('offset', `<= ${buffer.byteLength}`, off);
    if (len > buffer.byteLength - off) throw outOfRange('length', `<= ${buffer.byteLength - off}`, len);
    if (len < 0) throw outOfRange('length', '>= 0', len);
    const pos = typeof position === 'number' ? positionOf(position) : null;
    return { bytes: new Uint8Array(buffer.buffer, buffer.byteOffset + off, len), position: pos, source: buffer };
  }
  if (typeof buffer !== 'string') {
    throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer);
  }
  const encoding = typeof length === 'string' && Buffer.isEncoding(length) ? length : 'utf8';
  const pos = typeof offset === 'number' ? positionOf(offset) : null;
  return { bytes: Buffer.from(buffer, encoding), position: pos, source: buffer };
}

export function buffersOf(buffers: unknown): NodeJS.ArrayBufferView[] {
  if (!Array.isArray(buffers) || !buffers.every(isBufferLike)) {
    throw invalidArgType('buffers', 'an ArrayBufferView[]', buffers);
  }
  return buffers;
}

export function lenOf(len: unknown): number {
  if (len === undefined) return 0;
  if (typeof len !== 'number') throw invalidArgType('len', 'of type number', len);
  if (!Number.isSafeInteger(len)) throw outOfRange('len', 'an integer', len);
  return Math.max(0, len);
}

/** A file mode: uint32 or an octal string (only the permission bits are kept). */
export function modeArg(mode: unknown, fallback: number, name = 'mode'): number {
  if (mode === undefined || mode === null) return fallback;
  if (typeof mode === 'number') {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0xffffffff) throw outOfRange(name, '>= 0 && <= 4294967295', mode);
    return mode & 0o7777;
  }
  if (typeof mode === 'string' && /^[0-7]+$/.test(mode)) return parseInt(mode, 8) & 0o7777;
  if (typeof mode === 'string') throw invalidArgValue(name, mode, 'must be a 32-bit unsigned integer or an octal string');
  throw invalidArgType(name, 'a 32-bit unsigned integer or an octal string', mode);
}

/** uid/gid for chown: an integer from -1 ("unchanged") to 2^32-1. */
export function idOf(id: unknown, name: string): number {
  if (typeof id !== 'number') throw invalidArgType(name, 'of type number', id);
  if (!Number.isInteger(id)) throw outOfRange(name, 'an integer', id);
  if (id < -1 || id > 0xffffffff) throw outOfRange(name, '>= -1 && <= 4294967295', id);
  return id;
}

/** utimes-style time: seconds (number or numeric string) or a Date, as milliseconds. */
export function timeArg(t: unknown, name: string): number {
  if (t instanceof Date) return t.getTime();
  // eslint-disable-next-line eqeqeq
  if (typeof t === 'string' && Number(t) == (t as unknown as number) && Number.isFinite(Number(t))) return Number(t) * 1000;
  if (typeof t === 'number' && Number.isFinite(t)) return t < 0 ? Date.now() : t * 1000;
  throw invalidArgType(name, 'an instance of Date or an Time in seconds', t);
}
