// The dentry cache alone (issue 2): the WASM cache vs its pure-TS twin vs a plain Map keyed by
// full path, on the same synthetic trees of 1e4/1e5/1e6 entries, in the same run.
// - walk: a cached 9-level path, cycling over every positive leaf (no hot prefix), and the same
//   walk on one hot path (same instructions, memory in CPU caches: the gap is cache misses);
// - negative: a cached negative 9th component;
// - revalidate: look a path up, its parent directory changes, look it up again (the cache
//   drops and re-inserts the directory and the leaf; the Map purges every key under the prefix).
// Paths are built fresh for every call (dir + '/' + name), as fs callers build them: a Map hit
// with a string whose hash V8 already cached would be ~20× cheaper than any real call.
// Memory: WASM linear-memory growth and the TS cache's heap growth per entry (global.gc).
// Peers on the same paths: a plain Map by full path, and enhanced-resolve's CachedInputFileSystem
// (webpack's cache, duration Infinity: a Map by path that never re-checks) over an in-memory fs.
import { createRequire } from 'node:module';
import {
  NO_ENTRY, RES_HANDLE, RES_LAST, RES_PARENT, T_DIR, T_FILE, T_NONE, WALK_CHANGED, WALK_EXPIRED,
  WALK_FOUND, WALK_MISS, WALK_NEGATIVE,
} from '../../bindings/abi.js';
import type { DentryCache } from '../../bindings/cache/dentry-cache.js';
import { TsDentryCache } from '../../bindings/cache/ts-cache.js';
import { makeCacheTree, type CacheTree } from '../cache-tree.js';
import { Checksum } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import type { BenchOptions } from '../options.js';

const NOW = 1;

export interface CacheSubject {
  impl: string;
  /** Look up leaf i, resolving (inserting) whatever is not cached; its handle, or -1 if negative. */
  resolve(i: number): number;
  /** resolve(i), invalidate its directory, resolve(i) again. */
  revalidate(i: number): number;
}

interface WasmCacheModule {
  WasmDentryCache: new (capacity?: { entries?: number; bytes?: number }, options?: { frontTable?: boolean }) =>
    DentryCache & { memoryBytes(): number; structureBytes(): number; frontHits(): number };
}

export function cacheSizes(options: BenchOptions): number[] {
  return options.quick ? [1e4, 1e5] : [1e4, 1e5, 1e6];
}

/** 1e4, 1e5, 1e6 */
export function sci(n: number): string {
  return n.toExponential(0).replace('+', '');
}

function capacityFor(entries: number) {
  return { entries: Math.max(1 << 20, Math.ceil(entries * 1.1)), bytes: 1 << 30 };
}

/** The overlay's part of a lookup, minus the layers: insert what the walk stops on, resume. */
function dentrySubject(impl: string, c: DentryCache, tree: CacheTree): CacheSubject {
  const resolve = (i: number): number => {
    const path = tree.leafDir[i] + '/' + tree.leafName[i];
    let s = c.walk(path, NOW, 0);
    for (;;) {
      if (s === WALK_FOUND) return c.result[RES_HANDLE];
      if (s === WALK_NEGATIVE) return -1;
      if (s !== WALK_MISS && s !== WALK_CHANGED && s !== WALK_EXPIRED) throw new Error(`${impl}: walk(${path}) stopped with status ${s}`);
      const last = c.result[RES_LAST] === 1;
      const type = !last ? T_DIR : tree.leafNegative[i] ? T_NONE : T_FILE;
      const id = c.insertStopped(type, 0, 1, 1, last ? i + 1 : 0, 0);
      if (id === NO_ENTRY) throw new Error(`${impl}: insert refused under ${path}`);
      s = c.resume(id, NOW);
    }
  };
  return {
    impl,
    resolve,
    revalidate: (i) => {
      resolve(i);
      c.invalidate(c.result[RES_PARENT]);
      return resolve(i);
    },
  };
}

/** The baseline: one Map from full path to handle (0 for directories, -1 for negatives). */
function mapSubject(map: Map<string, number>, tree: CacheTree): CacheSubject {
  const resolve = (i: number): number => {
    const dir = tree.leafDir[i];
    const key = dir + '/' + tree.leafName[i];
    let v = map.get(key);
    if (v === undefined) {
      v = tree.leafNegative[i] ? -1 : i + 1;
      map.set(key, v);
      for (let d = dir; d.length > 0 && !map.has(d); d = d.slice(0, d.lastIndexOf('/'))) map.set(d, 0);
    }
    return v;
  };
  return {
    impl: 'map',
    resolve,
    revalidate: (i) => {
      resolve(i);
      // A full-path key knows nothing about its parent: invalidating a directory is a purge of
      // every key under its prefix.
      const dir = tree.leafDir[i];
      const prefix = dir + '/';
      for (const k of map.keys()) if (k === dir || k.startsWith(prefix)) map.delete(k);
      return resolve(i);
    },
  };
}

