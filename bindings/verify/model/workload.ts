// Seeded random workloads for overlay tests: a layer stack (1-3 lowers, an optional upper that may
// already hold content, over a small shared name space so that names collide across layers and
// directories merge), and a sequence of overlay operations over paths biased towards names that
// exist, plus bad names. The same seed always gives the same workload, and `build()` makes fresh,
// independent MemoryLayers each time it is called.
import { MemoryLayer } from '../../layers/memory-layer.js';
import { createRng, type Rng } from '../prng.js';
import type { Op } from './ops.js';

/** Names layers draw from (the first `fanout` of them): few, so layers overlap a lot. */
export const ALL_NAMES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
/** Names that only operations use (creations land on fresh names too). */
export const NEW_NAMES = ['n', 'm'];

/** Tree shape: names per directory and directory depth. */
interface Shape {
  names: string[];
  depth: number;
}

/** Constant clocks: times are deterministic, and a copied-up object keeps its lower's times. */
export const LOWER_CLOCK = (i: number): number => 1_000_000 * (i + 1);
export const UPPER_CLOCK = 9_000_000;

export type UpperKind = 'none' | 'empty' | 'populated';

export interface StackPlan {
  lowers: number;
  upper: UpperKind;
}

export interface BuiltStack {
  lowers: MemoryLayer[];
  upper: MemoryLayer | undefined;
}

export interface Workload {
  seed: number;
  plan: StackPlan;
  /** Every path some layer of the stack holds (whiteouts included). */
  paths: string[];
  build(): BuiltStack;
  ops: Op[];
}

export interface WorkloadOptions {
  ops: number;
  /** Force the upper kind (default: random, read-only about one time in eight). */
  upper?: UpperKind;
  /** Share of operations that are reads (default 0.5). */
  readShare?: number;
  /** Levels of the generated trees (default 3) and names per directory (default 4, at most 8). */
  depth?: number;
  fanout?: number;
}

export function makeWorkload(seed: number, options: WorkloadOptions): Workload {
  const shape: Shape = { names: ALL_NAMES.slice(0, Math.min(ALL_NAMES.length, options.fanout ?? 4)), depth: options.depth ?? 3 };
  const rng = createRng(seed);
  const plan: StackPlan = {
    lowers: 1 + rng.int(3),
    upper: options.upper ?? (rng.chance(0.125) ? 'none' : rng.chance(0.4) ? 'empty' : 'populated'),
  };
  const stackSeed = (rng.next() * 0x7fffffff) | 0;
  const opsSeed = (rng.next() * 0x7fffffff) | 0;
  const paths = new Set<string>();
  const dirs = new Set<string>(['/']);
  // Build once to learn the paths, then hand out fresh copies built from the same seed.
  buildStack(shape, plan, stackSeed, paths, dirs);
  const ops = makeOps(shape, createRng(opsSeed), [...paths].sort(), [...dirs].sort(), options);
  return {
    seed,
    plan,
    paths: [...paths].sort(),
    build: () => buildStack(shape, plan, stackSeed, new Set(), new Set()),
    ops,
  };
}

// ---------------------------------------------------------------- layers

function buildStack(shape: Shape, plan: StackPlan, seed: number, paths: Set<string>, dirs: Set<string>): BuiltStack {
  const rng = createRng(seed);
  const lowers: MemoryLayer[] = [];
  for (let i = 0; i < plan.lowers; i++) {
    const layer = new MemoryLayer({ name: `lower${i}`, clock: () => LOWER_CLOCK(i) });
    const files: string[] = [];
    fillDir(shape, rng, layer, '/', 0, 0.65, paths, dirs, files);
    addHardLinks(shape, rng, layer, files, paths, dirs);
    lowers.push(layer);
  }
  let upper: MemoryLayer | undefined;
  if (plan.upper !== 'none') {
    upper = new MemoryLayer({ name: 'upper', clock: () => UPPER_CLOCK });
    if (plan.upper === 'populated') fillDir(shape, rng, upper, '/', 0, 0.35, paths, dirs);
  }
  return { lowers, upper };
}

/** Fill `dir` with a random subset of the names: directories (some opaque), files, symlinks, whiteouts. */
function fillDir(
  shape: Shape, rng: Rng, layer: MemoryLayer, dir: string, depth: number, density: number, paths: Set<string>, dirs: Set<string>,
  files: string[] = [],
): void {
  for (const name of shape.names) {
    if (!rng.chance(density)) continue;
    const path = join(dir, name);
    const r = rng.next();
    const canNest = depth < shape.depth - 1;
    if (canNest && r < 0.42) {
      layer.mkdir(path, { opaque: rng.chance(0.08), mode: rng.chance(0.8) ? 0o755 : 0o700 });
      paths.add(path);
      dirs.add(path);
      fillDir(shape, rng, layer, path, depth + 1, density, paths, dirs, files);
    } else if (r < 0.72) {
      layer.writeFile(path, `${layer.name}:${path}:${rng.int(100)}`, { mode: rng.pick([0o644, 0o600, 0o755]) });
      paths.add(path);
      files.push(path);
    } else if (r < 0.85) {
      layer.symlink(symlinkTarget(shape, rng, dir, path), path);
      paths.add(path);
    } else {
      layer.whiteout(path);
      paths.add(path);
    }
  }
}

