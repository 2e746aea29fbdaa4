// open(2) flags as node:fs takes them — a string ('r', 'w+', 'ax'…) or the numeric O_* bits — and
// what they ask of an open. Unknown strings fail as node:fs fails (ERR_INVALID_ARG_VALUE). One
// parser for the Overlay's writeFile/appendFile/readFile and the fs adapter's descriptors.
import { constants } from 'node:fs';
import { invalidArgValue, outOfRange } from '../arg-errors.js';

const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_SYNC, O_DIRECTORY, O_NOFOLLOW } = constants;
const ACCESS = O_RDONLY | O_WRONLY | O_RDWR;

// node:fs's table of flag strings (lib/internal/fs/utils stringToFlags), as bits.
const STRINGS: Record<string, number> = {
  r: O_RDONLY, rs: O_RDONLY | O_SYNC, sr: O_RDONLY | O_SYNC,
  'r+': O_RDWR, 'rs+': O_RDWR | O_SYNC, 'sr+': O_RDWR | O_SYNC,
  w: O_TRUNC | O_CREAT | O_WRONLY, wx: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL, xw: O_TRUNC | O_CREAT | O_WRONLY | O_EXCL,
  'w+': O_TRUNC | O_CREAT | O_RDWR, 'wx+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL, 'xw+': O_TRUNC | O_CREAT | O_RDWR | O_EXCL,
  a: O_APPEND | O_CREAT | O_WRONLY, ax: O_APPEND | O_CREAT | O_WRONLY | O_EXCL, xa: O_APPEND | O_CREAT | O_WRONLY | O_EXCL,
  as: O_APPEND | O_CREAT | O_WRONLY | O_SYNC, sa: O_APPEND | O_CREAT | O_WRONLY | O_SYNC,
  'a+': O_APPEND | O_CREAT | O_RDWR, 'ax+': O_APPEND | O_CREAT | O_RDWR | O_EXCL, 'xa+': O_APPEND | O_CREAT | O_RDWR | O_EXCL,
  'as+': O_APPEND | O_CREAT | O_RDWR | O_SYNC, 'sa+': O_APPEND | O_CREAT | O_RDWR | O_SYNC,
};

/** What an open asks for, decoded once. */
export interface OpenMode {
  bits: number;
  readable: boolean;
  writable: boolean;
  create: boolean;
  exclusive: boolean;
  truncate: boolean;
  append: boolean;
  directory: boolean;
  noFollow: boolean;
}

/** `flags` as node:fs reads it: undefined/null is 'r' (or `fallback`), a known string, or an int32. */
export function openModeOf(flags: unknown, fallback = 'r'): OpenMode {
  let bits: number;
  if (flags === undefined || flags === null) bits = STRINGS[fallback];
  else if (typeof flags === 'number') {
    if (!Number.isInteger(flags)) throw outOfRange('flags', 'an integer', flags);
    bits = flags;
  } else if (typeof flags === 'string' && Object.prototype.hasOwnProperty.call(STRINGS, flags)) bits = STRINGS[flags];
  else throw invalidArgValue('flags', flags);
  const access = bits & ACCESS;
  return {
    bits,
    readable: access !== O_WRONLY,
    writable: access !== O_RDONLY,
    create: (bits & O_CREAT) !== 0,
    exclusive: (bits & O_EXCL) !== 0,
    truncate: (bits & O_TRUNC) !== 0,
    append: (bits & O_APPEND) !== 0,
    directory: (bits & O_DIRECTORY) !== 0,
    noFollow: (bits & O_NOFOLLOW) !== 0,
  };
}

/** A flag string for a decoded mode (node:vfs handles want the string form). */
export function flagString(mode: OpenMode): string {
  const plus = mode.readable && mode.writable ? '+' : '';
  if (mode.append) return `a${mode.exclusive ? 'x' : ''}${plus}`;
  if (mode.writable && mode.truncate) return `w${mode.exclusive ? 'x' : ''}${plus}`;
  return `r${plus}`;
}
