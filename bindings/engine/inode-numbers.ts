// Stable inode numbers (SEMANTICS.md fact 10). An object's overlay inode number is its layer's
// inode number tagged with the layer index in the high bits (as the kernel's xino does), and a
// copied-up object keeps its origin's number: copy-up records the origin (layer, ino) in an xattr
// on the upper copy — persistent, like the kernel's trusted.overlay.origin — so rename and link
// in the upper (same object) and any fresh overlay over the same layers agree.
import type { Handle, Layer } from '../layers/layer.js';

/** Strata's private xattrs on upper objects; never copied up from a lower. */
export const PRIVATE_XATTR_PREFIX = 'trusted.strata.';
export const ORIGIN_XATTR = 'trusted.strata.origin';

/** Inode numbers per layer: index * span + ino stays exact in a double for 256 layers. */
export const LAYER_INO_SPAN = 2 ** 45;

export function stableIno(layer: number, ino: number): number {
  return layer * LAYER_INO_SPAN + (ino % LAYER_INO_SPAN);
}

/** Where a copied-up object came from: its lower layer, inode number there, and lower path. */
export interface Origin {
  layer: number;
  ino: number;
  /** Absolute path in that layer (metacopy reads the data from there). */
  path: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeOrigin(o: Origin): Uint8Array {
  return encoder.encode(`${o.layer}:${o.ino}:${o.path}`);
}

export function decodeOrigin(bytes: Uint8Array | undefined): Origin | undefined {
  if (bytes === undefined) return undefined;
  const text = decoder.decode(bytes);
  const a = text.indexOf(':');
  const b = text.indexOf(':', a + 1);
  if (a < 0 || b < 0) return undefined;
  const layer = Number(text.slice(0, a));
  const ino = Number(text.slice(a + 1, b));
  if (!Number.isInteger(layer) || !Number.isInteger(ino)) return undefined;
  return { layer, ino, path: text.slice(b + 1) };
}

/** The origin recorded on an upper object, if it is a copy-up. */
export function originOf(upper: Layer, h: Handle): Origin | undefined {
  return decodeOrigin(upper.xattrs(h)[ORIGIN_XATTR]);
}

/** The overlay inode number of the object `h` in layer `layerIndex`. */
export function inoOf(layers: readonly (Layer | undefined)[], layerIndex: number, h: Handle, layerIno: number): number {
  if (layerIndex === 0) {
    const origin = originOf(layers[0]!, h);
    if (origin !== undefined) return stableIno(origin.layer, origin.ino);
  }
  return stableIno(layerIndex, layerIno);
}

/** A lower object's xattrs minus Strata's private ones, plus the origin record. */
export function copyUpXattrs(lower: Layer, h: Handle, origin: Origin): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  const xattrs = lower.xattrs(h);
  for (const key of Object.keys(xattrs)) {
    if (!key.startsWith(PRIVATE_XATTR_PREFIX) && !key.startsWith('trusted.overlay.')) out[key] = xattrs[key];
  }
  out[ORIGIN_XATTR] = encodeOrigin(origin);
  return out;
}
