// The benchmark data set: a seeded tree shaped like a real project — an /app with sources and a
// node_modules layout (packages with package.json, index.js, lib/…, nested node_modules) spread
// over three lowers, and an upper holding whiteouts, opaque (reinstalled) packages and new files.
// `size` scales the file count (1 ≈ 50k files). The same spec is materialised as MemoryLayers,
// memfs volumes and real directories (bench/materialize/), so every peer sees the same tree.
import { createRng, type Rng } from '../bindings/verify/prng.js';

export type SpecNode =
  | { type: 'dir'; opaque: boolean }
  | { type: 'file'; size: number }
  | { type: 'symlink'; target: string }
  | { type: 'whiteout' };

/** One layer's content: absolute paths in parents-first order, and each directory's names. */
export class LayerSpec {
  readonly nodes = new Map<string, SpecNode>([['/', { type: 'dir', opaque: false }]]);
  readonly children = new Map<string, Set<string>>([['/', new Set()]]);
  files = 0;
  whiteouts = 0;
  opaqueDirs = 0;

  constructor(readonly name: string) {}

  /** mkdir -p; `opaque` marks the last directory. */
  addDir(path: string, opaque = false): void {
    const node = this.nodes.get(path);
    if (node !== undefined) {
      if (node.type !== 'dir') throw new Error(`dataset: ${this.name}:${path} is a ${node.type}, not a directory`);
      if (opaque && !node.opaque) { node.opaque = true; this.opaqueDirs++; }
      return;
    }
    const parent = dirname(path);
    this.addDir(parent);
    this.nodes.set(path, { type: 'dir', opaque });
    this.children.set(path, new Set());
    this.children.get(parent)!.add(basename(path));
    if (opaque) this.opaqueDirs++;
  }

  addFile(path: string, size: number): void {
    this.addLeaf(path, { type: 'file', size });
    this.files++;
  }

  addSymlink(path: string, target: string): void {
    this.addLeaf(path, { type: 'symlink', target });
  }

  addWhiteout(path: string): void {
    this.addLeaf(path, { type: 'whiteout' });
    this.whiteouts++;
  }

  private addLeaf(path: string, node: SpecNode): void {
    const old = this.nodes.get(path);
    if (old !== undefined) {
      if (old.type === 'dir') throw new Error(`dataset: ${this.name}:${path} is a directory`);
      if (old.type === 'file') this.files--;
      if (old.type === 'whiteout') this.whiteouts--;
    }
    const parent = dirname(path);
    this.addDir(parent);
    this.nodes.set(path, node);
    this.children.get(parent)!.add(basename(path));
  }
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function depthOf(path: string): number {
  let d = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 47) d++;
  return path === '/' ? 0 : d;
}

/** What a stat of a path gives in the merged view (kernel overlayfs semantics, no redirects). */
export type Answer =
  | { kind: 'file'; size: number; layer: number }
  | { kind: 'dir'; layers: number[] }
  | { kind: 'symlink'; target: string; layer: number }
  | { kind: 'missing' }
  | { kind: 'notdir' };

export interface Workload {
  /** Visible regular files exactly 9 components deep (the "9-level path" of the targets). */
  deepFiles: string[];
  /** Every visible regular file, shuffled. */
  files: string[];
  /** Paths that do not exist in the merged view: resolver probes, missing packages, whiteouts. */
  negatives: string[];
  /** Visible directories, shuffled. */
  dirs: string[];
  /** Subsets whose answer is the same with or without whiteouts and opaque dirs (unionfs). */
  unionSafe: { deepFiles: string[]; negatives: string[]; dirs: string[] };
}

export interface DatasetSummary {
  seed: number;
  size: number;
  filesPerLayer: Record<string, number>;
  whiteouts: number;
  opaqueDirs: number;
  visibleFiles: number;
  visibleDirs: number;
  deepFiles: number;
  negatives: number;
}

export class Dataset {
  /** Top-down: upper first, then lowers[0..2] (lowers[0] is the topmost lower). */
  readonly stack: LayerSpec[];
  readonly workload: Workload;
  readonly summary: DatasetSummary;

  constructor(readonly seed: number, readonly size: number, readonly upper: LayerSpec, readonly lowers: LayerSpec[]) {
    this.stack = [upper, ...lowers];
    const rng = createRng(seed ^ 0x5eed);
    const view = this.enumerate();
    this.workload = this.buildWorkload(rng, view);
    this.summary = {
      seed, size,
      filesPerLayer: Object.fromEntries(this.stack.map((l) => [l.name, l.files])),
      whiteouts: upper.whiteouts,
      opaqueDirs: upper.opaqueDirs,
      visibleFiles: view.files.length,
      visibleDirs: view.dirs.length,
      deepFiles: this.workload.deepFiles.length,
      negatives: this.workload.negatives.length,
    };
  }

