// Layers written as object literals, so a test's stack reads like a picture of it:
//   layer({ etc: { hosts: '127.0.0.1\n' }, gone: WH, old: opaque({ x: 'y' }), l: link('/etc') })
// A string is a file, a plain object a directory, and the helpers below the other kinds.
import { MemoryLayer, type MemoryLayerOptions } from '../../bindings/layers/memory-layer.js';

const WHITEOUT_MARK = Symbol('whiteout');

export type Tree = { [name: string]: Entry };
export type Entry = string | Tree | Special;

type Special =
  | { kind: typeof WHITEOUT_MARK }
  | { kind: 'link'; target: string }
  | { kind: 'file'; data: string | Uint8Array; mode: number }
  | { kind: 'dir'; tree: Tree; opaque: boolean; mode?: number };

// Entries made by the helpers below are remembered, so a directory may hold a file named 'kind'.
const specials = new WeakSet<object>();
const special = (s: Special): Special => {
  specials.add(s);
  return s;
};

/** A whiteout entry. */
export const WH: Special = special({ kind: WHITEOUT_MARK });
export const link = (target: string): Special => special({ kind: 'link', target });
export const file = (data: string | Uint8Array, mode: number): Special => special({ kind: 'file', data, mode });
export const opaque = (tree: Tree = {}): Special => special({ kind: 'dir', tree, opaque: true });
export const dir = (tree: Tree, mode: number): Special => special({ kind: 'dir', tree, opaque: false, mode });

export function layer(tree: Tree = {}, options: MemoryLayerOptions = {}): MemoryLayer {
  return populate(new MemoryLayer(options), tree);
}

/** Write `tree` into an existing layer (e.g. a MemoryLayer subclass), through its direct methods. */
export function populate<L extends MemoryLayer>(l: L, tree: Tree): L {
  fill(l, '/', tree);
  return l;
}

function fill(l: MemoryLayer, at: string, tree: Tree): void {
  for (const [name, entry] of Object.entries(tree)) {
    const p = at === '/' ? `/${name}` : `${at}/${name}`;
    if (typeof entry === 'string') {
      l.writeFile(p, entry);
    } else if (isSpecial(entry)) {
      if (entry.kind === WHITEOUT_MARK) l.whiteout(p);
      else if (entry.kind === 'link') l.symlink(entry.target, p);
      else if (entry.kind === 'file') l.writeFile(p, entry.data, { mode: entry.mode });
      else {
        l.mkdir(p, { opaque: entry.opaque, mode: entry.mode });
        fill(l, p, entry.tree);
      }
    } else {
      l.mkdir(p);
      fill(l, p, entry);
    }
  }
}

function isSpecial(e: Tree | Special): e is Special {
  return specials.has(e);
}
