// Path arguments as node:fs takes them — strings, Buffers (any Uint8Array) and `file:` URLs —
// turned into the absolute POSIX strings the Overlay takes. Validation errors are Node's own
// (TypeError with ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE), so callers can tell a
// programming error from a file system answer.
import { fileURLToPath } from 'node:url';
import { fsError } from '../errors.js';
import { invalidArgType, invalidArgValue } from './arg-errors.js';

export type PathLike = string | Buffer | Uint8Array | URL;

const PATH_TYPES = 'of type string or an instance of Buffer or URL';

/** Node's check for a URL object (it accepts URL-like objects from other realms too). */
function isURL(value: object): value is URL {
  return value instanceof URL || (typeof (value as URL).href === 'string' && typeof (value as URL).protocol === 'string');
}

/** The string a path argument stands for, unresolved; a TypeError for anything else. */
export function pathString(value: unknown, name: string): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else if (value instanceof Uint8Array) {
    if (value.includes(0)) throw nulBytes(name, value);
    // Bytes are read as UTF-8: a name that is not valid UTF-8 cannot be named (see docs/fs-adapter.md).
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  }
  // fileURLToPath throws Node's own ERR_INVALID_URL_SCHEME / ERR_INVALID_FILE_URL_* errors.
  else if (typeof value === 'object' && value !== null && isURL(value)) s = fileURLToPath(value);
  else throw invalidArgType(name, PATH_TYPES, value);
  if (s.includes('\0')) throw nulBytes(name, s);
  return s;
}

function nulBytes(name: string, value: unknown): TypeError {
  return invalidArgValue(name, value, 'must be a string, Uint8Array, or URL without null bytes');
}

/**
 * Makes overlay paths from path arguments. A relative path is taken against `cwd` (the
 * overlay has no process cwd of its own) by plain joining: normalising would change what
 * `a/file/..` or a trailing slash means.
 */
export class PathArgs {
  private readonly prefix: string;

  constructor(readonly cwd: string) {
    if (typeof cwd !== 'string' || cwd.charCodeAt(0) !== 47 /* / */) throw invalidArgType('options.cwd', 'an absolute path string', cwd);
    this.prefix = cwd.endsWith('/') ? cwd : cwd + '/';
  }

  /** One path argument; '' is ENOENT, as the kernel says for an empty path. */
  path(value: unknown, syscall: string, name = 'path'): string {
    const s = typeof value === 'string' && value.charCodeAt(0) === 47 && !value.includes('\0') ? value : pathString(value, name);
    if (s.charCodeAt(0) === 47) return s;
    if (s === '') throw fsError('ENOENT', syscall, '');
    return this.prefix + s;
  }

  /** Two path arguments (rename, link): an empty one is ENOENT naming both. */
  pair(a: unknown, b: unknown, syscall: string, names: [string, string]): [string, string] {
    const from = pathString(a, names[0]);
    const to = pathString(b, names[1]);
    if (from === '' || to === '') throw fsError('ENOENT', syscall, from, to);
    return [this.absolute(from), this.absolute(to)];
  }

  private absolute(s: string): string {
    return s.charCodeAt(0) === 47 ? s : this.prefix + s;
  }
}
