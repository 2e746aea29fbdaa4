// index=on (the kernel's inodes index, Documentation/filesystems/overlayfs.rst "Index"): the
// names of a lower hard link stay one file across copy-up. The first copy-up of any of its names
// makes the upper object; a name copied up later is linked to it, and a name still only in the
// lower reads it (data, mode, times). The link count is kept here as the kernel keeps it in
// trusted.overlay.nlink: the lower's count at first use, one more per link made through the
// overlay, one less per name removed or renamed over. Only lower non-directories with more than
// one link are joined (the kernel's ovl_need_index).
// Over DirLayers the index is the kernel's on-disk one (layers/host/index-dir.ts), consulted
// lazily: an object's entry is read from disk the first time the overlay meets it, so a reopened
// overlay (or one over a tree the kernel wrote) shows the same joined files without a scan.
// Elsewhere it lives as long as the overlay, and when the last upper name of a file goes while
// lower names remain the file moves to a private MemoryLayer (the attic) — what the kernel's
// `work/index/` entry does on disk.
import type { Handle, Layer, NodeSpec } from '../layers/layer.js';
import { MemoryLayer } from '../layers/memory-layer.js';
import type { IndexDir } from '../layers/host/index-dir.js';
import { stableIno } from './inode-numbers.js';

export interface IndexEntry {
  /** The upper object of the joined names; 0 while none (not copied up yet, or in the attic). */
  upper: Handle;
  /** The file kept for the lower names after its last upper name went (on disk: the index entry); else 0. */
  attic: Handle;
  /** The overlay's link count of the file. */
  nlink: number;
  /** The lower object's real objects ((layer, handle) pairs): a metacopy upper reads data there. */
  lowerReals: readonly number[];
  /** On disk: the index entry's name (hex of the origin). */
  key?: string;
  /** An entry found on disk: the inode number all its names show (the upper inode's). */
  ino?: number;
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
  private readonly byKey = new Map<string, IndexEntry>();
  /** Objects (`layer:handle`) found to have no entry on disk: not asked again. */
  private readonly notOnDisk = new Set<string>();
  private attic: MemoryLayer | undefined;
  private kept = 0;

  /** `layers`: index 0 the upper; `disk`: the on-disk index when the layers hold one. */
  /**
   * `layers`: index 0 the upper; `disk`: the on-disk index when the layers hold one; `asOwn` runs
   * its writes as the overlay's own (engine/own-writes.ts).
   */
  constructor(readonly enabled: boolean, private readonly layers: readonly (Layer | undefined)[] = [], readonly disk?: IndexDir,
    private readonly asOwn: <T>(fn: () => T) => T = (fn) => fn()) {}

  /** On disk: the joined file was just copied up to `uh` — origin, count and index entry. Returns the undo. */
  record(entry: IndexEntry, uh: Handle): () => void {
    const disk = this.disk;
    const key = entry.key;
    if (disk === undefined || key === undefined) return () => {};
    this.asOwn(() => disk.record(key, uh, entry.nlink));
    return () => disk.remove(key);
  }

  /** On disk: link the file of `entry`, kept as its index entry only, as `name` in upper directory `dir`. */
  linkUp(entry: IndexEntry, dir: Handle, name: string): Handle {
    return this.asOwn(() => this.disk!.linkUp(entry.key!, dir, name));
  }

  /** Does the index join the names of a lower object of this type and link count? */
  wants(type: string, nlink: number): boolean {
    return this.enabled && type !== 'dir' && nlink > 1;
  }

  /**
   * The entry of an object seen at (layer, handle), upper or lower; `nlink`, the object's host
   * link count when the caller has it (a single link is never joined: no disk lookup).
   */
  of(layer: number, h: Handle, nlink?: number): IndexEntry | undefined {
    if (!this.enabled) return undefined;
    const hit = layer === 0 ? this.byUpper.get(h) : this.byLower.get(`${layer}:${h}`);
    if (hit !== undefined || this.disk === undefined || (nlink !== undefined && nlink <= 1)) return hit;
    if (this.notOnDisk.has(`${layer}:${h}`)) return undefined;
    return this.fromDisk(layer, h, this.disk);
  }

  /** The entry for lower object (layer, h) with `nlink` links, made on first use. */
  enter(layer: number, h: Handle, nlink: number, lowerReals: readonly number[]): IndexEntry {
    const existing = this.of(layer, h);
    if (existing !== undefined) return existing;
    const entry: IndexEntry = { upper: 0, attic: 0, nlink, lowerReals: lowerReals.slice() };
    if (this.disk !== undefined) {
      // A lower whose filesystem gives no file handles cannot be indexed on disk (the kernel then
      // mounts with index off): that file's names stay joined in memory.
      entry.key = this.keyOfLower(layer, h);
      if (entry.key !== undefined) this.byKey.set(entry.key, entry);
    }
    this.byLower.set(`${layer}:${h}`, entry);
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
    if (entry.attic !== 0) {
      const kept = this.onDisk(entry) ? this.disk!.layer : this.attic!;
      // On disk the kept file is the upper one as it was: metacopy still, its data below.
      if (kept.isMetacopy(entry.attic)) return entry.lowerReals.length > 0 ? { layer: kept, h: entry.attic, dataReals: entry.lowerReals } : undefined;
      return { layer: kept, h: entry.attic };
    }
    if (entry.upper === 0) return undefined;
    if (!upper.isMetacopy(entry.upper)) return { layer: upper, h: entry.upper };
    // An entry found from an upper name does not know its lower: that name's own chain serves.
    return entry.lowerReals.length > 0 ? { layer: upper, h: entry.upper, dataReals: entry.lowerReals } : undefined;
  }

