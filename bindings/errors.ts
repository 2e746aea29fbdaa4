// Node-style errors, made in one place: `code`, `errno`, `syscall`, `path` (and `dest`), with the
// message node:fs uses, e.g. "ENOENT: no such file or directory, stat '/x'".
import { constants as os } from 'node:os';

const DESCRIPTIONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'illegal operation on a directory',
  EEXIST: 'file already exists',
  ENOTEMPTY: 'directory not empty',
  EXDEV: 'cross-device link not permitted',
  EROFS: 'read-only file system',
  ESTALE: 'stale file handle',
  EINVAL: 'invalid argument',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links encountered',
  EPERM: 'operation not permitted',
  EACCES: 'permission denied',
  EBUSY: 'resource busy or locked',
  EAGAIN: 'resource temporarily unavailable',
  EIO: 'i/o error',
  EFBIG: 'file too large',
  ENOSPC: 'no space left on device',
  EBADF: 'bad file descriptor',
  ENOTSUP: 'operation not supported on socket',
};

export type ErrorCode = keyof typeof DESCRIPTIONS | string;

export interface StrataError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
  dest?: string;
}

/**
 * Build a Node-style error. `errno` is negative, as libuv reports it. ENOENT and ENOTDIR are
 * answers more than faults (a module resolver probes ~12 missing paths per request, and node:fs
 * semantics need an error for each): they are made without a stack capture, which cost ≈ 4.7 µs
 * of a ≈ 5 µs error (45 % of a resolver's warm time through createFs). Code, errno, syscall,
 * path and message are the same; `stack` is the message alone.
 */
export function fsError(code: ErrorCode, syscall: string, path?: string, dest?: string): StrataError {
  const message = messageOf(code, syscall, path, dest);
  // readlink's EINVAL ("not a symlink") is such an answer too: enhanced-resolve asks it of every
  // component of every path it resolves (≈ 5 per request, 20–25 % of a warm resolve).
  const answer = code === 'ENOENT' || code === 'ENOTDIR' || (code === 'EINVAL' && syscall === 'readlink');
  const err = (answer ? frameless(message) : new Error(message)) as StrataError;
  err.code = code;
  err.errno = errnoOf(code);
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/**
 * A native Error with no stack frames: `stack` is "Error: <message>", as a capture limited to 0
 * frames gives. A limit that is not a number makes V8 skip the capture altogether, ≈ 100 ns
 * less per error made and thrown (Node 20 and 26) than a limit of 0. Where Error.stackTraceLimit
 * cannot be written (node --frozen-intrinsics, a locked-down realm) the error keeps its frames.
 */
function frameless(message: string): Error {
  const limit = Error.stackTraceLimit;
  try {
    (Error as { stackTraceLimit: unknown }).stackTraceLimit = undefined;
  } catch {
    return new Error(message);
  }
  const err = new Error(message);
  Error.stackTraceLimit = limit;
  err.stack = `Error: ${message}`;
  return err;
}

/** node:fs's message: "ENOENT: no such file or directory, stat '/x'". */
function messageOf(code: string, syscall: string, path?: string, dest?: string): string {
  let message = `${code}: ${DESCRIPTIONS[code] ?? code.toLowerCase()}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  return message;
}

/** libuv's errno by code, negative: a Map.get (≈ 7 ns) where a keyed read of os.constants.errno took 14–22. */
const ERRNO = new Map(Object.entries(os.errno).map(([code, n]) => [code, -n]));

/** libuv's errno for `code`: negative, 0 when unknown. */
function errnoOf(code: string): number {
  return ERRNO.get(code) ?? 0;
}

/**
 * createFs's `lightErrors`: an answer asked for by the thousand (a missing path, "not a symlink")
 * as a plain object on Error.prototype's chain. V8 builds a native Error in C++ (≈ 250–350 ns
 * here even with no stack trace, ≈ 15 % of a warm module resolve); this is a few field stores.
 * code, errno, syscall, path, message, stack (the message line), `instanceof Error`,
 * `constructor === Error`, String(), util.inspect and JSON.stringify read as for a native error;
 * util.types.isNativeError and Error.isError say false, and structuredClone keeps the own fields only.
 */
class LightFsError {
  declare code: string;
  declare errno: number;
  declare syscall: string;
  declare path: string;

  constructor(code: string, syscall: string, path: string) {
    this.code = code;
    this.errno = errnoOf(code);
    this.syscall = syscall;
    this.path = path;
  }
}

/** `name`, read from `get` until written: a write makes it an own data property, as on an Error. */
function ownOnWrite(name: string, get: (this: Error) => string): PropertyDescriptor {
  return {
    get,
    set(this: Error, value: unknown) {
      Object.defineProperty(this, name, { value, writable: true, configurable: true, enumerable: false });
    },
    configurable: true,
  };
}
Object.setPrototypeOf(LightFsError.prototype, Error.prototype);
Object.defineProperties(LightFsError.prototype, {
  constructor: { value: Error, writable: true, configurable: true },
  message: ownOnWrite('message', function message(this: Error) {
    const e = this as unknown as LightFsError;
    return messageOf(e.code, e.syscall, e.path);
  }),
  stack: ownOnWrite('stack', function stack(this: Error) { return `Error: ${this.message}`; }),
  [Symbol.toStringTag]: { value: 'Error', configurable: true },
});

/** fsError's answer as a light error (createFs `lightErrors`; see LightFsError). */
export function lightFsError(code: string, syscall: string, path: string): StrataError {
  return new LightFsError(code, syscall, path) as unknown as StrataError;
}

/** True for an error this module made (or node:fs made) with the given code. */
export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
