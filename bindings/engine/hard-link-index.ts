// index=on (the kernel's inodes index, Documentation/filesystems/overlayfs.rst "Index"): the
// names of a lower hard link stay one file across copy-up. The first copy-up of any of its names
// makes the upper object; a name copied up later is linked to it, and a name still only in the
// lower reads it (data, mode, times). The link count is kept here as the kernel keeps it in
// trusted.overlay.nlink: the lower's count at first use, one more per link made through the
// overlay, one less per name removed or renamed over. Only lower non-directories with more than
// one link are joined (the kernel's ovl_need_index).
// The kernel keeps the copy alive under work/index/ when its last upper name goes while lower
// names remain; here it moves to a private MemoryLayer (the attic) for them. The index lives as
// long as the overlay: it is not written to disk (docs/kernel-differences.md).
import type { Handle, Layer, NodeSpec } from '../layers/layer.js';
import { MemoryLayer } from '../layers/memory-layer.js';

export interface IndexEntry {
  /** The upper object of the joined names; 0 while none (not copied up yet, or in the attic). */
  upper: Handle;
  /** The file kept in the attic for the lower names after its last upper name went; else 0. */
  attic: Handle;
  /** The overlay's link count of the file. */
  nlink: number;
  /** The lower object's real objects ((layer, handle) pairs): a metacopy upper reads data there. */
  readonly lowerReals: readonly number[];
}

/** Where a joined file's state is read: a layer object, and for a metacopy one its data's reals. */
export interface JoinedObject {
  layer: Layer;
  h: Handle;
  /** Set when `h` is a metacopy upper file: (layer, handle) pairs whose last holds the data. */
  dataReals?: readonly number[];
}

export class HardLinkIndex {
  private readonly byLower = new Map<string, IndexEntry>();
  private readonly byUpper = new Map<Handle, IndexEntry>();
  private attic: MemoryLayer | undefined;
  private kept = 0;

  constructor(readonly enabled: boolean) {}

  /** Does the index join the names of a lower object of this type and link count? */
  wants(type: string, nlink: number): boolean {
    return this.enabled && type !== 'dir' && nlink > 1;
  }

  /** The entry of an object seen at (layer, handle), upper or lower. */
  of(layer: number, h: Handle): IndexEntry | undefined {
    if (!this.enabled) return undefined;
    return layer === 0 ? this.byUpper.get(h) : this.byLower.get(`${layer}:${h}`);
  }

  /** The entry for lower object (layer, h) with `nlink` links, made on first use. */
  enter(layer: number, h: Handle, nlink: number, lowerReals: readonly number[]): IndexEntry {
    const key = `${layer}:${h}`;
    let entry = this.byLower.get(key);
    if (entry === undefined) {
      entry = { upper: 0, attic: 0, nlink, lowerReals: lowerReals.slice() };
      this.byLower.set(key, entry);
    }
    return entry;
  }

  /** The entry's upper object is `upper` now; returns the undo (a failed operation removed it). */
  setUpper(entry: IndexEntry, upper: Handle): () => void {
    const attic = entry.attic;
    entry.upper = upper;
    entry.attic = 0;
    this.byUpper.set(upper, entry);
    return () => {
      this.byUpper.delete(upper);
      entry.upper = 0;
      entry.attic = attic;
    };
  }

  /** Where the lower names of `entry` read the joined file; undefined while it is only the lower. */
  joined(entry: IndexEntry, upper: Layer): JoinedObject | undefined {
    if (entry.attic !== 0) return { layer: this.attic!, h: entry.attic };
    if (entry.upper === 0) return undefined;
    return upper.isMetacopy(entry.upper) ? { layer: upper, h: entry.upper, dataReals: entry.lowerReals } : { layer: upper, h: entry.upper };
  }

  /**
   * An upper name of the joined file is about to go (unlink, renamed over). When it is the upper
   * object's last name and lower names remain, the file (`data`: its content) moves to the attic.
   * Returns the undo.
   */
  beforeUpperNameGoes(entry: IndexEntry, upper: Layer, data: Uint8Array): () => void {
    const uh = entry.upper;
    if (uh === 0 || entry.nlink <= 1 || upper.stat(uh).nlink > 1) return () => {};
    const st = upper.stat(uh);
    const spec: NodeSpec = {
      type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs,
      xattrs: upper.xattrs(uh), rdev: st.rdev,
      data: st.type === 'file' ? data : undefined, target: st.type === 'symlink' ? upper.readlink(uh) : undefined,
    };
    this.attic ??= new MemoryLayer({ name: 'index attic' });
    const name = `f${++this.kept}`;
    entry.attic = this.attic.createNode(this.attic.root(), name, spec);
    entry.upper = 0;
    this.byUpper.delete(uh);
    return () => {
      this.attic!.removeName(this.attic!.root(), name);
      entry.attic = 0;
      entry.upper = uh;
      this.byUpper.set(uh, entry);
    };
  }
}
