// Path parsing for the reference model: the whole-path checks every operation makes before it
// touches a layer. Written from the dentry-cache contract (bindings/cache/dentry-cache.ts) and
// node:fs, not from the engine.
import { NAME_MAX, PATH_MAX } from '../../abi.js';
import { invalidArgType } from '../../arg-errors.js';
import { fsError } from '../../errors.js';

export interface ParsedPath {
  /** Non-empty components in order; '.' and '..' are kept (the walk gives them meaning). */
  components: string[];
  /** The path ends in '/' after its last component: the result must be a directory. */
  trailingSlash: boolean;
}

const encoder = new TextEncoder();

export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/**
 * Check a caller's path argument. A non-string is a TypeError (as node:fs's ERR_INVALID_ARG_TYPE);
 * NUL bytes and relative paths are EINVAL and a path of PATH_MAX bytes or more ENAMETOOLONG — the
 * cache's whole-path errors, raised with the operation's syscall name.
 */
export function parsePath(
  path: unknown,
  syscall: string,
  argName = 'path',
  fail: (code: string) => Error = (code) => fsError(code, syscall, path as string),
): ParsedPath {
  if (typeof path !== 'string') throw invalidArgType(argName, 'of type string', path);
  if (path.includes('\0')) throw fail('EINVAL');
  if (byteLength(path) >= PATH_MAX) throw fail('ENAMETOOLONG'); // PATH_MAX counts the NUL
  if (!path.startsWith('/')) throw fail('EINVAL');
  const components = path.split('/').filter((c) => c !== '');
  return { components, trailingSlash: components.length > 0 && path.endsWith('/') };
}

/** True for a component longer than NAME_MAX bytes (checked when the walk reaches it). */
export function nameTooLong(name: string): boolean {
  return name.length > NAME_MAX / 3 && byteLength(name) > NAME_MAX;
}
