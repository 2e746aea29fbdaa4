// opendir and fs.Dir: a directory's entries, read one at a time. The listing is taken when the
// directory is opened (as a merged overlay listing is built whole anyway); entries created or
// removed afterwards may or may not appear, which node:fs also allows.
import type { Dirent } from '../engine/stats.js';
import { invalidArgType, outOfRange } from './arg-errors.js';

function dirClosed(): Error {
  const err = new Error('Directory handle was closed') as Error & { code: string };
  err.code = 'ERR_DIR_CLOSED';
  return err;
}

export class Dir {
  private index = 0;
  private closed = false;

  constructor(readonly path: string, private readonly entries: Dirent[]) {}

  readSync(): Dirent | null {
    if (this.closed) throw dirClosed();
    return this.index < this.entries.length ? this.entries[this.index++] : null;
  }

  read(): Promise<Dirent | null>;
  read(cb: (err: Error | null, entry?: Dirent | null) => void): void;
  read(cb?: (err: Error | null, entry?: Dirent | null) => void): Promise<Dirent | null> | void {
    if (cb === undefined) return new Promise((resolve, reject) => this.read((err, d) => (err ? reject(err) : resolve(d ?? null))));
    if (typeof cb !== 'function') throw invalidArgType('callback', 'of type function', cb);
    let entry: Dirent | null;
    try {
      entry = this.readSync();
    } catch (err) {
      process.nextTick(cb, err);
      return;
    }
    process.nextTick(cb, null, entry);
  }

  closeSync(): void {
    if (this.closed) throw dirClosed();
    this.closed = true;
  }

  close(): Promise<void>;
  close(cb: (err: Error | null) => void): void;
  close(cb?: (err: Error | null) => void): Promise<void> | void {
    if (cb === undefined) return new Promise((resolve, reject) => this.close((err) => (err ? reject(err) : resolve())));
    if (typeof cb !== 'function') throw invalidArgType('callback', 'of type function', cb);
    let error: Error | null = null;
    try {
      this.closeSync();
    } catch (err) {
      error = err as Error;
    }
    process.nextTick(cb, error);
  }

  async *entriesIterator(): AsyncGenerator<Dirent> {
    try {
      for (let d = this.readSync(); d !== null; d = this.readSync()) yield d;
    } finally {
      if (!this.closed) this.closeSync();
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<Dirent> {
    return this.entriesIterator();
  }

  *[Symbol.iterator](): Generator<Dirent> {
    try {
      for (let d = this.readSync(); d !== null; d = this.readSync()) yield d;
    } finally {
      if (!this.closed) this.closeSync();
    }
  }
}

/** opendir options: bufferSize 1..4294967295 (accepted and unused), recursive. */
export function checkDirOptions(options: unknown): { recursive: boolean } {
  const o = (options ?? {}) as { bufferSize?: unknown; recursive?: unknown };
  if (o.bufferSize !== undefined) {
    if (typeof o.bufferSize !== 'number') throw invalidArgType('options.bufferSize', 'of type number', o.bufferSize);
    if (!Number.isInteger(o.bufferSize) || o.bufferSize < 1 || o.bufferSize > 4294967295) {
      throw outOfRange('options.bufferSize', '>= 1 && <= 4294967295', o.bufferSize);
    }
  }
  return { recursive: o.recursive === true };
}
