// Stable inode numbers (SEMANTICS.md fact 10). An object's overlay inode number is its layer's
// inode number tagged with the layer index in the high bits (as the kernel's xino does). A
// copied-up object keeps its origin's number: copy-up records upper handle → origin number here.
// Rename and link in the upper keep the handle, so they keep the number too.
// Unlike the kernel's trusted.overlay.origin xattr, the record lives as long as the overlay and is
// not written into the upper: the upper stays exactly what the kernel would write (a new overlay
// over a used upper reports the upper's own numbers for earlier copies).
// Records of upper objects that died (removed, renamed over, rolled back) are swept out whenever
// the map doubles, so it stays within twice the live copied-up objects however many come and go.
import type { Handle, Layer } from '../layers/layer.js';

/** The map is swept when it reaches this size, then at twice what a sweep leaves. */
const FIRST_SWEEP = 1024;

/** Inode numbers per layer: index * span + ino stays exact in a double for 256 layers. */
export const LAYER_INO_SPAN = 2 ** 45;

export function stableIno(layer: number, ino: number): number {
  return layer * LAYER_INO_SPAN + (ino % LAYER_INO_SPAN);
}

export class InodeNumbers {
  /** Upper handle → the overlay inode number of the object it was copied up from. */
  private readonly origins = new Map<Handle, number>();
  private sweepAt = FIRST_SWEEP;

  get size(): number { return this.origins.size; }

  /** The overlay inode number of object `h` (layer inode `layerIno`) in layer `layer`. */
  of(layer: number, h: Handle, layerIno: number): number {
    if (layer === 0) {
      const origin = this.origins.get(h);
      if (origin !== undefined) return origin;
    }
    return stableIno(layer, layerIno);
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
  }
}
