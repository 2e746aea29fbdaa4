// Checking and decoding the arguments of the public API, as node:fs does: a wrong type is a
// TypeError with an ERR_INVALID_ARG_TYPE code (built in arg-errors.ts); a bad path string is an
// errno-style error.
import { constants as bufferConstants } from 'node:buffer';
import { PATH_MAX } from '../abi.js';
import { invalidArgType, invalidArgValue, outOfRange } from '../arg-errors.js';
import { fsError } from '../errors.js';
import { S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK, type NodeSpec } from '../layers/layer.js';

export function checkPath(path: unknown, name = 'path'): asserts path is string {
  if (typeof path !== 'string') throw invalidArgType(name, 'of type string', path);
}

const NON_ASCII = /[^\x00-\x7f]/;

/** Over the kernel's PATH_MAX, which counts the terminating NUL: 4096 bytes is already too long. */
export function tooLong(path: string): boolean {
  return path.length >= PATH_MAX || (NON_ASCII.test(path) && Buffer.byteLength(path) >= PATH_MAX);
}

/** The whole-path checks the cache makes on a walk, for operations that split the path first. */
export function checkWholePath(path: string, syscall: string, ePath: string = path, eDest?: string): void {
  if (path.includes('\0')) throw fsError('EINVAL', syscall, ePath, eDest);
  if (tooLong(path)) throw fsError('ENAMETOOLONG', syscall, ePath, eDest);
  if (path.charCodeAt(0) !== 47 /* / */) throw fsError('EINVAL', syscall, ePath, eDest);
}

/** A path cut before its last component. */
export interface SplitPath {
  /** The path of the directory holding the last component. */
  parent: string;
  /** The last component; null for the root ('/', '//'). */
  last: string | null;
  /** The path without trailing slashes (the last component itself, not what it points to). */
  bare: string;
  /** The path ends in '/' after its last component. */
  trailingSlash: boolean;
}

export function splitPath(path: string): SplitPath {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 47) end--;
  const slash = path.lastIndexOf('/', end - 1);
  if (end === 1 || slash === end - 1) return { parent: '/', last: null, bare: '/', trailingSlash: false };
  return {
    parent: slash <= 0 ? '/' : path.slice(0, slash),
    last: path.slice(slash + 1, end),
    bare: path.slice(0, end),
    trailingSlash: end < path.length,
  };
}

/** A real name (not the root, '.' or '..'). */
export function isName(last: string | null): last is string {
  return last !== null && last !== '.' && last !== '..';
}

/** writeFile's data in the given encoding (decoded options: engine/fs-options.ts). */
export function toBytes(data: unknown, encoding: BufferEncoding | undefined): Uint8Array {
  if (typeof data === 'string') return new Uint8Array(Buffer.from(data, encoding ?? 'utf8'));
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
}

/**
 * A file mode as node:fs takes it: a uint32 (a number outside 0..2^32-1, or not an integer, is
 * ERR_OUT_OF_RANGE — masking 2^53 down to mode 000 would be a silent chmod), or an octal string.
 */
export function modeOf(mode: unknown, name = 'mode'): number {
  if (typeof mode === 'number') {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0xffffffff) throw outOfRange(name, '>= 0 && <= 4294967295', mode);
    return mode & 0o7777;
  }
  if (typeof mode === 'string') {
    if (/^[0-7]+$/.test(mode)) return parseInt(mode, 8) & 0o7777;
    throw invalidArgValue(name, mode, 'must be a 32-bit unsigned integer or an octal string');
  }
  throw invalidArgType(name, 'a 32-bit unsigned integer or an octal string', mode);
}

/** The latest time a Date can show (ms): stored times are clamped to it, as a file system clamps to its own range. */
const DATE_MAX_MS = 8.64e15;
/** Seconds from here on do not fit the kernel's timespec: utimes(2) fails with EINVAL. */
const TIMESPEC_MAX_S = 2 ** 63;

/**
 * fs.utimes times, as node:fs reads them: seconds as a finite number or numeric string (a
 * negative number means now), or a Date. NaN and Infinity numbers are type errors. NaN (an
 * invalid Date, or seconds past the kernel's range) is what utimes(2) refuses with EINVAL once
 * the path is found; any other time is clamped to what a Date can show, so no later stat
 * reports an invalid date.
 */
export function timeMs(t: unknown, name: string): number {
  let ms: number;
  if (t instanceof Date) ms = t.getTime();
  // node:fs takes a string that equals its number loosely ('' and ' ' are 0).
  // eslint-disable-next-line eqeqeq
  else if (typeof t === 'string' && Number(t) == (t as unknown as number) && Number.isFinite(Number(t))) ms = seconds(Number(t));
  else if (typeof t === 'number' && Number.isFinite(t)) ms = t < 0 ? Date.now() : seconds(t);
  else throw invalidArgType(name, 'of type number, string or an instance of Date', t);
  return Math.max(-DATE_MAX_MS, Math.min(DATE_MAX_MS, ms));
}

function seconds(s: number): number {
  return s >= TIMESPEC_MAX_S || s <= -TIMESPEC_MAX_S ? NaN : s * 1000;
}

/**
 * truncate's length, as node:fs checks it: undefined is 0, a negative length is 0, anything but
 * a safe integer is an argument error (not a length of 0: truncate(path, {}) must not empty a file).
 * Layers hold files whole: a length no buffer can hold is the kernel's "file too large".
 */
export function lengthOf(len: unknown, path: string): number {
  if (len === undefined) return 0;
  if (typeof len !== 'number') throw invalidArgType('len', 'of type number', len);
  if (!Number.isSafeInteger(len)) throw outOfRange('len', 'an integer', len);
  if (len > bufferConstants.MAX_LENGTH) throw fsError('EFBIG', 'ftruncate', path);
  return Math.max(0, len);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** `a` cut or zero-filled to `size`; EFBIG when the memory for it cannot be had. */
export function resizeBytes(a: Uint8Array, size: number, path: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = new Uint8Array(size);
  } catch {
    throw fsError('EFBIG', 'ftruncate', path);
  }
  out.set(a.subarray(0, Math.min(size, a.length)));
  return out;
}

/** What mknod(2) makes for a mode's type bits: a regular file, or a special file (an unknown type: a FIFO). */
export function mknodSpec(mode: number, rdev: number): NodeSpec {
  const type = mode & S_IFMT;
  if (type === 0 || type === S_IFREG) return { type: 'file', mode: S_IFREG | (mode & 0o7777) };
  const special = type === S_IFCHR || type === S_IFBLK || type === S_IFIFO || type === S_IFSOCK ? type : S_IFIFO;
  return { type: 'other', mode: special | (mode & 0o7777), rdev };
}
