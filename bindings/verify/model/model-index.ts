// The model's index=on (kernel "Index"): the names of a lower hard link stay one file across
// copy-up. Written apart from the engine's (engine/hard-link-index.ts) on purpose: it is the
// oracle. Settled on the kernel (6.18, index=on, xino=off): every name keeps the lower's st_ino;
// after one name is copied up and changed, the others read the new data and mode; the link count
// is the lower's, one more per overlay link, one less per name removed or renamed over.
// The kernel keeps the copied-up file alive under work/index/ when its last upper name goes while
// lower names remain; the model keeps it in a private layer (the attic) for them instead.
import type { Handle, Layer, NodeSpec } from '../../layers/layer.js';
import { MemoryLayer } from '../../layers/memory-layer.js';
import type { MNode, Real } from './model-lookup.js';

export interface ModelIndexEntry {
  /** The joined upper object; 0 while none (never copied up, or in the attic). */
  upper: Handle;
  nlink: number;
  lowerReals: Real[];
  /** The file kept for the lower names after its last upper name went. */
  attic: Handle;
}

export class ModelIndex {
  private readonly byLower = new Map<string, ModelIndexEntry>();
  private readonly byUpper = new Map<Handle, ModelIndexEntry>();
  private readonly attic = new MemoryLayer({ name: 'index attic' });
  private kept = 0;

  constructor(readonly enabled: boolean) {}

  /** The entry of `node`'s object, if the index keeps it (made on first use when `make`). */
  entryOf(node: MNode, make: boolean): ModelIndexEntry | undefined {
    if (!this.enabled || node.type === 'dir') return undefined;
    const top = node.reals[0];
    if (top.li === 0) return this.byUpper.get(top.h);
    const key = `${top.li}:${top.h}`;
    let entry = this.byLower.get(key);
    const nlink = top.layer.stat(top.h).nlink;
    if (entry === undefined && make && nlink > 1) {
      entry = { upper: 0, nlink, lowerReals: node.reals.slice(), attic: 0 };
      this.byLower.set(key, entry);
    }
    return entry;
  }

  setUpper(entry: ModelIndexEntry, upper: Handle): void {
    entry.upper = upper;
    entry.attic = 0;
    this.byUpper.set(upper, entry);
  }

  /** The real objects `node` reads: its joined upper object, or the attic's, or its own. */
  realsOf(node: MNode, upper: Layer | undefined): Real[] {
    const entry = this.entryOf(node, false);
    if (entry === undefined || node.reals[0].li === 0) return node.reals;
    if (entry.attic !== 0) return [{ li: -1, layer: this.attic, h: entry.attic }];
    if (entry.upper === 0 || upper === undefined) return node.reals;
    const mine: Real = { li: 0, layer: upper, h: entry.upper };
    return upper.isMetacopy(entry.upper) ? [mine, ...entry.lowerReals] : [mine];
  }

  /** The upper name of a joined file goes: if it was its last and lower names remain, keep it. */
  beforeUpperNameGoes(entry: ModelIndexEntry, upper: Layer, data: Uint8Array): void {
    if (entry.upper === 0 || upper.stat(entry.upper).nlink > 1 || entry.nlink <= 1) return;
    const st = upper.stat(entry.upper);
    const spec: NodeSpec = {
      type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs,
      xattrs: upper.xattrs(entry.upper), data: st.type === 'file' ? data : undefined,
      target: st.type === 'symlink' ? upper.readlink(entry.upper) : undefined, rdev: st.rdev,
    };
    this.byUpper.delete(entry.upper);
    entry.upper = 0;
    entry.attic = this.attic.createNode(this.attic.root(), `f${++this.kept}`, spec);
  }

  /** One object to rename(2) with index on: the same joined file. */
  same(a: MNode, b: MNode): boolean {
    const ea = this.entryOf(a, false);
    if (ea !== undefined) return ea === this.entryOf(b, false);
    const ta = a.reals[0];
    const tb = b.reals[0];
    // Two lower names of one lower file are one overlay inode with index on (hashed by lower).
    return this.enabled && ta.li > 0 && ta.li === tb.li && ta.h === tb.h;
  }
}