interface CachedFs {
  statSync(p: string): { handle: number };
  purge(what?: string | string[]): void;
}

/**
 * enhanced-resolve's CachedInputFileSystem over an in-memory fs that knows the tree's leaves
 * (their handle; a negative leaf is ENOENT, which the cache keeps and throws again).
 */
function enhancedResolveSubject(tree: CacheTree): CacheSubject {
  const { CachedInputFileSystem } = createRequire(import.meta.url)('enhanced-resolve') as {
    CachedInputFileSystem: new (fs: unknown, duration: number) => CachedFs;
  };
  const leaves = new Map<string, number>();
  for (let i = 0; i < tree.count; i++) if (!tree.leafNegative[i]) leaves.set(tree.leafDir[i] + '/' + tree.leafName[i], i + 1);
  const statSync = (p: string) => {
    const handle = leaves.get(p);
    if (handle === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, stat '${p}'`), { code: 'ENOENT' });
    return { handle };
  };
  const fs = { statSync, stat: (p: string, cb: (err: Error | null, st?: { handle: number }) => void) => {
    try { cb(null, statSync(p)); } catch (err) { cb(err as Error); }
  } };
  const cached = new CachedInputFileSystem(fs, Number.POSITIVE_INFINITY);
  const resolve = (i: number): number => {
    try { return cached.statSync(tree.leafDir[i] + '/' + tree.leafName[i]).handle; } catch { return -1; }
  };
  return {
    impl: 'enhanced-resolve cached',
    resolve,
    // Its purge of a directory drops every cached path under it (a scan of the whole cache).
    revalidate: (i) => {
      resolve(i);
      cached.purge(tree.leafDir[i]);
      return resolve(i);
    },
  };
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Cycle over `order` (leaf indexes), one resolve per call. */
function cycler(order: Uint32Array, f: (i: number) => number): { op: () => void; sink: () => number } {
  let k = 0;
  let sink = 0;
  return {
    op: () => {
      sink ^= f(order[k]);
      if (++k === order.length) k = 0;
    },
    sink: () => sink,
  };
}

/**
 * The checksum pass: every item of the cycle up to 1e5 of them (at 1e6 entries a full pass of
 * three implementations would take longer than their timing; the first 1e5 show a wrong answer).
 */
function checksumOf(order: Uint32Array, f: (i: number) => number, limit = 100_000): () => { checksum: string; answers: number } {
  return () => {
    const sum = new Checksum();
    for (let k = 0; k < Math.min(limit, order.length); k++) sum.add(f(order[k]));
    return { checksum: sum.hex(), answers: sum.count };
  };
}

export const cacheSuite: Suite = {
  name: 'cache',
  description: 'The dentry cache alone: WASM vs the pure-TS twin vs a Map keyed by full path vs enhanced-resolve\'s CachedInputFileSystem (walk, negative, revalidate; memory per entry).',
  planned: (o) => cacheSizes(o).length * 20,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    let wasm: WasmCacheModule | undefined;
    let wasmMissing = '';
    try {
      const spec = '../../bindings/cache/wasm-cache.js';
      wasm = (await import(spec)) as WasmCacheModule;
      new wasm.WasmDentryCache({ entries: 16 });
    } catch (err) {
      wasm = undefined;
      wasmMissing = `WASM cache unavailable (${(err as Error).message.split('\n')[0]})`;
    }
    const walkNs = new Map<number, number>();
    for (const entries of cacheSizes(options)) {
      const sizeLabel = sci(entries);
      h.progress.step(`cache: building a ${sizeLabel}-entry tree`);
      const tree = makeCacheTree(entries, options.seed + entries);
      const positive: number[] = [];
      const negative: number[] = [];
      for (let i = 0; i < tree.count; i++) (tree.leafNegative[i] ? negative : positive).push(i);
      const posOrder = Uint32Array.from(positive);
      const negOrder = Uint32Array.from(negative);
      // Revalidation churns the cache: its cycle starts elsewhere so the walks above stay all-hit.
      const revOrder = Uint32Array.from(positive.slice().reverse());
      const subjects: CacheSubject[] = [];

      // Fill each implementation with the same leaves in the same order; measure its memory.
      const base = { suite: 'cache', params: { entries } };
      if (wasm) {
        const heap0 = heapUsed();
        const c = new wasm.WasmDentryCache(capacityFor(entries));
        const m0 = c.memoryBytes();
        const subject = dentrySubject('wasm', c, tree);
        for (let i = 0; i < tree.count; i++) subject.resolve(i);
        // The JS side: the path memo (bounded) and the wrapper; the keys are the callers' strings.
        const heapPerEntry = (heapUsed() - heap0) / c.counters().entries;
        const counters = c.counters();
        const nameBytes = counters.bytes - counters.entries * 48;
        h.measure({ ...base, name: 'wasm memory growth per entry', value: (c.memoryBytes() - m0) / counters.entries, unit: 'B' });
        h.measure({ ...base, name: 'wasm linear memory per entry', value: c.memoryBytes() / counters.entries, unit: 'B' });
        h.measure({ ...base, name: 'wasm structure bytes per entry', value: c.structureBytes() / counters.entries, unit: 'B' });
        h.measure({ ...base, name: 'name bytes per entry (8-aligned)', value: nameBytes / counters.entries, unit: 'B' });
        h.measure({ ...base, name: 'entries', value: counters.entries, unit: '' });
        h.measure({ ...base, name: 'wasm JS heap growth per entry (path memo)', value: heapPerEntry, unit: 'B' });
        subjects.push(subject);
        // The same cache without its whole-path front table: the component walk on every call.
        const bare = dentrySubject('wasm (no front table)', new wasm.WasmDentryCache(capacityFor(entries), { frontTable: false }), tree);
        h.note(`cache: the WASM cache at ${sizeLabel} answered ${c.frontHits()} walks from its front table during the fill`);
        for (let i = 0; i < tree.count; i++) bare.resolve(i);
        subjects.push(bare);
      }
      {
        const before = heapUsed();
        const c = new TsDentryCache(capacityFor(entries));
        const subject = dentrySubject('ts', c, tree);
        for (let i = 0; i < tree.count; i++) subject.resolve(i);
        h.measure({ ...base, name: 'ts heap growth per entry', value: (heapUsed() - before) / c.counters().entries, unit: 'B' });
        subjects.push(subject);
      }
      {
        const before = heapUsed();
        const map = new Map<string, number>();
        const subject = mapSubject(map, tree);
        for (let i = 0; i < tree.count; i++) subject.resolve(i);
        h.measure({ ...base, name: 'map heap growth per entry', value: (heapUsed() - before) / map.size, unit: 'B' });
        subjects.push(subject);
      }
      {
        const subject = enhancedResolveSubject(tree);
        for (let i = 0; i < tree.count; i++) subject.resolve(i);
        subjects.push(subject);
      }
      if (!wasm) h.skip('cache', `wasm at ${sizeLabel}`, wasmMissing, 8);

      const walks = await h.compare(subjects.map((s) => ({
        meta: { ...base, name: 'walk 9-level', impl: s.impl, group: `walk-${entries}` },
        op: cycler(posOrder, s.resolve).op, verify: checksumOf(posOrder, s.resolve),
      })));
      const lead = walks.find((r) => r.impl === 'wasm') ?? walks.find((r) => r.impl === 'ts');
      if (lead) walkNs.set(entries, lead.nsPerOp);
      // The same walk on one path over and over: the instructions are the same, the memory is
      // hot — the gap to the cycling walk above is what cache misses cost.
      const hot = Uint32Array.of(posOrder[0]);
      await h.compare(subjects.map((s) => ({
        meta: { ...base, name: 'walk 9-level, one hot path', impl: s.impl, group: `hot-${entries}` },
        op: cycler(hot, s.resolve).op, verify: checksumOf(hot, s.resolve),
      })));
      await h.compare(subjects.map((s) => ({
        meta: { ...base, name: 'negative 9-level', impl: s.impl, group: `negative-${entries}` },
        op: cycler(negOrder, s.resolve).op, verify: checksumOf(negOrder, s.resolve),
      })));
      // The Map's purge is O(entries): its checksum pass is kept short.
      await h.compare(subjects.map((s) => ({
        meta: { ...base, name: 'revalidate after parent change', impl: s.impl, group: `revalidate-${entries}` },
        op: cycler(revOrder, s.revalidate).op, verify: checksumOf(revOrder, s.revalidate, entries >= 1e6 ? 40 : 400),
      })));
      subjects.length = 0;
      h.gc();
    }
    const sizes = [...walkNs.keys()].sort((a, b) => a - b);
    if (sizes.length >= 2) {
      const first = sizes[0];
      const last = sizes[sizes.length - 1];
      h.measure({ suite: 'cache', name: `walk slowdown ${sci(first)}→${sci(last)}`, params: { impl: wasm ? 'wasm' : 'ts' }, value: walkNs.get(last)! / walkNs.get(first)!, unit: '×' });
    }
  },
};
