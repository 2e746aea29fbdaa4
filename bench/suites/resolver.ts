// A resolver's workload: enhanced-resolve resolving ≥ 500 real requests (this repository's own
// node_modules) through Strata's createFs over DirLayers — no CachedInputFileSystem: the overlay's
// cache is the cache — vs enhanced-resolve + CachedInputFileSystem (duration Infinity, never
// re-checks) over node:fs on the same tree. Cold = a fresh overlay / a fresh CachedInputFileSystem
// per batch (the host's own page and dentry caches are warm for both); warm = the same resolver
// again. Checksum: the resolved paths relative to the tree's root, in request order.
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Checksum } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import { watchQueueMode, type OverlayLike } from '../engine.js';
import { disposeOverlay } from '../overlays.js';
import { enhancedResolve, moduleRequests, resolverOver, type ResolveRequest, type SyncResolver } from '../resolver-requests.js';

/** dist/bench/suites/resolver.js → the repository root (whose node_modules is the tree). */
const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const MIN_REQUESTS = 500;

/** One resolution: its path relative to the tree's root, as a checksum word. */
function answerOf(sum: Checksum, resolved: string | false, root: string): void {
  const rel = resolved === false ? '' : resolved.startsWith(root) ? resolved.slice(root.length) : `!${resolved}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < rel.length; i++) h = Math.imul(h ^ rel.charCodeAt(i), 0x01000193);
  sum.add(h >>> 0);
}

/** Four subjects: cold, warm by benchmark.js, warm in interleaved batches. */
const ROWS = 4 * 3;

export const resolverSuite: Suite = {
  name: 'resolver',
  description: `enhanced-resolve resolving ≥ ${MIN_REQUESTS} real requests (this repository's node_modules): through Strata's createFs ` +
    'over DirLayers, default, trustWatch, and the default with createFs\'s lightErrors (no CachedInputFileSystem) vs enhanced-resolve + CachedInputFileSystem over node:fs on the same tree; cold, and warm (timed by benchmark.js and in interleaved batches).',
  planned: () => ROWS,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const api = await ctx.strata();
    if (typeof api === 'string' || !api.DirLayer) { h.skip('resolver', 'all', typeof api === 'string' ? api : 'no DirLayer', ROWS); return; }
    const er = enhancedResolve();
    const { createFs } = (await import('../../bindings/fs.js')) as { createFs: (ov: unknown, options?: { lightErrors?: boolean }) => unknown };
    const root = REPO_ROOT;

    // Keep the requests the reference resolves: a failed request would time error paths only.
    const reference = resolverOver(new er.CachedInputFileSystem(fs, Number.POSITIVE_INFINITY));
    const all = moduleRequests(root, options.seed);
    const requests: ResolveRequest[] = [];
    for (const r of all) {
      try {
        if (reference.resolveSync({}, join(root, r.context), r.request)) requests.push(r);
      } catch { /* not resolvable with these options (types-only, ESM-only exports) */ }
    }
    h.note(`resolver: ${requests.length} of ${all.length} requests from ${root}/node_modules resolve (Node ${process.version}, ${new Date().toISOString()})`);
    if (requests.length < MIN_REQUESTS) h.note(`resolver: fewer than ${MIN_REQUESTS} requests resolve here`);

    const upperDir = mkdtempSync(join(tmpdir(), 'strata-bench-upper-'));
    ctx.onCleanup(() => rmSync(upperDir, { recursive: true, force: true }));
    // Two modes of DirLayer: the default (a host change is seen by the very next call: the inotify
    // queue is checked at each operation) and trustWatch (a change shows once the event loop
    // delivers it); and the default with createFs's lightErrors (misses thrown as light errors).
    h.note(`resolver: ${await watchQueueMode()}`);
    const strataIn = (impl: string, trustWatch: boolean, lightErrors = false) => {
      const lower = new api.DirLayer!(root, { readOnly: true, watch: true, trustWatch });
      const upper = new api.DirLayer!(upperDir, { readOnly: true, watch: true, trustWatch });
      ctx.onCleanup(() => { for (const l of [upper, lower]) (l as { close?: () => void }).close?.(); });
      let overlay: OverlayLike | undefined;
      ctx.onCleanup(() => { if (overlay) disposeOverlay(overlay); });
      const fresh = (): SyncResolver => {
        if (overlay) disposeOverlay(overlay);
        overlay = new api.Overlay({ lowers: [lower], upper, policy: 'relaxed' });
        return resolverOver(createFs(overlay, { lightErrors }));
      };
      return { impl, fresh, base: '/' };
    };
    const freshNode = (): SyncResolver => resolverOver(new er.CachedInputFileSystem(fs, Number.POSITIVE_INFINITY));
    const subjects = [
      strataIn('strata createFs on DirLayer (default: watch queue)', false),
      strataIn('strata createFs on DirLayer (trustWatch)', true),
      strataIn('strata createFs on DirLayer (default: watch queue, lightErrors)', false, true),
      { impl: 'enhanced-resolve cached (node:fs)', fresh: freshNode, base: root + '/' },
    ];
    const contexts = (base: string) => requests.map((r) => (r.context === '' ? base : base + r.context));
    const passOf = (res: SyncResolver, base: string) => {
      const ctxs = contexts(base);
      const prefix = base.slice(0, -1);
      return () => {
        const sum = new Checksum();
        for (let i = 0; i < requests.length; i++) answerOf(sum, res.resolveSync({}, ctxs[i], requests[i].request), prefix);
        return { checksum: sum.hex(), answers: sum.count };
      };
    };

    // Cold: a fresh cache per batch, every request once.
    for (const s of subjects) {
      let res = s.fresh();
      await h.batches(
        { suite: 'resolver', name: 'resolve (cold)', impl: s.impl, params: { requests: requests.length }, group: 'resolver-cold' },
        { setup: () => { res = s.fresh(); }, run: () => { passOf(res, s.base)(); return requests.length; }, samples: options.quick ? 3 : 5 },
        () => passOf(s.fresh(), s.base)(),
      );
    }
    // Warm: one resolver per subject, after a full pass; one request per operation.
    const warm = subjects.map((s) => {
      const res = s.fresh();
      const pass = passOf(res, s.base);
      pass();
      const ctxs = contexts(s.base);
      let k = 0;
      return {
        meta: { suite: 'resolver', name: 'resolve (warm)', impl: s.impl, params: { requests: requests.length }, group: 'resolver-warm' },
        op: () => {
          res.resolveSync({}, ctxs[k], requests[k].request);
          if (++k === requests.length) k = 0;
        },
        verify: pass,
      };
    });
    await h.compare(warm);
    // A batch is one pass over all the requests: they differ in cost, and every case then times the same mix.
    await h.interleave(warm, { batch: requests.length, samples: options.quick ? 4 : 15 });
  },
};
