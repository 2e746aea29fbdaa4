// Every argument error Strata throws, built here, message for message as node:fs words them:
// tools match on `code`, people read the message, and the adapter's tests compare both with
// node:fs itself. (Errors from the file system are errno-style: errors.ts.)
import { inspect } from 'node:util';

type CodedError<E> = E & { code: string };

/** How Node names a received value in an argument error. */
function received(value: unknown): string {
  if (value === null || value === undefined) return `Received ${String(value)}`;
  if (typeof value === 'function') return `Received function ${value.name}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return `Received ${name ? `an instance of ${name}` : inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `Received type ${typeof value} (${shown})`;
}

/** ERR_INVALID_ARG_TYPE, e.g. `The "path" argument must be of type string … Received type number (1)`. */
export function invalidArgType(name: string, expected: string, value: unknown): CodedError<TypeError> {
  // Node calls a dotted name (`options.recursive`) a property.
  const what = name.includes('.') ? 'property' : 'argument';
  const err = new TypeError(`The "${name}" ${what} must be ${expected}. ${received(value)}`) as CodedError<TypeError>;
  err.code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/** ERR_INVALID_ARG_VALUE, e.g. `The argument 'encoding' is invalid encoding. Received 'nope'`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): CodedError<TypeError> {
  const err = new TypeError(`The argument '${name}' ${reason}. Received ${inspect(value)}`) as CodedError<TypeError>;
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

/** ERR_INVALID_ARG_VALUE for an option Node has removed, e.g. rmdir's `options.recursive` from Node 25. */
export function noLongerSupported(name: string, value: unknown): CodedError<TypeError> {
  // Node calls a dotted name a property, as in invalidArgType.
  const err = new TypeError(`The property '${name}' is no longer supported. Received ${inspect(value)}`) as CodedError<TypeError>;
  err.code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

/** ERR_OUT_OF_RANGE, e.g. access modes outside 0..7. */
export function outOfRange(name: string, range: string, value: unknown): CodedError<RangeError> {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(value)}`) as CodedError<RangeError>;
  err.code = 'ERR_OUT_OF_RANGE';
  return err;
}

/** ERR_INVALID_ARG_VALUE for an option that takes one of a few names, e.g. `policy`. */
export function invalidChoice(name: string, choices: readonly string[], value: unknown): CodedError<TypeError> {
  return invalidArgValue(name, value, `must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
}

/** ERR_FS_INVALID_SYMLINK_TYPE: a symlink type string other than 'dir', 'file', 'junction'. */
export function invalidSymlinkType(value: string): CodedError<Error> {
  const err = new Error(`Symlink type must be one of "dir", "file", or "junction". Received "${value}"`) as CodedError<Error>;
  err.code = 'ERR_FS_INVALID_SYMLINK_TYPE';
  return err;
}
