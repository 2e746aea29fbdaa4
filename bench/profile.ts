// Where the time goes: runs one hot loop of a benchmark for a few seconds so `node --cpu-prof`
// can record it, and summarises .cpuprofile files by self time (function, file:line).
//   node --cpu-prof --cpu-prof-dir=/tmp/prof dist/bench/profile.js stat-warm --impl wasm
//   node dist/bench/profile.js --summary /tmp/prof/CPU.*.cpuprofile   (only the timed loop: --under until)
//   node dist/bench/profile.js stat-warm --fill 1000000 [--hot 2240] [--ballast]   (the scale suite's
//     fill first; prints where the loop's stats were answered and its GC pauses)
// WASM frames get names from --names FILE: the release target built with --debug, e.g.
//   npx asc assembly/index.ts --target release --debug --outFile /tmp/strata.named.wasm
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NO_ENTRY, RES_HANDLE, RES_LAST, T_DIR, T_FILE, T_NONE, WALK_FOUND, WALK_NEGATIVE } from '../bindings/abi.js';
import type { DentryCache } from '../bindings/cache/dentry-cache.js';
import { TsDentryCache } from '../bindings/cache/ts-cache.js';
import { makeCacheTree } from './cache-tree.js';
import { generateDataset } from './dataset.js';
import { loadStrata } from './engine.js';
import { writeDiskTree } from './materialize/disk.js';
import { toMemoryStack } from './materialize/memory.js';
import { makeOverlay, type CacheImpl } from './overlays.js';
import { enhancedResolve, moduleRequests, resolverOver } from './resolver-requests.js';
import { PathSet } from './workload.js';

const SCENARIOS = ['cache-walk', 'stat-warm', 'negative-warm', 'stat-cold', 'resolve-warm', 'resolve-cold', 'readfile-warm'] as const;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Function names by index from a .wasm: the "name" custom section if it has one (build the same
 * release target with --debug: the code section is byte-identical, only names are added),
 * otherwise its exports.
 */
function wasmFunctionNames(file: string): Map<number, string> {
  const b = readFileSync(file);
  let at = 8;
  const leb = () => { let v = 0; let shift = 0; let byte; do { byte = b[at++]; v |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80); return v >>> 0; };
  const str = () => { const len = leb(); const s = b.subarray(at, at + len).toString('utf8'); at += len; return s; };
  const exported = new Map<number, string>();
  const named = new Map<number, string>();
  while (at < b.length) {
    const id = b[at++];
    const size = leb();
    const end = at + size;
    if (id === 7) {
      for (let n = leb(); n > 0; n--) {
        const name = str();
        const kind = b[at++];
        const index = leb();
        if (kind === 0) exported.set(index, name);
      }
    } else if (id === 0 && str() === 'name') {
      while (at < end) {
        const sub = b[at++];
        const subEnd = leb() + at;
        if (sub === 1) for (let n = leb(); n > 0; n--) { const index = leb(); named.set(index, str()); }
        at = subEnd;
      }
    }
    at = end;
  }
  return named.size > 0 ? named : exported;
}

/**
 * Self time per function over one or more profiles, largest first. With `under`, only samples
 * below a frame of that name count (the hot loop, not the setup before it).
 */
