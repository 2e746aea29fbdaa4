// Handles of a DirLayer: positive ints naming host objects. A handle is bound to one object's
// identity (dev, ino, birth time) forever, and remembers the layer paths where the object was seen
// (several for hard links). Without open_by_handle_at in Node an object is only reachable through
// a path, so "alive" means: still found, with the same identity, at one of its known paths.
import type { NodeStat } from '../layer.js';
import { sameObject, type HostIdentity } from './host-paths.js';

export interface HandleRecord extends HostIdentity {
  readonly handle: number;
  readonly dir: boolean;
  /** Layer paths ('' = root, 'a/b') where the object was last seen. */
  paths: string[];
  /** Known deleted or replaced: never alive again. */
  deleted: boolean;
  /** The attributes last peeked (DirLayer.peekStat), updated in place: no allocation per hit. */
  stat: NodeStat | undefined;
}

export class HandleTable {
  private readonly records: (HandleRecord | undefined)[] = [undefined];
  private readonly byIno = new Map<string, HandleRecord>();
  private readonly byPath = new Map<string, HandleRecord>();

  get(handle: number): HandleRecord | undefined {
    return Number.isInteger(handle) && handle > 0 ? this.records[handle] : undefined;
  }

  /**
   * The handle for the object `id` seen at `path`: the existing one when the identity is known
   * (a hard link or a rename adds the path), else a new one. A different object reusing a known
   * inode number (new birth time) retires the old handle.
   */
  intern(path: string, id: HostIdentity & { isDirectory(): boolean }): number {
    const key = `${id.dev}:${id.ino}`;
    const known = this.byIno.get(key);
    const atPath = this.byPath.get(path);
    if (atPath !== undefined && atPath !== known) this.unlinkPath(atPath, path);
    if (known !== undefined && sameObject(known, id) && !known.deleted) {
      if (!known.paths.includes(path)) {
        known.paths.push(path);
        this.byPath.set(path, known);
      }
      return known.handle;
    }
    if (known !== undefined) this.retire(known);
    const record: HandleRecord = {
      handle: this.records.length, dev: id.dev, ino: id.ino, birthtimeMs: id.birthtimeMs,
      dir: id.isDirectory(), paths: [path], deleted: false, stat: undefined,
    };
    this.records.push(record);
    this.byIno.set(key, record);
    this.byPath.set(path, record);
    return record.handle;
  }

  /**
   * The file behind `handle` was rebuilt and renamed over its name (a crash-safe rewrite): the
   * handle names the new object from now on, as it named the old one.
   */
  rebind(handle: number, id: HostIdentity): void {
    const record = this.get(handle);
    if (record === undefined || record.deleted) return;
    const oldKey = `${record.dev}:${record.ino}`;
    if (this.byIno.get(oldKey) === record) this.byIno.delete(oldKey);
    record.dev = id.dev;
    record.ino = id.ino;
    record.birthtimeMs = id.birthtimeMs;
    this.byIno.set(`${id.dev}:${id.ino}`, record);
  }

  /** Whatever was at `path` (and, for a directory, below it) is gone from there. */
  forgetPath(path: string, subtree: boolean): void {
    const record = this.byPath.get(path);
    if (record !== undefined) this.unlinkPath(record, path);
    if (!subtree) return;
    const prefix = path + '/';
    for (const [p, r] of [...this.byPath]) if (p.startsWith(prefix)) this.unlinkPath(r, p);
  }

  /** The object at `path` was deleted from there (unlink/rmdir); with no name left it is dead. */
  removed(path: string): void {
    const record = this.byPath.get(path);
    if (record === undefined) return;
    this.unlinkPath(record, path);
    if (record.paths.length === 0) this.retire(record);
  }

  /** A rename moved `from` to `to`: the object and, for a directory, everything under it. */
  moved(from: string, to: string): void {
    const prefix = from + '/';
    const moves: [string, string, HandleRecord][] = [];
    for (const [p, r] of this.byPath) {
      if (p === from) moves.push([p, to, r]);
      else if (p.startsWith(prefix)) moves.push([p, to + p.slice(from.length), r]);
    }
    for (const [p, , r] of moves) this.unlinkPath(r, p);
    for (const [, q, r] of moves) {
      const there = this.byPath.get(q);
      if (there !== undefined) this.unlinkPath(there, q);
      r.paths.push(q);
      this.byPath.set(q, r);
    }
  }

  private unlinkPath(record: HandleRecord, path: string): void {
    record.paths = record.paths.filter((p) => p !== path);
    if (this.byPath.get(path) === record) this.byPath.delete(path);
  }

  private retire(record: HandleRecord): void {
    record.deleted = true;
    record.stat = undefined;
    for (const p of record.paths) if (this.byPath.get(p) === record) this.byPath.delete(p);
    record.paths = [];
    const key = `${record.dev}:${record.ino}`;
    if (this.byIno.get(key) === record) this.byIno.delete(key);
  }
}
