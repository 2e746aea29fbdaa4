// Seeded random lower layers for the kernel differential: small trees over a tiny namespace, so
// names collide across layers all the time (merged directories, files hiding directories,
// whiteouts and opaque directories hiding lower entries, symlinks between them). The same spec is
// written twice — once under the kernel mount, once under Strata's DirLayers — so both sides
// start from identical copies.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Rng } from '../prng.js';
import { makeWhiteoutDevice, setXattrRaw } from './host-fixtures.js';

export type SpecNode =
  | { kind: 'dir'; mode: number; opaque: boolean; children: Map<string, SpecNode> }
  | { kind: 'file'; mode: number; data: string }
  | { kind: 'symlink'; target: string }
  | { kind: 'whiteout' }
  /** Another name of a file of the same layer (`target`: its absolute path in the layer). */
  | { kind: 'hardlink'; target: string };

export type SpecDir = Extract<SpecNode, { kind: 'dir' }>;

/** The namespace every layer and every operation draws from. */
export const NAMES = ['a', 'b', 'c', 'd', 'e'];
export const MAX_DEPTH = 3;
/** An absolute symlink target that exists on neither side (the kernel would resolve an absolute
 *  target on the host, Strata within the overlay: only a target missing in both compares). */
export const NOWHERE = '/.strata-nowhere';

const FILE_MODES = [0o644, 0o644, 0o600, 0o755, 0o444];

/** A relative target from a link in directory `dirDepth` levels down, never climbing above root. */
export function randomLinkTarget(rng: Rng, dirDepth: number, ownName: string): string {
  const r = rng.next();
  if (r < 0.06) return ownName; // a loop: ELOOP on both sides
  if (r < 0.1) return `${NOWHERE}/${rng.pick(NAMES)}`;
  const ups = rng.int(dirDepth + 1);
  const parts: string[] = Array.from({ length: ups }, () => '..');
  const downs = 1 + rng.int(2);
  for (let i = 0; i < downs; i++) parts.push(rng.pick(NAMES));
  return parts.join('/');
}

function randomDir(rng: Rng, layer: number, bottom: boolean, depth: number, at: string): SpecDir {
  const dir: SpecDir = { kind: 'dir', mode: rng.chance(0.1) ? 0o700 : 0o755, opaque: false, children: new Map() };
  const presence = [0.75, 0.5, 0.35][depth] ?? 0;
  for (const name of NAMES) {
    if (!rng.chance(presence)) continue;
    const p = `${at}/${name}`;
    const r = rng.next();
    let node: SpecNode;
    if (r < 0.45 && depth < MAX_DEPTH - 1) {
      node = randomDir(rng, layer, bottom, depth + 1, p);
      node.opaque = !bottom && rng.chance(0.15);
    } else if (r < 0.78) {
      node = { kind: 'file', mode: rng.pick(FILE_MODES), data: `L${layer}${p} ${rng.int(1000)}\n` };
    } else if (r < 0.88) {
      node = { kind: 'symlink', target: randomLinkTarget(rng, depth, name) };
    } else {
      node = bottom && rng.chance(0.7) ? { kind: 'file', mode: 0o644, data: `L${layer}${p}\n` } : { kind: 'whiteout' };
    }
    dir.children.set(name, node);
  }
  return dir;
}

/**
 * Random operations play under this directory, not at the overlay root. A relative symlink moved
 * closer to the root can climb above it — Strata refuses that (EINVAL), the kernel walks out of
 * the mount onto the host — so the playground sits MAX_DEPTH - 1 levels down: no generated
 * target can climb out of the mount, and both sides resolve every `..` inside the overlay.
 */
export const PLAYGROUND = '/p/q';

/** `count` lower layers, topmost first, each holding its random tree under PLAYGROUND. */
export function randomLowers(rng: Rng, count: number): SpecDir[] {
  return Array.from({ length: count }, (_, i) => {
    let tree = randomDir(rng, i, i === count - 1, 0, PLAYGROUND);
    addHardLinks(rng, tree, PLAYGROUND);
    for (const name of PLAYGROUND.split('/').filter((c) => c !== '').reverse()) {
      tree = { kind: 'dir', mode: 0o755, opaque: false, children: new Map([[name, tree]]) };
    }
    return tree;
  });
}

/**
 * Lower hard links: in about half the layers, one or two files get another name at a free name
 * of some directory of the same layer (copy-up splits them with index=off, joins with index=on).
 */