  /** Resolve a path in the merged view: topmost wins, whiteouts hide, opaque dirs stop merging. */
  resolve(path: string): Answer {
    let layers = this.stack.map((_, i) => i);
    if (path === '/') return { kind: 'dir', layers };
    const parts = path.split('/').filter((c) => c !== '');
    let at = '';
    for (let k = 0; k < parts.length; k++) {
      at += '/' + parts[k];
      let answer: Answer | undefined;
      const merged: number[] = [];
      for (const li of layers) {
        const node = this.stack[li].nodes.get(at);
        if (node === undefined) continue;
        if (node.type === 'whiteout') break;
        if (node.type === 'dir') {
          merged.push(li);
          answer = { kind: 'dir', layers: merged };
          if (node.opaque) break;
          continue;
        }
        if (answer === undefined) {
          answer = node.type === 'file' ? { kind: 'file', size: node.size, layer: li } : { kind: 'symlink', target: node.target, layer: li };
        }
        break;
      }
      if (answer === undefined) return { kind: 'missing' };
      if (k === parts.length - 1) return answer;
      if (answer.kind !== 'dir') return answer.kind === 'symlink' ? answer : { kind: 'notdir' };
      layers = answer.layers;
    }
    throw new Error('unreachable');
  }

  /** Names listed by readdir of a merged directory: each once, topmost wins, whiteouts hidden. */
  listing(layers: number[], dir: string): string[] {
    const seen = new Set<string>();
    const visible: string[] = [];
    for (const li of layers) {
      const names = this.stack[li].children.get(dir);
      if (names === undefined) continue;
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        const child = dir === '/' ? '/' + name : dir + '/' + name;
        if (this.stack[li].nodes.get(child)!.type !== 'whiteout') visible.push(name);
      }
    }
    return visible;
  }

  /** What unionfs over memfs volumes (no whiteouts, no opaque) answers: topmost volume with it. */
  unionResolve(path: string): Answer {
    for (let li = 0; li < this.stack.length; li++) {
      const node = this.stack[li].nodes.get(path);
      if (node === undefined || node.type === 'whiteout') continue;
      if (node.type === 'dir') return { kind: 'dir', layers: [li] };
      if (node.type === 'file') return { kind: 'file', size: node.size, layer: li };
      return { kind: 'symlink', target: node.target, layer: li };
    }
    return { kind: 'missing' };
  }

  unionListing(dir: string): string[] {
    const names = new Set<string>();
    for (const layer of this.stack) {
      if (layer.nodes.get(dir)?.type !== 'dir') continue;
      for (const name of layer.children.get(dir) ?? []) {
        const child = dir === '/' ? '/' + name : dir + '/' + name;
        if (layer.nodes.get(child)!.type !== 'whiteout') names.add(name);
      }
    }
    return [...names];
  }

  private enumerate(): { files: string[]; dirs: string[] } {
    const files: string[] = [];
    const dirs: string[] = [];
    const walk = (dir: string, layers: number[]) => {
      dirs.push(dir);
      for (const name of this.listing(layers, dir).sort()) {
        const child = dir === '/' ? '/' + name : dir + '/' + name;
        const a = this.resolve(child);
        if (a.kind === 'dir') walk(child, a.layers);
        else if (a.kind === 'file') files.push(child);
      }
    };
    walk('/', this.stack.map((_, i) => i));
    return { files, dirs };
  }

  private buildWorkload(rng: Rng, view: { files: string[]; dirs: string[] }): Workload {
    const files = shuffle(rng, view.files.slice());
    const deepFiles = files.filter((p) => depthOf(p) === 9);
    const dirs = shuffle(rng, view.dirs.slice());
    const negatives = new Set<string>();
    const addNegative = (p: string) => { if (this.resolve(p).kind === 'missing') negatives.add(p); };
    // What a module resolver probes and misses: extension-less and other-extension names next to
    // real files, index files, node_modules directories up the tree that do not exist.
    for (const f of files) {
      const dot = f.lastIndexOf('.');
      const stem = dot > f.lastIndexOf('/') ? f.slice(0, dot) : f;
      const probe = rng.int(6);
      if (probe === 0) addNegative(stem);
      else if (probe === 1) addNegative(stem + '.json');
      else if (probe === 2) addNegative(stem + '.node');
      else if (probe === 3) addNegative(stem + '/index.js');
      else if (probe === 4) addNegative(dirname(f) + '/node_modules');
      else addNegative(stem + '.mjs');
    }
    // Names the upper hides: whiteouts and what opaque directories cover.
    for (const lower of this.lowers) {
      for (const [p, node] of lower.nodes) {
        if (node.type === 'file' && this.resolve(p).kind === 'missing' && rng.chance(0.5)) negatives.add(p);
      }
    }
    const negativeList = shuffle(rng, [...negatives]);
    const same = (a: Answer, b: Answer) =>
      a.kind === b.kind && (a.kind !== 'file' || (b.kind === 'file' && a.size === b.size));
    const unionSafe = {
      deepFiles: deepFiles.filter((p) => same(this.resolve(p), this.unionResolve(p))),
      negatives: negativeList.filter((p) => this.unionResolve(p).kind === 'missing'),
      dirs: dirs.filter((d) => {
        const a = this.resolve(d);
        if (a.kind !== 'dir' || this.unionResolve(d).kind !== 'dir') return false;
        const mine = this.listing(a.layers, d).sort();
        const theirs = this.unionListing(d).sort();
        return mine.length === theirs.length && mine.every((n, i) => n === theirs[i]);
      }),
    };
    return { deepFiles, files, negatives: negativeList, dirs, unionSafe };
  }
}

