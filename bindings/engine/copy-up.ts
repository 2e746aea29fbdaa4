// Copy-up (docs/semantics.md facts 12, 13): bring a lower object into the upper — missing ancestor
// directories first — with its mode, owner, times, xattrs, symlink target and data (or, with
// metacopy, without data). Each object appears complete in one Layer.createNode call; the
// journal undoes the ones an operation made if a later step of it fails, so a failed write leaves
// every layer as it was.
import { F_MERGED, F_OPAQUE, F_REDIRECT, ROOT_ID, T_DIR, T_FILE } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import { fsError } from '../errors.js';
import type { Handle, Layer, NodeSpec } from '../layers/layer.js';
import type { EntryTable } from './entry-table.js';
import type { HardLinkIndex, IndexEntry } from './hard-link-index.js';
import type { InodeNumbers } from './inode-numbers.js';
import type { LayerStack } from './lookup.js';

/** What one write operation did to the upper, to undo it if a later step fails. */
export class WriteJournal {
  private readonly undos: (() => void)[] = [];
  /** Cache entries updated in place, as (id, gen): dropped on rollback. */
  private readonly touched: number[] = [];

  constructor(private readonly cache: DentryCache, private readonly table: EntryTable) {}

  onUndo(undo: () => void): void {
    this.undos.push(undo);
  }

  touch(id: number): void {
    this.touched.push(id, this.table.gen[id]);
  }

  /** Undo in reverse order; an undo step that fails is skipped (what it made is complete). */
  rollback(): void {
    for (let i = this.undos.length - 1; i >= 0; i--) {
      try { this.undos[i](); } catch { /* a complete copy-up left behind is harmless */ }
    }
    for (let i = 0; i < this.touched.length; i += 2) {
      if (this.table.same(this.touched[i], this.touched[i + 1])) this.cache.remove(this.touched[i]);
    }
  }
}

export class CopyUp {
  /** Told when a file's data has a complete upper copy (open readers follow it: engine/open-object.ts). */
  onCopiedUp: ((layer: number, h: Handle, upper: Handle) => void) | undefined;

  constructor(
    private readonly layers: LayerStack,
    private readonly cache: DentryCache,
    private readonly table: EntryTable,
    private readonly inodes: InodeNumbers,
    private readonly metacopy: boolean,
    /** The upper as the overlay writes to it (engine/own-writes.ts); reads go to layers[0]. */
    private readonly writer: Layer | undefined,
    private readonly index: HardLinkIndex,
  ) {}

  private get upper(): Layer { return this.layers[0]!; }

  /** The upper directory of directory entry `id`, copying it and its ancestors up if needed. */
  upperDir(id: number, j: WriteJournal): Handle {
    const reals = this.table.realsOf(id);
    if (reals[0] === 0) return reals[1];
    if (id === ROOT_ID) throw fsError('EROFS', 'open');
    const lowerReals = reals.slice();
    const parentUpper = this.upperDir(this.cache.parent(id), j);
    const L = lowerReals[0];
    const h = lowerReals[1];
    const lower = this.layers[L]!;
    const st = lower.stat(h);
    const name = this.cache.name(id);
    const spec: NodeSpec = {
      type: 'dir', mode: st.mode, uid: st.uid, gid: st.gid, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs,
      xattrs: lower.xattrs(h),
    };
    const uh = this.create(parentUpper, name, spec, j);
    this.inodes.recordCopyUp(this.upper, uh, L, h, st.ino);
    // The copy is a plain directory over the lower one(s): merged, not opaque, no redirect.
    this.table.setReals(id, [0, uh, ...lowerReals]);
    const flags = (this.cache.flags(id) | F_MERGED) & ~(F_OPAQUE | F_REDIRECT);
    this.cache.update(id, T_DIR, flags, 0, this.cache.lowest(id), uh);
    j.touch(id);
    return uh;
  }

  /**
   * Copy non-directory entry `id` (named `name` in directory entry `parent`) up. `metaOnly` asks
   * for a metadata-only copy (used when metacopy is on); `edit` adjusts the copy before it is made
   * (new data, mode, times), so a copy-up and the change that caused it land in one step.
   */
  copyUpObject(id: number, parent: number, name: string, j: WriteJournal, metaOnly: boolean, edit?: (spec: NodeSpec) => void): Handle {
    const reals = this.table.realsOf(id).slice();
    const L = reals[0];
    const h = reals[1];
    const lower = this.layers[L]!;
    const st = lower.stat(h);
    const parentUpper = this.upperDir(parent, j);
    // index=on: the names of a lower hard link are one file; one copied up before is linked to.
    const joinedEntry = this.index.wants(st.type, st.nlink) ? this.index.enter(L, h, st.nlink, reals) : undefined;
    if (joinedEntry !== undefined && (joinedEntry.upper !== 0 || (joinedEntry.attic !== 0 && this.index.onDisk(joinedEntry)))) {
      const uh = this.linkJoined(id, joinedEntry, parentUpper, name, j, metaOnly, edit);
      // Linked back from the index (a new upper handle): it keeps showing the joined file's number.
      if (joinedEntry.ino === undefined) this.inodes.recordCopyUp(this.upper, uh, L, h, st.ino);
      return uh;
    }
    const kept = joinedEntry !== undefined ? this.index.joined(joinedEntry, this.upper) : undefined;
    const source = kept?.layer ?? lower;
    const sh = kept?.h ?? h;
    const sst = kept !== undefined ? source.stat(sh) : st;
    const spec: NodeSpec = {
      type: sst.type, mode: sst.mode, uid: sst.uid, gid: sst.gid, atimeMs: sst.atimeMs, mtimeMs: sst.mtimeMs,
      xattrs: source.xattrs(sh),
    };
    const metacopy = metaOnly && this.metacopy && st.type === 'file' && kept === undefined;
    if (st.type === 'file') {
      if (metacopy) spec.metacopy = true;
      else spec.data = kept !== undefined ? source.read(sh) : this.contentOf(reals);
    } else if (st.type === 'symlink') {
      spec.target = source.readlink(sh);
    } else if (st.type === 'other') {
      spec.rdev = sst.rdev;
    }
    edit?.(spec);
    const uh = this.create(parentUpper, name, spec, j);
    // A name of a lower hard link becomes a file of its own (index off): the kernel then gives it
    // the upper's inode number, since its other names keep the lower's and are another file now.
    if (st.nlink === 1 || joinedEntry !== undefined) this.inodes.recordCopyUp(this.upper, uh, L, h, st.ino);
    if (joinedEntry !== undefined) {
      j.onUndo(this.index.setUpper(joinedEntry, uh));
      // On disk (the kernel's form): origin and count on the file, and its index entry.
      j.onUndo(this.index.record(joinedEntry, uh));
    }
    // A metacopy keeps reading its data from the lower chain; a full copy stands alone.
    this.table.setReals(id, spec.metacopy ? [0, uh, ...reals] : [0, uh]);
    if (st.type === 'file' && !spec.metacopy) this.onCopiedUp?.(reals[reals.length - 2], reals[reals.length - 1], uh);
    this.cache.update(id, this.cache.type(id), 0, 0, spec.metacopy ? this.cache.lowest(id) : 0, uh);
    j.touch(id);
    return uh;
  }

