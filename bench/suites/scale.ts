// Cached lookups through the Overlay as the cache grows: stat() of 9-level paths and negative
// stat()s at 1e4, 1e5, 1e6 cached entries, on the WASM cache and on the pure-TS cache, with peers
// holding the same paths: a bare Map<string, object> with a fresh key per call, and
// enhanced-resolve's CachedInputFileSystem over node:fs on a kernel overlay mount of the data set.
// The cache holds the measured paths plus resolver-style misses (".probe-N" in real directories)
// up to the size: what a long-running build's cache looks like — mostly "does not exist" answers.
// At the smallest size, Strata over DirLayers of the on-disk copy (default and trustWatch) vs
// fs.statSync / fs.readFileSync on the host directories and on the kernel mount of them.
import * as fs from 'node:fs';
import { statAnswer } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import { watchQueueMode, type OverlayLike } from '../engine.js';
import { mountOverlay } from '../kernel-mount.js';
import { writeDiskTree } from '../materialize/disk.js';
import type { BenchOptions } from '../options.js';
import { cachedEntries, disposeOverlay, makeOverlay, type CacheImpl } from '../overlays.js';
import { enhancedResolvePeer, mapPeer, type ScalePeer, type StatLike } from '../scale-peers.js';
import { cycle, expectedChecksum, PathSet, truthStat, verifyAll } from '../workload.js';

const IMPLS: CacheImpl[] = ['wasm', 'ts'];
/** Rows of target 10.5: one hot set at each size, and the smallest size's again beside each larger one. */
export const HOT_SET = 'stat 9-level (cached), hot set of the smallest size';
export const HOT_SET_REFERENCE = 'stat 9-level (cached), hot set at the smallest size, measured beside a larger size';
/**
 * Target 10.2's rows: Strata's cached positive and negative stat at the smallest size in one
 * comparison (impls PAIRED_POSITIVE, PAIRED_NEGATIVE), so that drift between the two comparisons
 * above cannot decide a ratio of two Strata rows.
 */
export const PAIRED = 'cached stat, positive and negative side by side';
export const PAIRED_POSITIVE = 'strata-wasm (positive: 9-level file)';
export const PAIRED_NEGATIVE = 'strata-wasm (negative, throwIfNoEntry: false)';

function scaleSizes(options: BenchOptions): number[] {
  return options.quick ? [1e4, 1e5] : [1e4, 1e5, 1e6];
}

function strataPeer(impl: string, ov: OverlayLike): ScalePeer {
  return { impl, prefix: '', stat: (p) => ov.stat(p), statMissing: (p) => ov.stat(p, { throwIfNoEntry: false }) };
}

/** The host-directory comparison's rows: 5 stat, 4 readFile timed two ways. */
const HOST_ROWS = 5 + 4 * 2;
/** 10.2's pair (PAIRED), at the smallest size. */
const PAIRED_ROWS = 2;