export function summarize(files: string[], under?: string, namesFrom?: string, top = 25): string {
  let wasmNames = new Map<number, string>();
  try { wasmNames = wasmFunctionNames(namesFrom ?? new URL('../../build/strata.wasm', import.meta.url).pathname); } catch { /* names stay numeric */ }
  const self = new Map<string, number>();
  let total = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const counted = new Set<number>();
    if (under !== undefined) {
      const mark = (id: number) => { if (counted.has(id)) return; counted.add(id); for (const c of byId.get(id)!.children ?? []) mark(c); };
      for (const n of p.nodes) if (n.callFrame.functionName === under) mark(n.id);
    }
    p.samples.forEach((id, i) => {
      if (under !== undefined && !counted.has(id)) return;
      const f = byId.get(id)!.callFrame;
      let name = f.functionName || '(anonymous)';
      const m = /^wasm-function\[(\d+)\]$/.exec(name);
      if (m && wasmNames.has(Number(m[1]))) name = `wasm:${wasmNames.get(Number(m[1]))}`;
      const where = f.url && !f.url.startsWith('wasm://') ? `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
      const key = `${name} ${where}`.trim();
      const dt = p.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return rows.map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`).join('\n');
}

async function run(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      summary: { type: 'boolean', default: false },
      under: { type: 'string', default: 'until' },
      names: { type: 'string' },
      impl: { type: 'string', default: 'wasm' },
      entries: { type: 'string', default: '1000000' },
      seconds: { type: 'string', default: '5' },
      seed: { type: 'string', default: '42' },
      layers: { type: 'string', default: 'memory' },
      // DirLayers with trustWatch (resolve-warm, --layers dir): the watch vouches for cached attributes.
      trust: { type: 'boolean', default: false },
      // resolve-warm: createFs with lightErrors.
      light: { type: 'boolean', default: false },
      // stat-warm: fill the cache as the scale suite does to N entries first (9-level files up to
      // half of it, negatives to 0.7, then '.probe-N' misses), and report the memo counters.
      fill: { type: 'string', default: '0' },
      // stat-warm --fill: measure at most this many 9-level files (default: those the fill took).
      hot: { type: 'string', default: '0' },
      // stat-warm --fill: also keep a TS-cache overlay and a Map of the same paths alive (the scale
      // suite's other peers share its process and heap).
      ballast: { type: 'boolean', default: false },
    },
  });
  if (values.summary) {
    console.log(summarize(positionals, values.under === '' ? undefined : values.under, values.names));
    return;
  }
  const scenario = positionals[0] as (typeof SCENARIOS)[number];
  if (!SCENARIOS.includes(scenario)) throw new Error(`scenario must be one of ${SCENARIOS.join(', ')}`);
  const impl = values.impl as CacheImpl | 'map';
  const seconds = Number(values.seconds);
  const seed = Number(values.seed);
  const until = (f: () => number) => {
    const end = performance.now() + seconds * 1000;
    let ops = 0;
    let sink = 0;
    // CPU time too: on a shared machine, time descheduled inflates the wall figure, not this one.
    const cpu0 = process.cpuUsage();
    while (performance.now() < end) { for (let i = 0; i < 1000; i++) sink ^= f(); ops += 1000; }
    const cpu = process.cpuUsage(cpu0);
    const cpuNs = ((cpu.user + cpu.system) * 1000) / ops;
    console.log(`${scenario} ${impl}: ${((seconds * 1e9) / ops).toFixed(0)} ns/op over ${ops} ops, ${cpuNs.toFixed(0)} ns/op of CPU time (${sink & 1})`);
  };

  if (scenario === 'cache-walk') {
    const tree = makeCacheTree(Number(values.entries), seed);
    const order = [...Array(tree.count).keys()].filter((i) => !tree.leafNegative[i]);
    let c: DentryCache;
    if (impl === 'ts') c = new TsDentryCache({ entries: 1 << 21, bytes: 1 << 30 });
    else {
      const spec = '../bindings/cache/wasm-cache.js';
      const { WasmDentryCache } = (await import(spec)) as { WasmDentryCache: new (c: object) => DentryCache };
      c = new WasmDentryCache({ entries: 1 << 21, bytes: 1 << 30 });
    }
    const resolve = (i: number) => {
      let s = c.walk(tree.leafDir[i] + '/' + tree.leafName[i], 1, 0);
      while (s !== WALK_FOUND && s !== WALK_NEGATIVE) {
        const last = c.result[RES_LAST] === 1;
        const id = c.insertStopped(!last ? T_DIR : tree.leafNegative[i] ? T_NONE : T_FILE, 0, 1, 1, i + 1, 0);
        if (id === NO_ENTRY) throw new Error('insert refused');
        s = c.resume(id, 1);
      }
      return c.result[RES_HANDLE];
    };
    for (let i = 0; i < tree.count; i++) resolve(i);
    let k = 0;
    until(() => { const v = resolve(order[k]); if (++k === order.length) k = 0; return v; });
    return;
  }

  const api = await loadStrata();
  if (typeof api === 'string') throw new Error(api);
  if (scenario === 'resolve-warm' || scenario === 'resolve-cold') {
    // The resolver suite's loops: --impl wasm|ts = createFs over a DirLayer (watching) of this
    // repository, --impl node = enhanced-resolve's CachedInputFileSystem over node:fs. Cold: a
    // fresh overlay (the layer, its handles and watches kept, as in the suite) or a fresh
    // CachedInputFileSystem after each pass over the requests.
    const root = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
    const requests = moduleRequests(root, seed);
    let fresh: () => ReturnType<typeof resolverOver>;
    let base = '/';
    if (values.impl === 'node') {
      const er = enhancedResolve();
      const nodeFs = await import('node:fs');
      fresh = () => resolverOver(new er.CachedInputFileSystem(nodeFs, Number.POSITIVE_INFINITY));
      base = root + '/';
    } else {
      if (!api.DirLayer) throw new Error('the engine exports no DirLayer');
      const lower = new api.DirLayer(root, { readOnly: true, watch: true, trustWatch: values.trust });
      const { createFs } = (await import('../bindings/fs.js')) as unknown as { createFs: (o: unknown, opts: unknown) => unknown };
      let ov: ReturnType<typeof makeOverlay> | undefined;
      fresh = () => {
        if (ov) (ov as unknown as { close(): void }).close();
        ov = makeOverlay(api, { lowers: [lower] }, { impl: impl === 'ts' ? 'ts' : 'wasm' });
        return resolverOver(createFs(ov, { lightErrors: values.light }));
      };
    }
    let r = fresh();
    const ok = requests.filter((q) => { try { return r.resolveSync({}, base + q.context, q.request) !== false; } catch { return false; } });
    let k = 0;
    until(() => {
      const q = ok[k];
      if (++k === ok.length) { k = 0; if (scenario === 'resolve-cold') r = fresh(); }
      return (r.resolveSync({}, base + q.context, q.request) as string).length;
    });
    setImmediate(() => process.exit(0));
    return;
  }
  const ds = generateDataset(seed, 1);
  // --layers dir: the same tree as DirLayers over an on-disk copy (removed on exit).
  let stack: { upper: unknown; lowers: unknown[] } = toMemoryStack(api, ds);
  if (values.layers === 'dir') {
    if (!api.DirLayer) throw new Error('the engine exports no DirLayer');
    const DirLayer = api.DirLayer;
    const tree = writeDiskTree(ds);
    process.on('exit', () => tree.remove());
    const o = { readOnly: true, trustWatch: values.trust };
    stack = { upper: new DirLayer(tree.upper, o), lowers: tree.lowers.map((d) => new DirLayer(d, o)) };
  }
  const cacheImpl = impl === 'ts' ? 'ts' : 'wasm';
  if (scenario === 'stat-cold') {
    const set = new PathSet(ds.workload.deepFiles.slice(0, 3000));
    let ov = makeOverlay(api, stack, { impl: cacheImpl });
    let k = 0;
    until(() => {
      const st = ov.stat(set.path(k));
      if (++k === set.length) { k = 0; (ov as unknown as { close(): void }).close(); ov = makeOverlay(api, stack, { impl: cacheImpl }); }
      return st ? st.size : 0;
    });
    return;
  }
  const fill = Number(values.fill);
  if (scenario === 'stat-warm' && fill > 0) {
    statWarmFilled(api, stack, ds, cacheImpl, fill, Number(values.hot), values.ballast === true, until);
    return;
  }
  const ov = makeOverlay(api, stack, { impl: cacheImpl });
  if (scenario === 'readfile-warm') {
    // readFile of the 9-level files (small), warm: over --layers dir, the DirLayer read path.
    const files = new PathSet(ds.workload.deepFiles);
    const reader = ov as unknown as { readFile(p: string): Uint8Array };
    for (let i = 0; i < files.length; i++) reader.readFile(files.path(i));
    let k = 0;
    until(() => {
      const n = reader.readFile(files.path(k)).length;
      if (++k === files.length) k = 0;
      return n;
    });
    return;
  }
  const negative = scenario === 'negative-warm';
  const set = new PathSet(negative ? ds.workload.negatives : ds.workload.deepFiles);
  for (let i = 0; i < set.length; i++) ov.stat(set.path(i), { throwIfNoEntry: false });
  let k = 0;
  until(() => {
    const st = negative ? ov.stat(set.path(k), { throwIfNoEntry: false }) : ov.stat(set.path(k));
    if (++k === set.length) k = 0;
    return st ? st.size : 0;
  });
}