  /** The upper object of a non-directory with all its data (rename and link need a whole file). */
  wholeUpper(id: number, parent: number, name: string, j: WriteJournal): Handle {
    const reals = this.table.realsOf(id).slice();
    if (reals[0] !== 0) return this.copyUpObject(id, parent, name, j, false);
    const upper = this.writer!;
    if (reals.length > 2) {
      // A metacopy file gets its data before it moves or gains a name; its times stay.
      const st = upper.stat(reals[1]);
      upper.writeData(reals[1], this.contentOf(reals));
      upper.setTimes(reals[1], st.atimeMs, st.mtimeMs);
      this.onCopiedUp?.(reals[reals.length - 2], reals[reals.length - 1], reals[1]);
      this.table.setReals(id, [0, reals[1]]);
      this.cache.update(id, T_FILE, 0, 0, 0, reals[1]);
    }
    return reals[1];
  }

  /**
   * index=on: copy-up of a name whose joined file is in the upper already links the name to it,
   * then applies the change that caused the copy-up (`edit` of its current metadata) to it. The
   * shared file's change is not undone if a later step of the operation fails (the name is).
   */
  private linkJoined(id: number, entry: IndexEntry, parentUpper: Handle, name: string, j: WriteJournal, metaOnly: boolean,
    edit?: (spec: NodeSpec) => void): Handle {
    const upper = this.writer!;
    // Its count says one host link more now (a lower name became an upper one): rewritten after the undo.
    j.onUndo(() => this.index.persist(entry));
    if (entry.upper !== 0) {
      upper.linkName(entry.upper, parentUpper, name);
    } else {
      // On disk, a file whose upper names all went lives on as its index entry: linked back into place.
      j.onUndo(this.index.setUpper(entry, this.index.linkUp(entry, parentUpper, name)));
    }
    j.onUndo(() => upper.removeName(parentUpper, name));
    this.index.persist(entry);
    const uh = entry.upper;
    const cur = this.upper.stat(uh);
    const metacopy = this.upper.isMetacopy(uh);
    if (metacopy && !metaOnly) {
      upper.writeData(uh, this.contentOf(entry.lowerReals));
      upper.setTimes(uh, cur.atimeMs, cur.mtimeMs);
    }
    if (edit !== undefined) {
      const spec: NodeSpec = { type: cur.type, mode: cur.mode, atimeMs: cur.atimeMs, mtimeMs: cur.mtimeMs };
      edit(spec);
      if (spec.data !== undefined) upper.writeData(uh, spec.data);
      if ((spec.mode & 0o7777) !== (cur.mode & 0o7777)) upper.setMode(uh, spec.mode & 0o7777);
      if (spec.mtimeMs !== undefined && (spec.mtimeMs !== cur.mtimeMs || spec.atimeMs !== cur.atimeMs)) {
        upper.setTimes(uh, spec.atimeMs ?? spec.mtimeMs, spec.mtimeMs);
      }
    }
    const stillMeta = this.upper.isMetacopy(uh);
    this.table.setReals(id, stillMeta ? [0, uh, ...entry.lowerReals] : [0, uh]);
    this.cache.update(id, this.cache.type(id), 0, 0, stillMeta ? this.cache.lowest(id) : 0, uh);
    j.touch(id);
    return uh;
  }

  /** A file's data: the last of its real objects holds it (a metacopy chain ends at the data). */
  contentOf(reals: readonly number[]): Uint8Array {
    const L = reals[reals.length - 2];
    return this.layers[L]!.read(reals[reals.length - 1]);
  }

  /** A file's size: its data holder's. */
  sizeOf(reals: readonly number[]): number {
    const L = reals[reals.length - 2];
    return this.layers[L]!.stat(reals[reals.length - 1]).size;
  }

  private create(dir: Handle, name: string, spec: NodeSpec, j: WriteJournal): Handle {
    const upper = this.writer!;
    const h = upper.createNode(dir, name, spec);
    j.onUndo(() => upper.removeName(dir, name));
    return h;
  }
}