// ---- generation ----

const WORDS = [
  'core', 'util', 'parse', 'json', 'yaml', 'path', 'glob', 'fs', 'async', 'stream', 'buffer', 'cli',
  'color', 'debug', 'event', 'emitter', 'loader', 'plugin', 'runtime', 'types', 'config', 'schema',
  'string', 'array', 'object', 'promise', 'cache', 'http', 'url', 'mime', 'semver', 'lint', 'format',
  'compile', 'bundle', 'resolve', 'watch', 'test', 'mock', 'log', 'react', 'dom', 'query', 'state',
];
const SYLLABLES = ['ba', 'ce', 'di', 'fo', 'gu', 'ka', 'le', 'mi', 'no', 'pu', 'ra', 'se', 'ti', 'vo', 'xe', 'zo', 'an', 'el', 'ix', 'on'];
const SCOPES = ['@types', '@babel', '@jest', '@eslint', '@aws-sdk', '@vue', '@angular', '@smithy'];
const SRC_EXT = ['.js', '.js', '.js', '.ts', '.mjs', '.cjs', '.d.ts', '.json', '.map'];

function word(rng: Rng): string {
  if (rng.chance(0.6)) return rng.pick(WORDS);
  let w = '';
  for (let i = 1 + rng.int(3); i >= 0; i--) w += rng.pick(SYLLABLES);
  return w;
}

function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/** Seeded file sizes with a long tail, like real sources (most small, a few large). */
function fileSize(rng: Rng, base: number): number {
  return Math.floor(base * (0.2 + rng.next() * rng.next() * 4));
}

class Names {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}

  packageName(): string {
    for (;;) {
      const base = this.rng.chance(0.5) ? word(this.rng) : `${word(this.rng)}-${word(this.rng)}`;
      const name = this.rng.chance(0.12) ? `${this.rng.pick(SCOPES)}/${base}` : base;
      if (!this.used.has(name)) { this.used.add(name); return name; }
    }
  }
}

/** Files of one package, relative to its directory: manifest, entry points, a lib/ tree. */
function packageFiles(rng: Rng): { path: string; size: number }[] {
  const out = [
    { path: 'package.json', size: fileSize(rng, 700) },
    { path: 'index.js', size: fileSize(rng, 900) },
    { path: 'README.md', size: fileSize(rng, 2500) },
  ];
  if (rng.chance(0.7)) out.push({ path: 'LICENSE', size: 1070 });
  if (rng.chance(0.3)) out.push({ path: 'index.d.ts', size: fileSize(rng, 600) });
  // lib/ with up to three levels of subdirectories: where the 9-level paths come from.
  const dirs = ['lib'];
  for (let i = rng.int(5); i > 0; i--) {
    const parent = rng.pick(dirs);
    if (parent.split('/').length < 4) dirs.push(`${parent}/${word(rng)}`);
  }
  const count = 3 + Math.floor(rng.next() * rng.next() * 40);
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const p = `${rng.pick(dirs)}/${word(rng)}${rng.pick(SRC_EXT)}`;
    if (!seen.has(p)) { seen.add(p); out.push({ path: p, size: fileSize(rng, 1200) }); }
  }
  if (rng.chance(0.25)) {
    for (const f of ['dist/index.js', 'dist/index.min.js', 'dist/esm/index.js']) out.push({ path: f, size: fileSize(rng, 8000) });
  }
  return out;
}

/** Add a package (and maybe nested node_modules) at `dir`; returns the file count. */
function addPackage(layer: LayerSpec, rng: Rng, names: Names, dir: string, nestDepth: number): number {
  let n = 0;
  for (const f of packageFiles(rng)) { layer.addFile(`${dir}/${f.path}`, f.size); n++; }
  const nestChance = nestDepth === 0 ? 0.35 : nestDepth === 1 ? 0.15 : 0;
  if (rng.chance(nestChance)) {
    for (let i = 1 + rng.int(3); i > 0; i--) n += addPackage(layer, rng, names, `${dir}/node_modules/${names.packageName()}`, nestDepth + 1);
  }
  return n;
}

