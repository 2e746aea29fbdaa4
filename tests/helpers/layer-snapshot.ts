// A complete, deterministic picture of one layer, taken through the Layer interface (so it works
// for any layer kind): every path with its type, mode, owner, size, data, symlink target, xattrs,
// whiteouts, opaque/redirect/metacopy marks and hard-link groups; optionally times and inode
// numbers. Two snapshots are compared line by line, and a difference is printed as the paths
// that differ.
import type { Handle, Layer } from '../../bindings/layers/layer.js';
import { WHITEOUT } from '../../bindings/layers/layer.js';

export interface SnapshotOptions {
  /** Include atime/mtime/ctime (default true). Off when two layers were written at other times. */
  times?: boolean;
  /** Include the layer's inode numbers (default true). Off when comparing two different layers. */
  inodes?: boolean;
}

export type LayerSnapshot = string[];

export function snapshotLayer(layer: Layer, options: SnapshotOptions = {}): LayerSnapshot {
  const times = options.times ?? true;
  const inodes = options.inodes ?? true;
  const lines: string[] = [];
  // Hard links are shown as a link to the first path (in sorted order) naming the same object.
  const firstPath = new Map<number, string>();
  const visit = (h: Handle, path: string): void => {
    const st = layer.stat(h);
    const seen = firstPath.get(st.ino);
    if (seen !== undefined && st.type !== 'dir') {
      lines.push(`${path} hardlink-of ${seen}`);
      return;
    }
    firstPath.set(st.ino, path);
    const fields = [path, st.type, `mode=${st.mode.toString(8)}`, `uid=${st.uid}`, `gid=${st.gid}`, `nlink=${st.nlink}`, `size=${st.size}`];
    if (inodes) fields.push(`ino=${st.ino}`);
    if (times) fields.push(`atime=${st.atimeMs}`, `mtime=${st.mtimeMs}`, `ctime=${st.ctimeMs}`);
    if (st.type === 'file') {
      fields.push(`data=${hex(layer.read(h))}`);
      if (layer.isMetacopy(h)) fields.push('metacopy');
    }
    if (st.type === 'symlink') fields.push(`target=${JSON.stringify(layer.readlink(h))}`);
    if (st.type === 'other') fields.push(`rdev=${st.rdev}`);
    if (st.type === 'dir') {
      if (layer.isOpaque(h)) fields.push('opaque');
      const r = layer.redirect(h);
      if (r !== undefined) fields.push(`redirect=${JSON.stringify(r)}`);
    }
    const x = layer.xattrs(h);
    const keys = Object.keys(x).sort();
    if (keys.length > 0) fields.push(`xattrs={${keys.map((k) => `${k}=${hex(x[k])}`).join(',')}}`);
    lines.push(fields.join(' '));
    if (st.type !== 'dir') return;
    for (const name of layer.list(h).slice().sort()) {
      const child = layer.lookup(h, name);
      const cp = path === '/' ? `/${name}` : `${path}/${name}`;
      if (child === WHITEOUT) lines.push(`${cp} whiteout`);
      else if (child > 0) visit(child, cp);
      else lines.push(`${cp} listed-but-absent`);
    }
  };
  visit(layer.root(), '/');
  return lines;
}

/** The lines that differ between two snapshots ('-' only in `a`, '+' only in `b`), or ''. */
export function diffSnapshots(a: LayerSnapshot, b: LayerSnapshot, limit = 20): string {
  const inA = new Set(a);
  const inB = new Set(b);
  const out: string[] = [];
  for (const line of a) if (!inB.has(line)) out.push(`- ${line}`);
  for (const line of b) if (!inA.has(line)) out.push(`+ ${line}`);
  if (out.length > limit) return [...out.slice(0, limit), `… ${out.length - limit} more`].join('\n');
  return out.join('\n');
}

function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}