/** Lifetime counters of the engine's stat memo, the cache's path memo and front table (diagnostics). */
function memoCounters(ov: unknown): Record<string, number> {
  type Counts = Record<string, number>;
  const engine = (ov as { engine: { statMemo?: { follow: { counts: Counts } }; cache: { memo?: { table: { counts: Counts } }; frontHits?(): number; pathMemoHits?: number } } }).engine;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(engine.statMemo?.follow.counts ?? {})) out[`statMemo.${k}`] = v;
  for (const [k, v] of Object.entries(engine.cache.memo?.table.counts ?? {})) out[`pathMemo.${k}`] = v;
  out.frontHits = engine.cache.frontHits?.() ?? NaN;
  const c = (ov as { stats(): Counts }).stats();
  out.misses = c.misses;
  out.evictions = c.evictions;
  return out;
}

/**
 * stat-warm after a scale-suite fill to `entries` (bench/suites/scale.ts): where a cached stat of
 * the hot 9-level files is answered, counted over the timed loop.
 */
function statWarmFilled(
  api: Exclude<Awaited<ReturnType<typeof loadStrata>>, string>, stack: { upper: unknown; lowers: unknown[] },
  ds: ReturnType<typeof generateDataset>, impl: CacheImpl, entries: number, hot: number, ballastWith: boolean, until: (f: () => number) => void,
): void {
  const { ov, deep, negatives, probes } = fillLikeScale(api, stack, ds, impl, entries);
  // --ballast: the suite's other peers hold the same paths meanwhile (the TS cache, a Map).
  const ballast = ballastWith ? [fillLikeScale(api, stack, ds, 'ts', entries), new Map(probeList(ds, probes).map((p) => [p, { p }]))] : [];
  const size = () => (ov.stats() as { entries: number }).entries;
  const set = new PathSet(hot > 0 ? deep.slice(0, hot) : deep);
  console.log(`filled: ${size()} entries, ${deep.length} 9-level files (${set.length} measured), ${negatives} negatives, ${probes} probes`);
  const before = memoCounters(ov);
  let gcMs = 0;
  let gcs = 0;
  const byKind: Record<string, number> = {};
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcs++;
      // detail.kind (perf_hooks constants): 1 minor (scavenge), 4 major, 8 incremental, 16 weak callbacks.
      const kind = String((e as unknown as { detail?: { kind?: number } }).detail?.kind);
      byKind[kind] = (byKind[kind] ?? 0) + e.duration;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  let k = 0;
  until(() => {
    const st = ov.stat(set.path(k));
    if (++k === set.length) k = 0;
    return st ? st.size : 0;
  });
  const after = memoCounters(ov);
  // Entries are delivered asynchronously: report once the loop's are in.
  setTimeout(() => { gcObserver.disconnect(); console.log(`gc during the loop: ${gcs} pauses, ${gcMs.toFixed(0)} ms (ms by kind: ${JSON.stringify(byKind)})`); }, 50);
  console.log(Object.keys(after).map((key) => `${key} +${after[key] - before[key]}`).join(', '));
  // Referenced after the loop, so the peers stay alive through it.
  if (ballast.length > 0) console.log(`ballast kept through the loop: a TS cache and a Map of ${(ballast[1] as Map<string, unknown>).size} paths`);
}

