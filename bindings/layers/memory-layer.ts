// MemoryLayer: a mutable in-memory layer. Two faces:
// - the handle-based `Layer` interface the overlay drives (each write notifies subscribers with
//   the `LayerChange` the matching path method sends; the writing overlay skips its own), and
// - path-based methods (`mkdir`, `writeFile`, `unlink`, …) that model changes made to the layer
//   itself, underneath the overlays using it; each notifies subscribers with a `LayerChange`.
// Handles double as inode numbers: one per-layer counter, never reused, so a cached handle can be
// compared for identity for as long as the layer lives.
// The class is built up in bindings/layers/memory/: node-store (nodes, linking, paths) ←
// change-notices ← file-content (data, open files) ← layer-writes ← path-changes ← MemoryLayer.
import { fsError } from '../errors.js';
import { WHITEOUT, type Handle, type Layer, type NodeStat } from './layer.js';
import { MemoryPathChanges } from './memory/path-changes.js';
import { statOf } from './memory/node-store.js';
// The mode constants live with the Layer interface; re-exported for existing importers.
export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './layer.js';

export interface MemoryLayerOptions {
  /** Milliseconds a cached answer from this layer stays trustworthy (simulates a remote layer). */
  ttlMs?: number;
  name?: string;
  /** A read-only layer refuses the overlay's writes (EROFS); its own path methods still work. */
  readonly?: boolean;
  /** Time source for timestamps (ms since the epoch); Date.now by default. */
  clock?: () => number;
}

export class MemoryLayer extends MemoryPathChanges implements Layer {
  readonly name: string;
  readonly writable: boolean;
  readonly ttlMs: number;

  constructor(options: MemoryLayerOptions = {}) {
    super(options.clock ?? Date.now);
    this.name = options.name ?? 'memory';
    this.writable = options.readonly !== true;
    this.ttlMs = options.ttlMs ?? 0;
  }

  // ---- Layer: reads ----

  root(): Handle { return this.rootHandle; }

  list(dir: Handle): string[] {
    const d = this.nodes[dir];
    return d?.children === undefined ? [] : [...d.children.keys()];
  }

  stat(h: Handle): NodeStat {
    return statOf(this.live(h, 'stat'));
  }

  /** The node is its own stat record (see MemNode.size/nlink): no allocation per call. */
  peekStat(h: Handle): Readonly<NodeStat> | undefined { return h > 0 ? this.nodes[h] : undefined; }

  alive(h: Handle): boolean { return h > 0 && this.nodes[h] !== undefined; }
  /** Every change to a node is notified as it is made (path methods and overlay writes alike). */
  vouches(): boolean { return this.ttlMs === 0; }
  isOpaque(dir: Handle): boolean { return this.nodes[dir]?.opaque === true; }
  redirect(dir: Handle): string | undefined { return this.nodes[dir]?.redirect; }
  isMetacopy(h: Handle): boolean { return this.nodes[h]?.metacopy === true; }

  read(h: Handle): Uint8Array {
    const n = this.live(h, 'read');
    if (n.type === 'dir') throw fsError('EISDIR', 'read');
    return n.data.slice();
  }

  readlink(h: Handle): string {
    const n = this.live(h, 'readlink');
    if (n.type !== 'symlink') throw fsError('EINVAL', 'readlink');
    return n.target;
  }

  xattrs(h: Handle): Record<string, Uint8Array> {
    const n = this.live(h, 'getxattr');
    const out: Record<string, Uint8Array> = {};
    for (const [k, v] of n.xattrs) out[k] = v.slice();
    return out;
  }
  // ---- Inspection helpers (tests, the reference model) ----

  /** A deterministic dump of the whole layer (for "byte-for-byte unchanged" checks). */
  snapshot(): string {
    const out: string[] = [];
    const walk = (h: Handle, path: string): void => {
      const n = this.nodes[h]!;
      const x = [...n.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${Buffer.from(v).toString('hex')}`);
      out.push(`${path} ino=${n.ino} ${n.type} mode=${n.mode.toString(8)} uid=${n.uid} gid=${n.gid} links=${n.links} ` +
        `t=${n.atimeMs},${n.mtimeMs},${n.ctimeMs} rdev=${n.rdev} opaque=${n.opaque} redirect=${n.redirect ?? ''} ` +
        `metacopy=${n.metacopy} data=${Buffer.from(n.data).toString('hex')} target=${n.target} x=[${x.join(',')}]`);
      if (n.children === undefined) return;
      for (const name of [...n.children.keys()].sort()) {
        const c = n.children.get(name)!;
        const cp = path === '/' ? `/${name}` : `${path}/${name}`;
        if (c === WHITEOUT) out.push(`${cp} whiteout`);
        else walk(c, cp);
      }
    };
    walk(this.rootHandle, '/');
    return out.join('\n');
  }

  /** A deep copy: same handles and inode numbers, no subscribers. */
  clone(options: { name?: string; ttlMs?: number; readonly?: boolean } = {}): MemoryLayer {
    const copy = new MemoryLayer({
      name: options.name ?? this.name, ttlMs: options.ttlMs ?? this.ttlMs,
      readonly: options.readonly ?? !this.writable, clock: this.clock,
    });
    copy.nodes = this.nodes.map((n) => n === undefined ? undefined : {
      ...n,
      data: n.data.slice(),
      xattrs: new Map([...n.xattrs].map(([k, v]) => [k, v.slice()])),
      children: n.children === undefined ? undefined : new Map(n.children),
    });
    return copy;
  }
}
