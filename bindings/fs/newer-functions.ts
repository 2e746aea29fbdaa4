// The node:fs functions that came after Node 20, each given only where the running Node has it
// (fs/node-version.ts): a tool that feature-tests node:fs must find on the adapter what it finds
// on node:fs. mkdtempDisposable and openAsBlobSync work on the overlay; glob answers
// ERR_METHOD_NOT_IMPLEMENTED — its pattern semantics are node:fs's own (minimatch with Node's
// options, its walk order and symlink rules), and a near miss would be worse than a clear refusal.
import { invalidArgType } from './arg-errors.js';
import type { NodeFsRules } from './node-version.js';

export function notImplemented(name: string): Error {
  const err = new Error(`The ${name} method is not implemented`) as Error & { code: string };
  err.code = 'ERR_METHOD_NOT_IMPLEMENTED';
  return err;
}

/** What the newer functions are made of: the adapter's own sync calls. */
export interface NewerFunctionSources {
  mkdtempSync(prefix: unknown, options?: unknown): string;
  rmSync(path: string, options: { recursive: boolean; force: boolean }): void;
  readFileSync(path: unknown): Buffer;
}

type Functions = Record<string, unknown>;

/** The sync and callback forms (`fs`) and the promise forms (`promises`) this Node has. */
export function newerFunctions(rules: NodeFsRules, src: NewerFunctionSources): { fs: Functions; promises: Functions } {
  const fs: Functions = {};
  const promises: Functions = {};
  if (rules.glob) {
    fs.globSync = () => { throw notImplemented('globSync()'); };
    fs.glob = (_pattern: unknown, options: unknown, cb?: unknown) => {
      if (typeof options === 'function') cb = options;
      if (typeof cb !== 'function') throw invalidArgType('callback', 'of type function', cb);
      process.nextTick(cb as (err: Error) => void, notImplemented('glob()'));
    };
    // node:fs's promises.glob is an async iterator: the refusal comes with the first step.
    promises.glob = async function* glob(): AsyncGenerator<never> { throw notImplemented('glob()'); };
  }
  if (rules.mkdtempDisposable) {
    // remove() is rm -rf of the directory: again, or after it went, it is not an error.
    fs.mkdtempDisposableSync = (prefix: unknown, options?: unknown) => {
      const path = src.mkdtempSync(prefix, options);
      const remove = () => src.rmSync(path, { recursive: true, force: true });
      return { path, remove, [Symbol.dispose]() { remove(); } };
    };
    promises.mkdtempDisposable = async (prefix: unknown, options?: unknown) => {
      const path = src.mkdtempSync(prefix, options);
      const remove = async () => src.rmSync(path, { recursive: true, force: true });
      return { path, remove, async [Symbol.asyncDispose]() { await remove(); } };
    };
  }
  if (rules.openAsBlobSync) {
    fs.openAsBlobSync = (path: unknown, options?: { type?: string }) => {
      if (options !== undefined && (typeof options !== 'object' || options === null)) {
        throw invalidArgType('options', 'of type object', options);
      }
      const data = src.readFileSync(path);
      return new Blob([new Uint8Array(data)], { type: options?.type ?? '' });
    };
  }
  return { fs, promises };
}