export const scaleSuite: Suite = {
  name: 'scale',
  description: 'Cached stat() of 9-level paths and cached negative stat() through the Overlay at 1e4, 1e5, 1e6 cached entries, ' +
    'WASM cache vs the pure-TS cache vs a bare Map (fresh key) vs enhanced-resolve\'s CachedInputFileSystem (kernel mount). The cache is filled with the measured ' +
    'paths plus resolver-style misses up to the size; the 9-level files the smallest size holds are also measured at every size before the peers are filled, interleaved with the same files on the smallest size\'s overlay, kept for it (one hot set, one JIT and GC state: target 10.5). At 1e4: Strata over DirLayers (default, trustWatch) vs fs.statSync/readFileSync on the same host directories and on their kernel mount (the reads timed by benchmark.js and in interleaved batches).',
  planned: (o) => scaleSizes(o).length * ((IMPLS.length + 2) * 2 + 1) + PAIRED_ROWS + HOST_ROWS,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const api = await ctx.strata();
    if (typeof api === 'string') { h.skip('scale', 'all', api, this.planned(options)); return; }
    const ds = ctx.dataset();
    const stack = ctx.memoryStack(api);
    const dirs = ds.workload.dirs;
    h.progress.step('scale: writing the data set to disk and mounting a kernel overlay');
    const tree = writeDiskTree(ds);
    ctx.onCleanup(() => tree.remove());
    const mount = options.noKernel ? 'disabled by --no-kernel' : mountOverlay(tree);
    if (typeof mount !== 'string') ctx.onCleanup(() => mount.unmount());
    else h.note(`scale: enhanced-resolve and fs.statSync peers skipped: ${mount}`);

    // The 9-level files the smallest size holds (2240 of 5896 at 1e4): measured at every size as
    // well, so the 10.5 ratio compares one hot set, not a 2.6× larger one at the larger sizes.
    let hotList: string[] | undefined;
    // The smallest size's Strata overlay is kept, and its hot set measured again interleaved with
    // each larger size's (Harness.compare): one JIT and GC state for both sides of the 10.5 ratio.
    // Measured at different times, the two rows moved by more than the target's margin (0.4× to
    // 1.9× between runs).
    let reference: { ov: OverlayLike; entries: number } | undefined;
    for (const [sizeIndex, entries] of scaleSizes(options).entries()) {
      // Both implementations are filled first, then measured interleaved (Harness.compare).
      const fill = (impl: CacheImpl) => {
        h.progress.step(`scale: filling the ${impl} cache to ${entries} entries`);
        const ov = makeOverlay(api, stack, { impl, entries: Math.ceil(entries * 1.2) + 1024 });
        const size = () => {
          const n = cachedEntries(ov);
          if (Number.isNaN(n)) throw new Error('ov.stats() reports no cache entry count');
          return n;
        };
        // Measured paths first (half the cache for 9-level files, a fifth for negatives), then
        // misses until the cache holds `entries`.
        const deep: string[] = [];
        const deepStats: StatLike[] = [];
        for (const p of ds.workload.deepFiles) {
          if ((deep.length & 63) === 0 && size() >= entries * 0.5) break;
          deepStats.push(ov.stat(p)!);
          deep.push(p);
        }
        const negatives: string[] = [];
        for (const p of ds.workload.negatives) {
          if ((negatives.length & 63) === 0 && size() >= entries * 0.7) break;
          ov.stat(p, { throwIfNoEntry: false });
          negatives.push(p);
        }
        const probes: string[] = [];
        while (size() < entries) {
          for (let i = 0; i < 256; i++) {
            const d = dirs[probes.length % dirs.length];
            const p = `${d === '/' ? '' : d}/.probe-${probes.length}`;
            ov.stat(p, { throwIfNoEntry: false });
            probes.push(p);
          }
        }
        const held = size();
        h.measure({ suite: 'scale', name: `cached entries (${impl})`, params: { entries, deepPaths: deep.length, negatives: negatives.length, probes: probes.length }, value: held, unit: '' });
        return { impl, ov, held, size, deep: new PathSet(deep), negatives: new PathSet(negatives), deepList: deep, deepStats, negList: negatives, probes };
      };
      const filled: ReturnType<typeof fill>[] = [];
      for (const impl of IMPLS) {
        const f = fill(impl);
        filled.push(f);
        if (impl !== 'wasm') continue;
        // The hot set, measured before the peers' caches exist: at 1e6 they hold ≈ 2 GB of JS heap
        // (the TS cache, the Map, enhanced-resolve's cache), which makes every scavenge of every
        // allocating caller dearer — a cost of sharing this process, not of Strata's cache size
        // (its 1e6 entries live in WASM memory). The interleaved rows below keep that setting.
        hotList ??= f.deepList;
        const hot = new PathSet(hotList);
        const expected = expectedChecksum(hotList, (p) => truthStat(ds, p));
        const hotRow = (ov: OverlayLike, name: string, params: Record<string, number>) => {
          const hotStat = (i: number) => statAnswer(ov.stat(hot.path(i)));
          return { meta: { suite: 'scale', name, impl: 'strata-wasm', params: { ...params, hotFiles: hot.length } },
            op: cycle(hot.length, hotStat), verify: () => verifyAll(hot.length, hotStat), expected };
        };
        const rows = [hotRow(f.ov, HOT_SET, { entries })];
        if (reference === undefined) reference = { ov: f.ov, entries };
        else rows.unshift(hotRow(reference.ov, HOT_SET_REFERENCE, { entries: reference.entries, alongside: entries }));
        await h.compare(rows);
      }
      // The peers hold the paths of the WASM fill (the TS fill is the same sequence).
      const f0 = filled[0];
      const peers: ScalePeer[] = filled.map((f) => strataPeer(`strata-${f.impl}`, f.ov));
      h.progress.step(`scale: filling the Map${typeof mount === 'string' ? '' : ' and enhanced-resolve'} with the same ${f0.held} paths`);
      peers.push(mapPeer(f0.deepList.map((p, i) => [p, f0.deepStats[i]] as [string, StatLike]), [...f0.negList, ...f0.probes]));
      if (typeof mount !== 'string') peers.push(enhancedResolvePeer(mount.path, [...f0.deepList, ...f0.negList, ...f0.probes]));

      const deepExpected = expectedChecksum(f0.deepList, (p) => truthStat(ds, p));
      const negExpected = expectedChecksum(f0.negList, () => 0);
      await h.compare(peers.map((peer) => {
        const stat = (i: number) => statAnswer(peer.stat(f0.deep.path(i, peer.prefix)));
        return {
          meta: { suite: 'scale', name: 'stat 9-level (cached)', impl: peer.impl, params: { entries }, group: `scale-stat-${entries}` },
          op: cycle(f0.deep.length, stat), verify: () => verifyAll(f0.deep.length, stat), expected: deepExpected,
        };
      }));
      await h.compare(peers.map((peer) => {
        const neg = (i: number) => statAnswer(peer.statMissing(f0.negatives.path(i, peer.prefix)));
        return {
          meta: { suite: 'scale', name: 'negative stat (cached)', impl: peer.impl, params: { entries }, group: `scale-neg-${entries}` },
          op: cycle(f0.negatives.length, neg), verify: () => verifyAll(f0.negatives.length, neg), expected: negExpected,
        };
      }));
      if (sizeIndex === 0) {
        const wasm = peers.find((peer) => peer.impl === 'strata-wasm');
        if (wasm !== undefined) {
          const stat = (i: number) => statAnswer(wasm.stat(f0.deep.path(i)));
          const neg = (i: number) => statAnswer(wasm.statMissing(f0.negatives.path(i)));
          // Each row's answers are checked with the separate comparison's of the same paths.
          const meta = (impl: string, group: string) => ({ suite: 'scale', name: PAIRED, impl, params: { entries }, group });
          await h.compare([
            { meta: meta(PAIRED_POSITIVE, `scale-stat-${entries}`), op: cycle(f0.deep.length, stat),
              verify: () => verifyAll(f0.deep.length, stat), expected: deepExpected },
            { meta: meta(PAIRED_NEGATIVE, `scale-neg-${entries}`), op: cycle(f0.negatives.length, neg),
              verify: () => verifyAll(f0.negatives.length, neg), expected: negExpected },
          ]);
        }
        await hostComparison(ctx, api, tree, mount, f0.ov, f0.deep, f0.deepList, deepExpected);
      }
      for (const f of filled) {
        const after = f.size();
        if (after < f.held) h.note(`scale: the ${f.impl} cache dropped from ${f.held} to ${after} entries while measuring (evictions?)`);
        if (f.ov !== reference?.ov) disposeOverlay(f.ov);
      }
      peers.length = 0;
      h.gc();
    }
    if (reference !== undefined) disposeOverlay(reference.ov);
  },
};

