// The callback and promise forms of a sync operation. The Overlay is synchronous, so the work is
// done at call time and only the answer is deferred. As in node:fs, a bad argument (TypeError,
// RangeError) is thrown by the callback form at once — it is a bug in the caller, not an answer —
// while every file system error reaches the callback on a later tick; promises reject for both.
import { invalidArgType } from './arg-errors.js';

export type Callback<R> = (err: NodeJS.ErrnoException | null, result?: R) => void;

function isArgumentError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError;
}

/**
 * `op(...args, cb)`: cb(err) or cb(null, result) on the next tick, never a throw for fs errors.
 * `params` is how many arguments precede the callback at most: without a function last, node:fs
 * reports whatever sits in that position (usually undefined).
 */
export function callbackForm<R>(sync: (...args: any[]) => R, params: number): (...args: any[]) => void {
  return function callbackOp(...args: unknown[]): void {
    const last = args[args.length - 1];
    if (typeof last !== 'function') throw invalidArgType('cb', 'of type function', args[params]);
    const cb = last;
    args.pop();
    let result: R;
    try {
      result = sync(...args);
    } catch (err) {
      if (isArgumentError(err)) throw err;
      process.nextTick(cb as Callback<R>, err);
      return;
    }
    // The callback runs outside the try: an exception it throws must not come back as its error.
    if (result === undefined) process.nextTick(cb as Callback<R>, null);
    else process.nextTick(cb as Callback<R>, null, result);
  };
}

/** `op(...args)` returning a promise; every error, argument errors included, rejects. */
export function promiseForm<R>(sync: (...args: any[]) => R): (...args: any[]) => Promise<R> {
  return async function promiseOp(...args: unknown[]): Promise<R> {
    return sync(...args);
  };
}