/**
 * Lower hard links: in about half the lower layers, one or two files get a second name at a free
 * name of one of the layer's directories (copy-up splits them, or with index on keeps them one).
 */
function addHardLinks(shape: Shape, rng: Rng, layer: MemoryLayer, files: string[], paths: Set<string>, dirs: Set<string>): void {
  if (files.length === 0 || !rng.chance(0.5)) return;
  const layerDirs = ['/', ...files.map((f) => f.slice(0, f.lastIndexOf('/')) || '/')];
  for (let n = 1 + rng.int(2); n > 0; n--) {
    const dir = rng.pick(layerDirs);
    const taken = new Set(layer.list(layer.handleAt(dir)));
    const free = shape.names.filter((name) => !taken.has(name));
    if (free.length === 0) continue;
    const path = join(dir, rng.pick(free));
    layer.link(rng.pick(files), path);
    paths.add(path);
    dirs.add(dir);
  }
}

/** Targets: absolute and relative, to dirs, files and nothing, to themselves and each other (loops). */
function symlinkTarget(shape: Shape, rng: Rng, dir: string, self: string): string {
  const r = rng.next();
  if (r < 0.1) return self; // a loop of one
  if (r < 0.2) return join(dir, rng.pick(shape.names)); // siblings: loops of two when both are links
  if (r < 0.45) return randomAbsolute(shape, rng);
  if (r < 0.7) return rng.pick(shape.names) + (rng.chance(0.3) ? `/${rng.pick(shape.names)}` : '');
  if (r < 0.85) return `../${rng.pick(shape.names)}`;
  if (r < 0.92) return '/nowhere/at/all';
  if (r < 0.97) return '/';
  return '../../../../..'; // climbs above the root: EINVAL under Strata's contract
}

function randomAbsolute(shape: Shape, rng: Rng): string {
  const depth = 1 + rng.int(shape.depth);
  let p = '';
  for (let i = 0; i < depth; i++) p += `/${rng.pick(shape.names)}`;
  return p;
}

// ---------------------------------------------------------------- operations

const WEIGHTS: [Op['method'] | 'readdirTypes' | 'mkdirRecursive', number][] = [
  ['stat', 10], ['lstat', 6], ['exists', 3], ['readdir', 7], ['readdirTypes', 4], ['readFile', 8],
  ['readlink', 3], ['realpath', 4],
  ['writeFile', 9], ['appendFile', 4], ['mkdir', 6], ['mkdirRecursive', 2], ['rmdir', 6],
  ['unlink', 7], ['rm', 3], ['rename', 10], ['symlink', 3], ['link', 4], ['truncate', 3],
  ['chmod', 3], ['utimes', 2],
];
const READS = new Set(['stat', 'lstat', 'exists', 'readdir', 'readdirTypes', 'readFile', 'readlink', 'realpath']);

