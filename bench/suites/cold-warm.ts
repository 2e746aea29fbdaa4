// Cold vs warm: the first lookup of each path (a fresh overlay, nothing cached) vs the same
// lookups repeated (all cached), and — the relaxed policy's cost — the lookup right after a lower
// changed underneath: the file replaced (a new object at the name), or its directory renamed
// away and back. Timed in batches: each round's setup (fresh overlay, or the changes) is untimed.
import { statAnswer } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import type { Dataset } from '../dataset.js';
import { dirname } from '../dataset.js';
import type { OverlayLike } from '../engine.js';
import { fileData } from '../materialize/fill.js';
import { toMemoryStack, type MemoryStack } from '../materialize/memory.js';
import { disposeOverlay, makeOverlay, type CacheImpl } from '../overlays.js';
import { expectedChecksum, PathSet, truthStat, verifyAll } from '../workload.js';

const IMPLS: CacheImpl[] = ['wasm', 'ts'];

/** Paths whose file sits in a layer we can replace it in, spread over many directories. */
function pick(paths: readonly string[], count: number): string[] {
  return paths.slice(0, Math.min(count, paths.length));
}

function layerOf(ds: Dataset, stack: MemoryStack, path: string) {
  const a = ds.resolve(path);
  if (a.kind !== 'file') throw new Error(`cold-warm: ${path} is not a file`);
  return { layer: a.layer === 0 ? stack.upper : stack.lowers[a.layer - 1], size: a.size, index: a.layer };
}

export const coldWarmSuite: Suite = {
  name: 'cold-warm',
  description: 'First lookup of each path (fresh overlay) vs repeated lookups (cached), and a relaxed overlay\'s lookup right after ' +
    'the file was replaced in its lower, or its directory renamed away and back. Batches of distinct paths; setup untimed.',
  planned: () => IMPLS.length * 6,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const api = await ctx.strata();
    if (typeof api === 'string') { h.skip('cold-warm', 'all', api, this.planned(options)); return; }
    const ds = ctx.dataset();
    const shared = ctx.memoryStack(api);
    const count = options.quick ? 1000 : 3000;
    const deep = pick(ds.workload.deepFiles, count);
    const negatives = pick(ds.workload.negatives, count);
    const deepSet = new PathSet(deep);
    const negSet = new PathSet(negatives);
    const deepExpected = expectedChecksum(deep, (p) => truthStat(ds, p));
    const negExpected = expectedChecksum(negatives, () => 0);
    h.progress.step('cold-warm: building a mutable copy of the data set');
    const mutable = toMemoryStack(api, ds);

    for (const impl of IMPLS) {
      const base = { suite: 'cold-warm', impl: `strata-${impl}` };
      for (const [name, set, expected, opts] of [
        ['stat 9-level', deepSet, deepExpected, undefined],
        ['negative stat', negSet, negExpected, { throwIfNoEntry: false }],
      ] as const) {
        let ov: OverlayLike | undefined;
        const fresh = () => {
          if (ov) disposeOverlay(ov);
          ov = makeOverlay(api, shared, { impl });
        };
        const pass = (i: number) => statAnswer(ov!.stat(set.path(i), opts));
        const all = () => { for (let i = 0; i < set.length; i++) pass(i); return set.length; };
        await h.batches({ ...base, name, params: { phase: 'cold' }, group: `cw-${name}` }, { setup: fresh, run: all },
          () => { fresh(); return verifyAll(set.length, pass); }, expected);
        // Warm batches repeat the pass: a single pass of cached lookups is too short to time.
        const warmReps = Math.max(1, Math.ceil(20_000 / set.length));
        const warm = () => { let n = 0; for (let r = 0; r < warmReps; r++) n += all(); return n; };
        await h.batches({ ...base, name, params: { phase: 'warm' }, group: `cw-${name}` }, { setup: () => {}, run: warm },
          () => verifyAll(set.length, pass), expected);
        if (ov) disposeOverlay(ov);
      }

      // Relaxed re-lookups: changes made to the lowers (untimed), then the lookups (timed).
      const ov = makeOverlay(api, mutable, { impl, policy: 'relaxed' });
      const pass = (i: number) => statAnswer(ov.stat(deepSet.path(i)));
      verifyAll(deepSet.length, pass);
      const homes = deep.map((p) => layerOf(ds, mutable, p));
      const replaceAll = () => {
        for (let i = 0; i < deep.length; i++) homes[i].layer.writeFile(deep[i], fileData(homes[i].size), { replace: true });
      };
      const all = () => { for (let i = 0; i < deepSet.length; i++) pass(i); return deepSet.length; };
      await h.batches({ ...base, name: 'stat 9-level', params: { phase: 'relaxed re-lookup' }, group: 'cw-stat 9-level' },
        { setup: replaceAll, run: all }, () => { replaceAll(); return verifyAll(deepSet.length, pass); }, deepExpected);

      // The directory holding each file renamed away and back in the file's layer: every cached
      // entry below it is stale at once (O(1) invalidation), and is looked up again on use.
      const parents = [...new Set(deep.map((p, i) => `${homes[i].index}\0${dirname(p)}`))].map((key) => {
        const [index, dir] = key.split('\0');
        const layer = Number(index) === 0 ? mutable.upper : mutable.lowers[Number(index) - 1];
        return { layer, dir };
      });
      const renameAll = () => {
        for (const { layer, dir } of parents) {
          layer.rename(dir, `${dir}.moved`);
          layer.rename(`${dir}.moved`, dir);
        }
      };
      await h.batches({ ...base, name: 'stat 9-level', params: { phase: 'relaxed re-lookup, dir renamed' }, group: 'cw-stat 9-level' },
        { setup: renameAll, run: all }, () => { renameAll(); return verifyAll(deepSet.length, pass); }, deepExpected);
      disposeOverlay(ov);
      h.gc();
    }
  },
};