function addHardLinks(rng: Rng, tree: SpecDir, at: string): void {
  if (!rng.chance(0.5)) return;
  const files: string[] = [];
  const dirs: [SpecDir, string][] = [];
  const walk = (d: SpecDir, p: string) => {
    dirs.push([d, p]);
    for (const [name, node] of d.children) {
      if (node.kind === 'file') files.push(`${p}/${name}`);
      else if (node.kind === 'dir') walk(node, `${p}/${name}`);
    }
  };
  walk(tree, at);
  for (let n = 1 + rng.int(2); n > 0 && files.length > 0; n--) {
    const [dir, p] = rng.pick(dirs);
    const free = NAMES.filter((name) => !dir.children.has(name));
    if (free.length === 0) continue;
    const name = rng.pick(free);
    dir.children.set(name, { kind: 'hardlink', target: rng.pick(files) });
    files.push(`${p}/${name}`);
  }
}

/** Every path present (as anything, whiteouts included) in any layer: where operations aim. */
export function specPaths(layers: SpecDir[]): string[] {
  const out = new Set<string>();
  const walk = (dir: SpecDir, at: string) => {
    for (const [name, node] of dir.children) {
      const p = `${at}/${name}`;
      out.add(p);
      if (node.kind === 'dir') walk(node, p);
    }
  };
  for (const layer of layers) walk(layer, '');
  return [...out].sort();
}

/** Write a spec under `root` in the kernel's format (or userxattr's); hard links last. */
export function writeSpec(root: string, dir: SpecDir, xattrNamespace: 'trusted' | 'user'): void {
  const links: [string, string][] = [];
  writeDir(root, root, dir, xattrNamespace, links);
  // A link whose file a shrinker removed is left out (the replay stays runnable).
  for (const [target, p] of links) if (fs.existsSync(target)) fs.linkSync(target, p);
}

function writeDir(root: string, at: string, dir: SpecDir, xattrNamespace: 'trusted' | 'user', links: [string, string][]): void {
  for (const [name, node] of dir.children) {
    const p = path.join(at, name);
    switch (node.kind) {
      case 'dir':
        fs.mkdirSync(p);
        writeDir(root, p, node, xattrNamespace, links);
        fs.chmodSync(p, node.mode);
        if (node.opaque) setXattrRaw(p, `${xattrNamespace}.overlay.opaque`, 'y');
        break;
      case 'file':
        fs.writeFileSync(p, node.data);
        fs.chmodSync(p, node.mode);
        break;
      case 'symlink':
        fs.symlinkSync(node.target, p);
        break;
      case 'whiteout':
        makeWhiteoutDevice(p);
        break;
      case 'hardlink':
        links.push([path.join(root, node.target), p]);
        break;
    }
  }
}

/** A one-line summary of a spec, for reports. */
export function describeSpec(layers: SpecDir[]): string {
  const count = (d: SpecDir): number => [...d.children.values()].reduce((n, c) => n + 1 + (c.kind === 'dir' ? count(c) : 0), 0);
  return layers.map((l, i) => `L${i}:${count(l)}`).join(' ');
}

/** The lower trees as lines (`L0 /a/b file 644 "data"`), for replays a person can read. */
export function specListing(layers: SpecDir[]): string[] {
  const out: string[] = [];
  const walk = (i: number, dir: SpecDir, at: string) => {
    for (const [name, node] of [...dir.children].sort(([a], [b]) => a.localeCompare(b))) {
      const p = `${at}/${name}`;
      switch (node.kind) {
        case 'dir': out.push(`L${i} ${p}/ dir ${node.mode.toString(8)}${node.opaque ? ' opaque' : ''}`); walk(i, node, p); break;
        case 'file': out.push(`L${i} ${p} file ${node.mode.toString(8)} ${JSON.stringify(node.data)}`); break;
        case 'symlink': out.push(`L${i} ${p} symlink -> ${node.target}`); break;
        case 'whiteout': out.push(`L${i} ${p} whiteout`); break;
        case 'hardlink': out.push(`L${i} ${p} hardlink of ${node.target}`); break;
      }
    }
  };
  layers.forEach((l, i) => walk(i, l, ''));
  return out;
}

/** Every entry of the trees as (layer, path), and a copy of the trees without one of them. */
export function specEntries(layers: SpecDir[]): { layer: number; path: string[] }[] {
  const out: { layer: number; path: string[] }[] = [];
  const walk = (i: number, dir: SpecDir, at: string[]) => {
    for (const [name, node] of dir.children) {
      out.push({ layer: i, path: [...at, name] });
      if (node.kind === 'dir') walk(i, node, [...at, name]);
    }
  };
  layers.forEach((l, i) => walk(i, l, []));
  return out;
}

export function withoutEntry(layers: SpecDir[], entry: { layer: number; path: string[] }): SpecDir[] {
  const copy = (d: SpecDir, at: string[]): SpecDir => {
    const children = new Map<string, SpecNode>();
    for (const [name, node] of d.children) {
      const p = [...at, name];
      if (p.length === entry.path.length && p.every((c, i) => c === entry.path[i])) continue;
      children.set(name, node.kind === 'dir' ? copy(node, p) : node);
    }
    return { ...d, children };
  };
  return layers.map((l, i) => (i === entry.layer ? copy(l, []) : l));
}
