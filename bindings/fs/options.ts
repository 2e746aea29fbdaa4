// node:fs option arguments: the `options` object-or-encoding-string, encodings (names come back
// as strings, Buffers with 'buffer', or re-encoded), and the open flags writeFile/readFile take.
import { invalidArgType, invalidArgValue, outOfRange } from './arg-errors.js';

export type NameEncoding = BufferEncoding | 'buffer' | null | undefined;

export interface EncodingOptions {
  encoding?: NameEncoding;
  [key: string]: unknown;
}

/** `options` as node:fs reads it: absent, an encoding name, or an object. */
export function optionsOf(options: unknown): EncodingOptions {
  if (options === undefined || options === null) return {};
  let result: EncodingOptions;
  if (typeof options === 'string') result = { encoding: options as NameEncoding };
  else if (typeof options === 'object') result = options as EncodingOptions;
  else throw invalidArgType('options', 'of type string or an instance of Object', options);
  const enc = result.encoding;
  if (enc !== undefined && enc !== null && enc !== 'buffer' && !Buffer.isEncoding(enc)) {
    throw invalidArgValue('encoding', enc, 'is invalid encoding');
  }
  return result;
}

/** A name the overlay gave as a string, in the caller's encoding (utf8 strings by default). */
export function encodeName(name: string, encoding: NameEncoding): string | Buffer {
  if (encoding === undefined || encoding === null || encoding === 'utf8' || encoding === 'utf-8') return name;
  const bytes = Buffer.from(name, 'utf8');
  return encoding === 'buffer' ? bytes : bytes.toString(encoding);
}

/** What a writeFile/appendFile flag asks for; flags outside this set are refused, not guessed. */
export interface WriteMode {
  append: boolean;
  exclusive: boolean;
}

const WRITE_FLAGS: Record<string, WriteMode> = {
  w: { append: false, exclusive: false },
  'w+': { append: false, exclusive: false },
  wx: { append: false, exclusive: true },
  xw: { append: false, exclusive: true },
  'wx+': { append: false, exclusive: true },
  'xw+': { append: false, exclusive: true },
  a: { append: true, exclusive: false },
  'a+': { append: true, exclusive: false },
  as: { append: true, exclusive: false },
  sa: { append: true, exclusive: false },
  'as+': { append: true, exclusive: false },
  'sa+': { append: true, exclusive: false },
  ax: { append: true, exclusive: true },
  xa: { append: true, exclusive: true },
  'ax+': { append: true, exclusive: true },
  'xa+': { append: true, exclusive: true },
};

const READ_FLAGS = new Set(['r', 'rs', 'sr', 'r+', 'rs+', 'sr+']);

export function writeModeOf(flag: unknown, fallback: 'w' | 'a'): WriteMode {
  if (flag === undefined) return WRITE_FLAGS[fallback];
  if (typeof flag === 'string' && Object.prototype.hasOwnProperty.call(WRITE_FLAGS, flag)) return WRITE_FLAGS[flag];
  throw invalidArgValue('flags', flag, 'is not supported by the overlay fs adapter (use w, a, wx or ax)');
}

/** readFile only reads: a flag that would create or truncate is refused. */
export function checkReadFlag(flag: unknown): void {
  if (flag === undefined || (typeof flag === 'string' && READ_FLAGS.has(flag))) return;
  throw invalidArgValue('flags', flag, 'is not supported by the overlay fs adapter for reading (use r)');
}

/** `bigint: true` stats would need 64-bit fields the overlay does not keep: refused loudly. */
export function checkNoBigint(options: unknown): void {
  if (typeof options === 'object' && options !== null && (options as { bigint?: unknown }).bigint === true) {
    throw invalidArgValue('options.bigint', true, 'is not supported by the overlay fs adapter');
  }
}

/** access() mode: an integer 0..7 (F_OK | R_OK | W_OK | X_OK), as Node checks it. */
export function accessModeOf(mode: unknown): number {
  if (mode === undefined) return 0;
  if (typeof mode !== 'number') throw invalidArgType('mode', 'of type number', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 7) {
    throw outOfRange('mode', 'an integer >= 0 && <= 7', mode);
  }
  return mode;
}
