// The one error every bad archive gets: a Node-style EINVAL naming the archive and what is wrong
// with it, so callers (and the CLI) can tell "this archive is unusable" from an I/O failure.
import { fsError, type StrataError } from '../../errors.js';

const PREFIX = 'corrupt or unsafe tar layer';

export function archiveError(where: string, why: string, what = PREFIX): StrataError {
  const err = fsError('EINVAL', 'open', where);
  err.message = `EINVAL: ${what}, open '${where}': ${why}`;
  return err;
}

/** A sound archive that is not one layer (a whole image): EINVAL with what to pass instead. */
export function notALayerError(where: string, why: string): StrataError {
  return archiveError(where, why, 'not a tar layer');
}

/** True for an error archiveError made (it passes through unchanged). */
export function isArchiveError(err: unknown): err is StrataError {
  return err instanceof Error && (err as StrataError).code === 'EINVAL' && err.message.includes(PREFIX);
}

/** Any failure while reading an archive as an archive error (I/O errors on a path excepted). */
export function asArchiveError(err: unknown, where: string): Error {
  if (isArchiveError(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as NodeJS.ErrnoException).code;
  // A failure to read the file itself (ENOENT, EACCES, EISDIR…) keeps its own code.
  if (code !== undefined && (e as NodeJS.ErrnoException).syscall !== undefined && code !== 'EINVAL') return e;
  return archiveError(where, e.message);
}
