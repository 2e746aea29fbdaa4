// Stable inode numbers (SEMANTICS.md fact 10). An object's overlay inode number is its layer's
// inode number tagged with the layer index in the high bits (as the kernel's xino does). A
// copied-up object keeps its origin's number: copy-up records upper handle → origin number here.
// Rename and link in the upper keep the handle, so they keep the number too.
// Unlike the kernel's trusted.overlay.origin xattr, the record lives as long as the overlay and is
// not written into the upper: the upper stays exactly what the kernel would write (a new overlay
// over a used upper reports the upper's own numbers for earlier copies).
import type { Handle } from '../layers/layer.js';

/** Inode numbers per layer: index * span + ino stays exact in a double for 256 layers. */
export const LAYER_INO_SPAN = 2 ** 45;

export function stableIno(layer: number, ino: number): number {
  return layer * LAYER_INO_SPAN + (ino % LAYER_INO_SPAN);
}

export class InodeNumbers {
  /** Upper handle → the overlay inode number of the object it was copied up from. */
  private readonly origins = new Map<Handle, number>();

  get size(): number { return this.origins.size; }

  /** The overlay inode number of object `h` (layer inode `layerIno`) in layer `layer`. */
  of(layer: number, h: Handle, layerIno: number): number {
    if (layer === 0) {
      const origin = this.origins.get(h);
      if (origin !== undefined) return origin;
    }
    return stableIno(layer, layerIno);
  }

  recordCopyUp(upper: Handle, originLayer: number, originHandle: Handle, originIno: number): void {
    this.origins.set(upper, this.of(originLayer, originHandle, originIno));
  }

  /** The upper object is gone: its record is no longer needed. */
  forget(upper: Handle): void {
    this.origins.delete(upper);
  }
}
