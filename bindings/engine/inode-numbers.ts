// Stable inode numbers (docs/semantics.md fact 10). An object's overlay inode number is its layer's
// inode number tagged with the layer index in the high bits (as the kernel's xino does). A
// copied-up object keeps its origin's number: copy-up records upper handle → origin number here.
// Rename and link in the upper keep the handle, so they keep the number too.
// Unlike the kernel's trusted.overlay.origin xattr, the record lives as long as the overlay and is
// not written into the upper: the upper stays exactly what the kernel would write (a new overlay
// over a used upper reports the upper's own numbers for earlier copies).
// An upper object keeps the number it first showed even if its layer's number for it changes
// (DirLayer rewrites a file's data into a new host inode under the same handle); a number the host
// then hands to a new object, while the first still shows it, is replaced by a fresh one.
// Records of upper objects that died (removed, renamed over, rolled back) are swept out whenever
// a map doubles, so each stays within twice the live objects however many come and go.
import type { Handle, Layer } from '../layers/layer.js';

/** The map is swept when it reaches this size, then at twice what a sweep leaves. */
const FIRST_SWEEP = 1024;

/** Inode numbers per layer: index * span + ino stays exact in a double for 256 layers. */
export const LAYER_INO_SPAN = 2 ** 45;

export function stableIno(layer: number, ino: number): number {
  return layer * LAYER_INO_SPAN + (ino % LAYER_INO_SPAN);
}

/** Fresh upper numbers (a host reused a number still shown) start here, above host inode numbers. */
const FRESH_BASE = 2 ** 44;

export class InodeNumbers {
  /** Upper handle → the overlay inode number of the object it was copied up from. */
  private readonly origins = new Map<Handle, number>();
  private sweepAt = FIRST_SWEEP;
  /** Upper handle → the number it showed first (not copied up); and number → that handle. */
  private readonly shown = new Map<Handle, number>();
  private readonly shownBy = new Map<number, Handle>();
  private shownSweepAt = FIRST_SWEEP;
  private fresh = 0;

  /** `upper` (when there is one) says which upper objects are still alive. */
  constructor(private readonly upper?: Pick<Layer, 'alive'>) {}

  /** Copy-up records. */
  get size(): number { return this.origins.size; }

  /** First-shown numbers of upper objects (swept like the copy-up records). */
  get shownSize(): number { return this.shown.size; }

  /** The overlay inode number of object `h` (layer inode `layerIno`) in layer `layer`. */
  of(layer: number, h: Handle, layerIno: number): number {
    if (layer !== 0) return stableIno(layer, layerIno);
    const origin = this.origins.get(h);
    if (origin !== undefined) return origin;
    const first = this.shown.get(h);
    if (first !== undefined) return first;
    let n = stableIno(0, layerIno);
    const holder = this.shownBy.get(n);
    if (holder !== undefined && holder !== h && this.upper?.alive(holder) !== false) n = stableIno(0, FRESH_BASE + ++this.fresh);
    this.shown.set(h, n);
    this.shownBy.set(n, h);
    if (this.shown.size >= this.shownSweepAt) this.sweepShown();
    return n;
  }

  private sweepShown(): void {
    for (const [h, n] of this.shown) {
      if (this.upper?.alive(h) !== false) continue;
      this.shown.delete(h);
      if (this.shownBy.get(n) === h) this.shownBy.delete(n);
    }
    this.shownSweepAt = Math.max(FIRST_SWEEP, 2 * this.shown.size);
  }

  /** `upperLayer` holds `upper`; it says which recorded objects are still alive when sweeping. */
  recordCopyUp(upperLayer: Pick<Layer, 'alive'>, upper: Handle, originLayer: number, originHandle: Handle, originIno: number): void {
    this.origins.set(upper, this.of(originLayer, originHandle, originIno));
    if (this.origins.size < this.sweepAt) return;
    for (const h of this.origins.keys()) if (!upperLayer.alive(h)) this.origins.delete(h);
    this.sweepAt = Math.max(FIRST_SWEEP, 2 * this.origins.size);
  }

  /** The upper object is gone: its record is no longer needed. */
  forget(upper: Handle): void {
    this.origins.delete(upper);
    const n = this.shown.get(upper);
    if (n === undefined) return;
    this.shown.delete(upper);
    if (this.shownBy.get(n) === upper) this.shownBy.delete(n);
  }
}