function makeOps(shape: Shape, rng: Rng, known: string[], dirs: string[], options: WorkloadOptions): Op[] {
  const pool = known.slice();
  const readShare = options.readShare ?? 0.5;
  const reads = WEIGHTS.filter(([m]) => READS.has(m));
  const writes = WEIGHTS.filter(([m]) => !READS.has(m));
  const ops: Op[] = [];
  const path = (): string => pickPath(shape, rng, pool);
  // Where something may be created: a directory some layer has, and a name.
  const fresh = (): string => (rng.chance(0.5) ? join(rng.pick(dirs), rng.pick(NEW_NAMES)) : path());
  for (let i = 0; i < options.ops; i++) {
    const kind = weighted(rng, rng.chance(readShare) ? reads : writes);
    let op: Op;
    switch (kind) {
      case 'stat': op = { method: 'stat', args: rng.chance(0.2) ? [path(), { throwIfNoEntry: false }] : [path()] }; break;
      case 'lstat': op = { method: 'lstat', args: [path()] }; break;
      case 'exists': op = { method: 'exists', args: [path()] }; break;
      case 'readdir': op = { method: 'readdir', args: [path()] }; break;
      case 'readdirTypes': op = { method: 'readdir', args: [path(), { withFileTypes: true }] }; break;
      case 'readFile': op = { method: 'readFile', args: rng.chance(0.5) ? [path(), 'utf8'] : [path()] }; break;
      case 'readlink': op = { method: 'readlink', args: [path()] }; break;
      case 'realpath': op = { method: 'realpath', args: [path()] }; break;
      case 'writeFile': op = { method: 'writeFile', args: [rng.chance(0.3) ? fresh() : path(), `w${i}`] }; break;
      case 'appendFile': op = { method: 'appendFile', args: [path(), `+${i}`] }; break;
      case 'mkdir': op = { method: 'mkdir', args: [fresh()] }; break;
      case 'mkdirRecursive': op = { method: 'mkdir', args: [plainPath(shape, rng, pool), { recursive: true }] }; break;
      case 'rmdir': op = { method: 'rmdir', args: [path()] }; break;
      case 'unlink': op = { method: 'unlink', args: [path()] }; break;
      case 'rm': op = { method: 'rm', args: [path(), { recursive: rng.chance(0.5), force: rng.chance(0.5) }] }; break;
      case 'rename': op = { method: 'rename', args: [path(), fresh()] }; break;
      case 'symlink': op = { method: 'symlink', args: [symlinkTarget(shape, rng, '/', '/'), fresh()] }; break;
      case 'link': op = { method: 'link', args: [path(), fresh()] }; break;
      case 'truncate': op = { method: 'truncate', args: [path(), rng.int(6)] }; break;
      case 'chmod': op = { method: 'chmod', args: [path(), rng.pick([0o600, 0o644, 0o700, 0o755, 0o444])] }; break;
      case 'utimes': op = { method: 'utimes', args: [path(), 1_600_000_000 + rng.int(1000), 1_700_000_000 + rng.int(1000)] }; break;
    }
    ops.push(op);
    // Names an operation may create become likely targets of later ones.
    if (!READS.has(kind)) {
      const target = op.args[op.method === 'rename' || op.method === 'link' || op.method === 'symlink' ? 1 : 0];
      if (typeof target === 'string' && !pool.includes(target) && isPlain(target)) pool.push(target);
    }
  }
  return ops;
}

/** A path for an operation: mostly a known one, sometimes a fresh or decorated one, rarely a bad one. */
function pickPath(shape: Shape, rng: Rng, pool: string[]): string {
  const r = rng.next();
  if (r < 0.03) return badPath(rng, pool);
  const base = r < 0.78 && pool.length > 0 ? rng.pick(pool) : freshPath(shape, rng);
  if (rng.chance(0.1)) return decorate(shape, rng, base);
  return base;
}

/** mkdir -p gets plain paths: node's recursive mkdir works on the string, '..' included. */
function plainPath(shape: Shape, rng: Rng, pool: string[]): string {
  const base = rng.chance(0.5) && pool.length > 0 ? rng.pick(pool) : '';
  return base + `/${rng.pick(NEW_NAMES)}` + (rng.chance(0.5) ? `/${rng.pick([...shape.names, ...NEW_NAMES])}` : '');
}

function freshPath(shape: Shape, rng: Rng): string {
  const depth = 1 + rng.int(shape.depth);
  let p = '';
  for (let i = 0; i < depth; i++) p += `/${rng.chance(0.75) ? rng.pick(shape.names) : rng.pick(NEW_NAMES)}`;
  return p;
}

/** Same object, other spelling: trailing slash, '.', '..' detours, doubled slashes. */
function decorate(shape: Shape, rng: Rng, p: string): string {
  const parts = p.split('/').filter((c) => c !== '');
  switch (rng.int(4)) {
    case 0: return p + '/';
    case 1: parts.splice(rng.int(parts.length + 1), 0, '.'); return '/' + parts.join('/');
    case 2: {
      const at = rng.int(parts.length + 1);
      parts.splice(at, 0, rng.pick(shape.names), '..');
      return '/' + parts.join('/');
    }
    default: return p.replace('/', '//');
  }
}

/** Inputs every call must refuse cleanly. */
export function badPath(rng: Rng, pool: string[]): string {
  const base = pool.length > 0 ? rng.pick(pool) : '/a';
  switch (rng.int(6)) {
    case 0: return `${base}/${'x'.repeat(256)}`; // a name over NAME_MAX
    case 1: return `${base}\0x`; // NUL
    case 2: return base.slice(1) || 'a'; // relative
    case 3: return '/..' + base; // above the root
    case 4: return '/' + 'abcdefghij/'.repeat(400); // over PATH_MAX
    default: return `${base}/../../../../..`; // above the root, later
  }
}

function isPlain(p: string): boolean {
  return p.startsWith('/') && !p.includes('\0') && !p.split('/').some((c) => c === '.' || c === '..' || c.length > 255) && p.length < 200;
}

function weighted<T>(rng: Rng, items: [T, number][]): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let x = rng.next() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1][0];
}

export function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