/** Build the default data set for `seed`, scaled by `size` (1 ≈ 50k files over the lowers). */
export function generateDataset(seed: number, size: number): Dataset {
  const rng = createRng(seed);
  const names = new Names(rng);
  const total = Math.max(2000, Math.round(50_000 * size));
  const base = new LayerSpec('lower2');
  const update = new LayerSpec('lower1');
  const app = new LayerSpec('lower0');
  const upper = new LayerSpec('upper');
  const NM = '/app/node_modules';

  // lower2: the base install, most packages.
  const basePackages: string[] = [];
  for (let files = 0; files < total * 0.58;) {
    const p = `${NM}/${names.packageName()}`;
    files += addPackage(base, rng, names, p, 0);
    basePackages.push(p);
  }

  // lower1: an update layer. Some base packages get new versions of some files and new files
  // (their directories merge with lower2's), and new packages arrive.
  const filesOf = new Map<string, string[]>();
  for (const [path, node] of base.nodes) {
    if (node.type !== 'file') continue;
    const rest = path.slice(NM.length + 1).split('/');
    const pkg = `${NM}/${rest[0].startsWith('@') ? rest[0] + '/' + rest[1] : rest[0]}`;
    let list = filesOf.get(pkg);
    if (list === undefined) filesOf.set(pkg, list = []);
    list.push(path);
  }
  let files1 = 0;
  for (const p of basePackages) {
    if (!rng.chance(0.3)) continue;
    for (const path of filesOf.get(p) ?? []) {
      if (rng.chance(0.4)) { update.addFile(path, fileSize(rng, 1000)); files1++; }
    }
    update.addFile(`${p}/lib/${word(rng)}-${rng.int(100)}.js`, fileSize(rng, 900));
    files1++;
  }
  const newPackages: string[] = [];
  while (files1 < total * 0.27) {
    const p = `${NM}/${names.packageName()}`;
    files1 += addPackage(update, rng, names, p, 0);
    newPackages.push(p);
  }

  // lower0: the application: sources, manifest, .bin links into node_modules.
  app.addFile('/app/package.json', 1800);
  app.addFile('/app/tsconfig.json', 600);
  const srcDirs = ['/app/src'];
  let files0 = 2;
  while (files0 < total * 0.12) {
    if (rng.chance(0.15)) {
      const parent = rng.pick(srcDirs);
      if (depthOf(parent) < 8) srcDirs.push(`${parent}/${word(rng)}`);
    }
    const f = `${rng.pick(srcDirs)}/${word(rng)}${rng.int(50)}${rng.pick(SRC_EXT)}`;
    if (!app.nodes.has(f)) { app.addFile(f, fileSize(rng, 2000)); files0++; }
  }
  const allPackages = [...basePackages, ...newPackages];
  for (let i = 0; i < Math.min(60, allPackages.length); i++) {
    const p = rng.pick(allPackages);
    const bin = `${NM}/.bin/${p.slice(p.lastIndexOf('/') + 1)}`;
    if (!app.nodes.has(bin)) app.addSymlink(bin, `../${p.slice(NM.length + 1)}/index.js`);
  }

  // upper: what a container did at run time: deleted files and packages (whiteouts),
  // reinstalled packages (opaque directories with fresh content), new sources and build output.
  const lowerFiles: string[] = [];
  for (const l of [app, update, base]) for (const [p, node] of l.nodes) if (node.type === 'file') lowerFiles.push(p);
  const whiteoutFiles = Math.round(lowerFiles.length * 0.015);
  for (let i = 0; i < whiteoutFiles; i++) upper.addWhiteout(rng.pick(lowerFiles));
  const packageCount = allPackages.length;
  for (let i = 0; i < Math.max(2, Math.round(packageCount * 0.01)); i++) {
    const p = rng.pick(allPackages);
    if (!upper.nodes.has(p)) upper.addWhiteout(p);
  }
  for (let i = 0; i < Math.max(2, Math.round(packageCount * 0.01)); i++) {
    const p = rng.pick(allPackages);
    if (upper.nodes.has(p)) continue;
    upper.addDir(p, true);
    addPackage(upper, rng, names, p, 1);
  }
  for (let i = Math.round(total * 0.02); i > 0; i--) {
    upper.addFile(`${rng.pick(srcDirs)}/${word(rng)}-new${i}.ts`, fileSize(rng, 1500));
    upper.addFile(`/app/dist/${word(rng)}/${word(rng)}${i}.js`, fileSize(rng, 3000));
  }

  return new Dataset(seed, size, upper, [app, update, base]);
}
