// Inode operations (the kernel's inode.c, on walked entries): getattr, setattr, and a file's
// content — read from wherever its data lives, replaced in the upper (copying up first). A write
// updates the cache entry itself; it never counts as a change underneath.
import { F_MERGED, T_DIR, T_FILE } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { Handle, Layer, NodeSpec, NodeStat } from '../layers/layer.js';
import { CopyUp, WriteJournal } from './copy-up.js';
import { CopyUpFollowers, OpenObject } from './open-object.js';
import type { EntryTable } from './entry-table.js';
import type { HardLinkIndex, IndexEntry } from './hard-link-index.js';
import type { InodeNumbers } from './inode-numbers.js';
import type { LayerStack } from './lookup.js';
import { Stats } from './stats.js';
import type { Walked } from './walked.js';

const EMPTY = new Uint8Array(0);

/** What the inode and namespace operations share of the engine. */
export interface EngineParts {
  layers: LayerStack;
  /** The upper as the engine writes to it; undefined when read-only (callers check EROFS first). */
  upper: Layer | undefined;
  cache: DentryCache;
  table: EntryTable;
  copyUp: CopyUp;
  inodes: InodeNumbers;
  index: HardLinkIndex;
}

/** New content from the old (read only if asked for: a plain write never reads it). */
export type ContentEdit = (old: () => Uint8Array) => Uint8Array;

/**
 * A change of a file's data: `inPlace` on a plain upper file (append, truncate and positional
 * writes touch only what they change), `whole` for a copy that must be made anyway (a lower file
 * copied up, a metacopy file given its data) or for a write that replaces everything.
 */
export interface DataEdit {
  inPlace?: (upper: Layer, h: Handle) => void;
  whole: ContentEdit;
}

export class InodeOps {
  private readonly followers = new CopyUpFollowers();

  constructor(private readonly e: EngineParts) {
    e.copyUp.onCopiedUp = (layer, h, upper) => this.followers.copiedUp(layer, h, upper);
  }

  /** getattr: the layer's attributes, with the stable inode number, a merged dir's nlink, a metacopy file's size. */
  stat(w: Walked): Stats {
    const { table, layers } = this.e;
    const id = w.id;
    const layer = layers[w.layer]!;
    // The entry's data is read before the layer call and written back only if the slot still
    // holds the same entry afterwards: a layer may re-enter the overlay (and evict) meanwhile.
    let ino = table.inos[id];
    const reals = table.reals[id];
    const metacopy = w.type === T_FILE && reals !== undefined;
    // The peeked record is the layer's live one: copied into Stats before any other layer call
    // (sizeOf's, for a metacopy file, could change it meanwhile — that rare case takes a copy).
    const st = w.peeked !== undefined && !metacopy ? w.peeked : layer.stat(w.handle);
    if (!ino) {
      ino = this.e.inodes.of(w.layer, w.handle, st.ino);
      if (table.same(id, w.gen)) table.inos[id] = ino;
    }
    const joined = w.type !== T_DIR ? this.e.index.of(w.layer, w.handle, st.nlink) : undefined;
    if (joined !== undefined) return this.joinedStats(joined, ino, st, metacopy ? reals : undefined);
    // Fact 11: a merged directory reports one link.
    const nlink = w.type === T_DIR && (w.flags & F_MERGED) !== 0 ? 1 : st.nlink;
    const size = metacopy ? this.e.copyUp.sizeOf(reals) : st.size;
    return new Stats(st, ino, nlink, size);
  }

  /** index=on: a name of a joined lower hard link shows the joined file, with its link count. */
  private joinedStats(entry: IndexEntry, ino: number, own: Readonly<NodeStat>, ownReals: readonly number[] | undefined): Stats {
    const at = this.e.index.joined(entry, this.e.layers[0]!);
    ino = entry.ino ?? ino;
    if (at === undefined) return new Stats(own, ino, entry.nlink, ownReals !== undefined ? this.e.copyUp.sizeOf(ownReals) : own.size);
    const st = at.layer.stat(at.h);
    return new Stats(st, ino, entry.nlink, at.dataReals !== undefined ? this.e.copyUp.sizeOf(at.dataReals) : st.size);
  }

