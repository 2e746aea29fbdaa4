// node:fs option arguments decoded the way node:fs (Node 20) decodes them, so that the Overlay
// refuses exactly what node:fs refuses, with the same error code: an options bag that is not
// one, an unknown encoding or flag, a non-boolean `recursive`, an unknown symlink type, rm's
// retry counts. What node:fs accepts and ignores is accepted and ignored here too.
import { invalidArgType, invalidArgValue, invalidSymlinkType, outOfRange } from '../arg-errors.js';
import { modeOf } from './args.js';

/** The options a read or write call understands (readFile, writeFile, readdir, readlink, …). */
export interface FsOptions {
  encoding?: BufferEncoding | 'buffer' | null;
  flag?: string | number;
  mode?: unknown;
  withFileTypes?: unknown;
  recursive?: unknown;
  signal?: unknown;
}

const EMPTY: FsOptions = Object.freeze({});

export interface StatOptions {
  throwIfNoEntry?: boolean;
}

/** Options of readFile, writeFile, readdir, …: an encoding name or an object. */
export type Options = BufferEncoding | null | { encoding?: BufferEncoding | null; flag?: string; mode?: number | string };

/** The open(2) flag strings node:fs knows (lib/internal/fs/utils stringToFlags). */
const FLAGS = new Set([
  'r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+',
  'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+',
]);

/**
 * node:fs getOptions(): null, undefined and functions are "no options", a string is the
 * encoding, anything else but an object is ERR_INVALID_ARG_TYPE; the encoding, flag and abort
 * signal are checked.
 */
export function fsOptions(options: unknown): FsOptions {
  if (options === null || options === undefined || typeof options === 'function') return EMPTY;
  const opts = typeof options === 'string' ? { encoding: options as BufferEncoding } : options;
  if (typeof opts !== 'object') throw invalidArgType('options', 'one of type string or object', options);
  const o = opts as FsOptions;
  if (o.encoding !== 'buffer' && o.encoding && !Buffer.isEncoding(o.encoding as string)) {
    throw invalidArgValue('encoding', o.encoding, 'is invalid encoding');
  }
  if (o.flag !== undefined && o.flag !== null && typeof o.flag !== 'number' && !FLAGS.has(o.flag)) {
    throw invalidArgValue('flags', o.flag);
  }
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
    throw invalidArgType('options.signal', 'an instance of AbortSignal', o.signal);
  }
  return o;
}

/** The encoding of decoded options (undefined: a Buffer). */
export function encodingOf(o: FsOptions): BufferEncoding | undefined {
  const e = o.encoding;
  return e === null || e === undefined || e === 'buffer' ? undefined : e;
}

/** stat/lstat options: node:fs reads `options.bigint`, so only null and undefined differ. */
export function statOptions(options: unknown): { throwIfNoEntry?: unknown } | undefined {
  // node:fs fails here with a bare TypeError from inside (reading a property of null).
  if (options === null) throw invalidArgType('options', 'of type object', options);
  return typeof options === 'object' ? options as { throwIfNoEntry?: unknown } : undefined;
}

export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

/** mkdir's options: a mode (number or string), or an object with `recursive` and `mode`. */
export function mkdirOptions(options: unknown): { recursive: boolean; mode: unknown } {
  let mode: unknown;
  let recursive: unknown = false;
  if (typeof options === 'number' || typeof options === 'string') mode = options;
  else if (options) {
    const o = options as { recursive?: unknown; mode?: unknown };
    if (o.recursive !== undefined) recursive = o.recursive;
    mode = o.mode;
  }
  return { recursive: checkBoolean(recursive, 'options.recursive'), mode };
}

function int32(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export interface RmOptions {
  recursive: boolean;
  force: boolean;
}

/**
 * rm's and rmdir's options (node:fs validateRmdirOptions): an object whose given fields replace
 * the defaults — so `{ force: undefined }` is refused, as node:fs refuses it.
 */
export function rmOptions(options: unknown, withForce: boolean): RmOptions {
  if (options === undefined) return { recursive: false, force: false };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
  const o = { force: false, maxRetries: 0, recursive: false, retryDelay: 100, ...options } as
    { force: unknown; maxRetries: unknown; recursive: unknown; retryDelay: unknown };
  checkBoolean(o.recursive, 'options.recursive');
  int32(o.retryDelay, 'options.retryDelay', 0, 2147483647);
  int32(o.maxRetries, 'options.maxRetries', 0, 4294967295);
  if (withForce) checkBoolean(o.force, 'options.force');
  return { recursive: o.recursive as boolean, force: withForce && o.force === true };
}

/** symlink's type: ignored unless it is a string, which must be one node:fs knows. */
export function checkSymlinkType(type: unknown): void {
  if (typeof type === 'string' && type !== 'dir' && type !== 'file' && type !== 'junction') {
    throw invalidSymlinkType(type);
  }
}

/** A new file's mode: node:fs checks it before opening, and takes `mode ?? 0o666` (null too). */
export function fileMode(o: FsOptions, fallback: number): number {
  return o.mode === undefined || o.mode === null ? fallback : modeOf(o.mode);
}