/** The '.probe-N' paths of a fill (in real directories, like a resolver's misses). */
function probeList(ds: ReturnType<typeof generateDataset>, count: number): string[] {
  const dirs = ds.workload.dirs;
  const out: string[] = [];
  for (let i = 0; i < count; i++) { const d = dirs[i % dirs.length]; out.push(`${d === '/' ? '' : d}/.probe-${i}`); }
  return out;
}

/** An overlay filled as the scale suite fills one (bench/suites/scale.ts). */
function fillLikeScale(
  api: Exclude<Awaited<ReturnType<typeof loadStrata>>, string>, stack: { upper: unknown; lowers: unknown[] },
  ds: ReturnType<typeof generateDataset>, impl: CacheImpl, entries: number,
) {
  const ov = makeOverlay(api, stack, { impl, entries: Math.ceil(entries * 1.2) + 1024 });
  const size = () => (ov.stats() as { entries: number }).entries;
  const deep: string[] = [];
  for (const p of ds.workload.deepFiles) {
    if ((deep.length & 63) === 0 && size() >= entries * 0.5) break;
    ov.stat(p);
    deep.push(p);
  }
  let negatives = 0;
  for (const p of ds.workload.negatives) {
    if ((negatives & 63) === 0 && size() >= entries * 0.7) break;
    ov.stat(p, { throwIfNoEntry: false });
    negatives++;
  }
  const dirs = ds.workload.dirs;
  let probes = 0;
  while (size() < entries) {
    for (let i = 0; i < 256; i++, probes++) {
      const d = dirs[probes % dirs.length];
      ov.stat(`${d === '/' ? '' : d}/.probe-${probes}`, { throwIfNoEntry: false });
    }
  }
  return { ov, deep, negatives, probes };
}

await run();