  /**
   * An upper name of the joined file is about to go (unlink, renamed over). When it is the upper
   * object's last name and lower names remain, the file stays for them: on disk as the index
   * entry, else moved (`data`: its content) to the attic. Returns the undo.
   */
  beforeUpperNameGoes(entry: IndexEntry, upper: Layer, data: () => Uint8Array): () => void {
    const uh = entry.upper;
    const onDisk = this.onDisk(entry);
    // On disk the index entry is one more host link of the file.
    if (uh === 0 || entry.nlink <= 1 || upper.stat(uh).nlink > (onDisk ? 2 : 1)) return () => {};
    if (onDisk) {
      const kept = this.disk!.find(entry.key!);
      if (kept === undefined) return () => {};
      entry.attic = kept.h;
      entry.upper = 0;
      this.byUpper.delete(uh);
      return () => {
        entry.attic = 0;
        entry.upper = uh;
        this.byUpper.set(uh, entry);
      };
    }
    const st = upper.stat(uh);
    const spec: NodeSpec = {
      type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs,
      xattrs: upper.xattrs(uh), rdev: st.rdev,
      data: st.type === 'file' ? data() : undefined, target: st.type === 'symlink' ? upper.readlink(uh) : undefined,
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

  /**
   * The on-disk entry now says `entry.nlink` (removed at 0); `hostDelta`: a host link change that
   * follows. Returns the undo (rewrites what the entry says after the in-memory undo).
   */
  persist(entry: IndexEntry, hostDelta = 0): () => void {
    if (this.disk === undefined || entry.key === undefined) return () => {};
    const disk = this.disk;
    const key = entry.key;
    this.asOwn(() => disk.sync(key, entry.nlink, entry.upper, hostDelta));
    return () => this.asOwn(() => disk.sync(key, entry.nlink, entry.upper));
  }

  /**
   * A lower-only name of `entry` goes while no name of it is in the upper: on disk the kernel then
   * copies the file into the index, where its new count lives. Returns the undo.
   */
  keepInIndex(entry: IndexEntry, lower: Layer, h: Handle): () => void {
    if (this.disk === undefined || entry.key === undefined || entry.upper !== 0 || entry.attic !== 0 || entry.nlink <= 0) return () => {};
    const disk = this.disk;
    const key = entry.key;
    entry.attic = disk.copyIn(key, lower, h, entry.nlink);
    return () => {
      disk.remove(key);
      entry.attic = 0;
    };
  }

  /** Is the entry kept in the on-disk index (else in memory)? */
  onDisk(entry: IndexEntry): boolean {
    return this.disk !== undefined && entry.key !== undefined;
  }

  private keyOfLower(layer: number, h: Handle): string | undefined {
    try {
      return this.disk!.keyOfLower(layer, h);
    } catch (err) {
      // No handle from this filesystem (or one too long for the overlay's format): not indexable.
      if (err instanceof RangeError || ['EOPNOTSUPP', 'ENOTSUP', 'EOVERFLOW'].includes((err as { code?: string }).code ?? '')) return undefined;
      throw err;
    }
  }

  private notJoined(layer: number, h: Handle): undefined {
    this.notOnDisk.add(`${layer}:${h}`);
    return undefined;
  }

  /** An entry read from disk for an object met for the first time, or undefined. */
  private fromDisk(layer: number, h: Handle, disk: IndexDir): IndexEntry | undefined {
    const at = this.layers[layer];
    if (at === undefined) return undefined;
    const st = at.stat(h);
    // An upper name of an indexed file has the index entry as a second host link.
    if (!this.wants(st.type, st.nlink)) return undefined;
    // Remembered only for objects that could be joined: memory follows the lower hard links met.
    const key = layer === 0 ? disk.keyOfUpper(h) : this.keyOfLower(layer, h);
    if (key === undefined) return this.notJoined(layer, h);
    let entry = this.byKey.get(key);
    if (entry === undefined) {
      const found = disk.find(key, layer !== 0 ? st.nlink : undefined);
      if (found === undefined || (layer === 0 && found.hostIno !== st.ino)) return this.notJoined(layer, h);
      entry = { upper: 0, attic: found.h, nlink: found.nlink, lowerReals: layer === 0 ? [] : [layer, h], key, ino: stableIno(0, found.hostIno) };
      this.byKey.set(key, entry);
    } else if (layer !== 0 && entry.lowerReals.length === 0) {
      // Found first from an upper name: its lower is known now (a metacopy upper reads data there).
      entry.lowerReals = [layer, h];
    }
    if (layer === 0) {
      entry.upper = h;
      entry.attic = 0;
      this.byUpper.set(h, entry);
    } else {
      this.byLower.set(`${layer}:${h}`, entry);
    }
    return entry;
  }
}