  /** A file's data (from the lower holding it, for a metacopy file); a non-file has none. */
  content(w: Walked): Uint8Array {
    if (w.type !== T_FILE) return EMPTY;
    // index=on: a joined file's state is the index's (another name may have changed it since).
    const joined = this.e.index.of(w.layer, w.handle);
    const at = joined !== undefined ? this.e.index.joined(joined, this.e.layers[0]!) : undefined;
    if (at !== undefined) return at.dataReals !== undefined ? this.e.copyUp.contentOf(at.dataReals) : at.layer.read(at.h);
    const reals = this.e.table.reals[w.id];
    if (reals !== undefined) return this.e.copyUp.contentOf(reals);
    return this.e.layers[w.layer]!.read(w.handle);
  }

  /**
   * Change a file's data. A plain upper file is edited in place (`inPlace`), or replaced whole —
   * which a DirLayer does crash-safely, by a rename; a lower file is copied up with its new data
   * in one step, so either way the name holds the old data or the new.
   */
  setContent(w: Walked, edit: DataEdit | ContentEdit): void {
    const { inPlace, whole } = typeof edit === 'function' ? { inPlace: undefined, whole: edit } : edit;
    const { table, copyUp, cache } = this.e;
    const id = w.id;
    const reals = table.realsOf(id).slice();
    const old = () => this.content(w);
    if (reals[0] === 0) {
      const upper = this.e.upper!;
      const h = reals[1];
      if (reals.length > 2) {
        // Metacopy: the data comes up now, whole.
        upper.writeData(h, whole(old));
        copyUp.onCopiedUp?.(reals[reals.length - 2], reals[reals.length - 1], h);
        table.setReals(id, [0, h]);
        cache.update(id, T_FILE, 0, 0, 0, h);
      } else if (inPlace !== undefined) {
        inPlace(upper, h);
      } else {
        this.replaceKeepingIno(upper, h, whole(old));
      }
      return;
    }
    const data = whole(old);
    journaled(this.e, (j) => {
      copyUp.copyUpObject(id, w.parent, w.name, j, false, (spec) => { spec.data = data; spec.mtimeMs = undefined; });
    });
  }

  /**
   * Open a file: for writing, in the upper with all its data (copied up first); for reading, the
   * object holding its data. The open object keeps that object across rename and unlink.
   */
  open(w: Walked, writable: boolean): OpenObject {
    const { table, copyUp, layers } = this.e;
    const ino = this.stat(w).ino;
    if (writable) {
      const h = journaled(this.e, (j) => copyUp.wholeUpper(w.id, w.parent, w.name, j));
      return new OpenObject(this.e.upper!.open(h, true), ino, true);
    }
    const reals = table.reals[w.id];
    const L = reals === undefined ? w.layer : reals[reals.length - 2];
    const h = reals === undefined ? w.handle : reals[reals.length - 1];
    const file = layers[L]!.open(h, false);
    const upper = layers[0];
    if (L === 0 || upper === undefined) return new OpenObject(file, ino, false);
    const followers = this.followers;
    const meta = reals === undefined ? undefined : { layer: layers[w.layer]!, h: w.handle };
    const obj: OpenObject = new OpenObject(file, ino, false, { upper, stop: () => followers.unfollow(L, h, obj) }, meta);
    followers.follow(L, h, obj);
    return obj;
  }

  /** writeData, keeping the file's overlay inode number if the layer made a new object of it. */
  private replaceKeepingIno(upper: Layer, h: Handle, data: Uint8Array): void {
    const before = upper.stat(h).ino;
    upper.writeData(h, data);
    if (upper.stat(h).ino !== before) this.e.inodes.recordCopyUp(upper, h, 0, h, before);
  }

  /**
   * setattr (chmod, utimes): `apply` on the upper object, copying up first — metadata only with
   * metacopy, `edit` making the copy carry the change from the start.
   */
  setattr(w: Walked, apply: (upper: Layer, h: Handle) => void, edit: (spec: NodeSpec) => void): void {
    const upper = this.e.upper!;
    if (w.layer === 0) {
      apply(upper, w.handle);
      return;
    }
    const { copyUp } = this.e;
    journaled(this.e, (j) => {
      if (w.type === T_DIR) apply(upper, copyUp.upperDir(w.id, j));
      else copyUp.copyUpObject(w.id, w.parent, w.name, j, true, edit);
    });
  }
}

/** Run one write's steps with a journal; if one fails, undo the ones before and rethrow. */
export function journaled<T>(e: Pick<EngineParts, 'cache' | 'table'>, steps: (j: WriteJournal) => T): T {
  const j = new WriteJournal(e.cache, e.table);
  try {
    return steps(j);
  } catch (err) {
    j.rollback();
    throw err;
  }
}
