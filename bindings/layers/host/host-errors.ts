// Host errors, re-labelled for a layer: node:fs errors name `/proc/self/fd/N/...` paths (how the
// contained tree addresses objects) and @napi-rs/xattr errors carry only "(os error N)"; callers
// of a layer must see a Node-style error with the layer-relative path instead.
import { constants as os } from 'node:os';
import { fsError, type StrataError } from '../../errors.js';

// First name wins for shared numbers: ENOTSUP (libuv's name) before EOPNOTSUPP, EAGAIN before EWOULDBLOCK.
const CODE_BY_ERRNO = new Map<number, string>();
for (const [code, n] of Object.entries(os.errno as Record<string, number>)) {
  if (!CODE_BY_ERRNO.has(n)) CODE_BY_ERRNO.set(n, code);
}

/** The errno code (`ENOENT`, …) of a host error, or undefined for a non-system error. */
export function hostCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return code;
  // @napi-rs/xattr: code 'GenericFailure', message "No data available (os error 61)".
  const match = /\(os error (\d+)\)/.exec(String((err as { message?: unknown }).message));
  return match ? CODE_BY_ERRNO.get(Number(match[1])) : undefined;
}

/** Rethrow a host error as a Node-style error about `layerPath`; non-system errors pass through. */
export function relabel(err: unknown, syscall: string, layerPath: string, dest?: string): StrataError | unknown {
  if (explained.has(err as object)) return err; // already says what it is about, and why
  const code = hostCode(err);
  return code === undefined ? err : fsError(code, syscall, layerPath, dest);
}

/** Errors made by explainedError: already labelled with a layer path and a reason. */
const explained = new WeakSet<object>();

/** A Node-style error whose message goes on to say why, e.g. which capability is missing. */
export function explainedError(code: string, syscall: string, path: string, why: string): StrataError {
  const err = fsError(code, syscall, path);
  err.message += ` (${why})`;
  explained.add(err);
  return err;
}
