// node:fs option arguments: the `options` object-or-encoding-string, encodings (names come back
// as strings, Buffers with 'buffer', or re-encoded), readFile's flag and access modes.
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

/** access() mode: an integer 0..7 (F_OK | R_OK | W_OK | X_OK), as Node checks it. */
export function accessModeOf(mode: unknown): number {
  if (mode === undefined) return 0;
  if (typeof mode !== 'number') throw invalidArgType('mode', 'of type number', mode);
  if (!Number.isInteger(mode) || mode < 0 || mode > 7) {
    throw outOfRange('mode', 'an integer >= 0 && <= 7', mode);
  }
  return mode;
}
