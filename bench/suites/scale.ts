// Cached lookups through the Overlay as the cache grows: stat() of 9-level paths and negative
// stat()s at 1e4, 1e5, 1e6 cached entries, on the WASM cache and on the pure-TS cache. The cache
// holds the measured paths plus resolver-style misses (".probe-N" in real directories) up to the
// size: what a long-running build's cache looks like — mostly "does not exist" answers.
import { statAnswer } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import type { BenchOptions } from '../options.js';
import { cachedEntries, disposeOverlay, makeOverlay, type CacheImpl } from '../overlays.js';
import { cycle, expectedChecksum, PathSet, truthStat, verifyAll } from '../workload.js';

const IMPLS: CacheImpl[] = ['wasm', 'ts'];

function scaleSizes(options: BenchOptions): number[] {
  return options.quick ? [1e4, 1e5] : [1e4, 1e5, 1e6];
}

export const scaleSuite: Suite = {
  name: 'scale',
  description: 'Cached stat() of 9-level paths and cached negative stat() through the Overlay at 1e4, 1e5, 1e6 cached entries, ' +
    'WASM cache vs the pure-TS cache. The cache is filled with the measured paths plus resolver-style misses up to the size.',
  planned: (o) => scaleSizes(o).length * IMPLS.length * 2,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const api = await ctx.strata();
    if (typeof api === 'string') { h.skip('scale', 'all', api, this.planned(options)); return; }
    const ds = ctx.dataset();
    const stack = ctx.memoryStack(api);
    const dirs = ds.workload.dirs;
    for (const entries of scaleSizes(options)) {
      // Both implementations are filled first, then measured interleaved (Harness.compare).
      const filled = IMPLS.map((impl) => {
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
        for (const p of ds.workload.deepFiles) {
          if ((deep.length & 63) === 0 && size() >= entries * 0.5) break;
          ov.stat(p);
          deep.push(p);
        }
        const negatives: string[] = [];
        for (const p of ds.workload.negatives) {
          if ((negatives.length & 63) === 0 && size() >= entries * 0.7) break;
          ov.stat(p, { throwIfNoEntry: false });
          negatives.push(p);
        }
        let probes = 0;
        while (size() < entries) {
          for (let i = 0; i < 256; i++, probes++) {
            const d = dirs[probes % dirs.length];
            ov.stat(`${d === '/' ? '' : d}/.probe-${probes}`, { throwIfNoEntry: false });
          }
        }
        const held = size();
        h.measure({ suite: 'scale', name: `cached entries (${impl})`, params: { entries, deepPaths: deep.length, negatives: negatives.length, probes }, value: held, unit: '' });
        return { impl, ov, held, size, deep: new PathSet(deep), negatives: new PathSet(negatives), deepList: deep, negList: negatives };
      });
      const deepExpected = expectedChecksum(filled[0].deepList, (p) => truthStat(ds, p));
      const negExpected = expectedChecksum(filled[0].negList, () => 0);
      await h.compare(filled.map((f) => {
        const stat = (i: number) => statAnswer(f.ov.stat(f.deep.path(i)));
        return {
          meta: { suite: 'scale', name: 'stat 9-level (cached)', impl: `strata-${f.impl}`, params: { entries }, group: `scale-stat-${entries}` },
          op: cycle(f.deep.length, stat), verify: () => verifyAll(f.deep.length, stat), expected: deepExpected,
        };
      }));
      await h.compare(filled.map((f) => {
        const neg = (i: number) => statAnswer(f.ov.stat(f.negatives.path(i), { throwIfNoEntry: false }));
        return {
          meta: { suite: 'scale', name: 'negative stat (cached)', impl: `strata-${f.impl}`, params: { entries }, group: `scale-neg-${entries}` },
          op: cycle(f.negatives.length, neg), verify: () => verifyAll(f.negatives.length, neg), expected: negExpected,
        };
      }));
      for (const f of filled) {
        const after = f.size();
        if (after < f.held) h.note(`scale: the ${f.impl} cache dropped from ${f.held} to ${after} entries while measuring (evictions?)`);
        disposeOverlay(f.ov);
      }
      h.gc();
    }
  },
};