/**
 * Strata over DirLayers of the on-disk copy, in both modes: by default (watching; every operation
 * first takes in the inotify queue's events, so a host change made before it is seen by it: a
 * shared-memory check where io_uring is allowed, else a read) and with `trustWatch` (no check: a
 * change shows once the event loop delivers it). Peers: the same engine over
 * MemoryLayers; fs.statSync / fs.readFileSync on the host directory holding each file (the layer
 * it is visible from: issue 10.3's "same host directory") and on the kernel overlay mount.
 */
async function hostComparison(
  ctx: SuiteContext, api: Exclude<Awaited<ReturnType<SuiteContext['strata']>>, string>,
  tree: ReturnType<typeof writeDiskTree>, mount: ReturnType<typeof mountOverlay> | string,
  memoryOverlay: OverlayLike, deep: PathSet, deepList: string[], deepExpected: string,
): Promise<void> {
  const { h } = ctx;
  if (!api.DirLayer || typeof mount === 'string') {
    h.skip('scale', 'DirLayer vs fs.statSync', typeof mount === 'string' ? mount : 'the engine exports no DirLayer', HOST_ROWS);
    return;
  }
  const DirLayer = api.DirLayer;
  h.note(`scale: ${await watchQueueMode()}`);
  const upper = new DirLayer(tree.upper, { readOnly: true, watch: true });
  const lowers = tree.lowers.map((d) => new DirLayer(d, { readOnly: true, watch: true }));
  const trusting = { readOnly: true, watch: true, trustWatch: true };
  const tUpper = new DirLayer(tree.upper, trusting);
  const tLowers = tree.lowers.map((d) => new DirLayer(d, trusting));
  const closeLayers = ctx.onCleanup(() => { for (const l of [upper, ...lowers, tUpper, ...tLowers]) (l as { close?: () => void }).close?.(); });
  const ov = makeOverlay(api, { upper, lowers }, { impl: 'wasm' });
  const ovTrust = makeOverlay(api, { upper: tUpper, lowers: tLowers }, { impl: 'wasm' });
  // Each file's host path in the topmost layer that has it (a visible file: no whiteout above it).
  const layerDirs = [tree.upper, ...tree.lowers];
  const onHost = new PathSet(deepList.map((p) => `${layerDirs.find((d) => fs.existsSync(d + p))}${p}`));
  try {
    const peers: { impl: string; stat: (i: number) => StatLike | undefined }[] = [
      { impl: 'strata-wasm on DirLayer (default: watch queue)', stat: (i) => ov.stat(deep.path(i)) },
      { impl: 'strata-wasm on DirLayer (trustWatch)', stat: (i) => ovTrust.stat(deep.path(i)) },
      { impl: 'strata-wasm', stat: (i) => memoryOverlay.stat(deep.path(i)) },
      { impl: 'fs.statSync (host dir)', stat: (i) => fs.statSync(onHost.path(i)) },
      { impl: 'fs.statSync (kernel mount)', stat: (i) => fs.statSync(deep.path(i, mount.path)) },
    ];
    for (const p of deepList) { ov.stat(p); ovTrust.stat(p); }
    await h.compare(peers.map((peer) => {
      const stat = (i: number) => statAnswer(peer.stat(i));
      return {
        meta: { suite: 'scale', name: 'stat 9-level, host dirs', impl: peer.impl, params: { entries: deepList.length }, group: 'scale-host-stat' },
        op: cycle(deep.length, stat), verify: () => verifyAll(deep.length, stat), expected: deepExpected,
      };
    }));
    const ovRead = ov as unknown as { readFile(p: string): Buffer };
    const ovTrustRead = ovTrust as unknown as { readFile(p: string): Buffer };
    const readers = [
      { impl: 'strata-wasm on DirLayer (default: watch queue)', read: (i: number) => ovRead.readFile(deep.path(i)).length },
      { impl: 'strata-wasm on DirLayer (trustWatch)', read: (i: number) => ovTrustRead.readFile(deep.path(i)).length },
      { impl: 'fs.readFileSync (host dir)', read: (i: number) => fs.readFileSync(onHost.path(i)).length },
      { impl: 'fs.readFileSync (kernel mount)', read: (i: number) => fs.readFileSync(deep.path(i, mount.path)).length },
    ];
    const reading = readers.map((r) => ({
      meta: { suite: 'scale', name: 'readFile 9-level, host dirs', impl: r.impl, params: { entries: deepList.length }, group: 'scale-host-read' },
      op: cycle(deep.length, r.read), verify: () => verifyAll(deep.length, r.read),
    }));
    await h.compare(reading);
    await h.interleave(reading);
  } finally {
    disposeOverlay(ov);
    disposeOverlay(ovTrust);
    closeLayers();
  }
}
