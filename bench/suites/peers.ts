// Peers, same workload, same run: Strata (WASM cache) vs Strata on the pure-TS cache vs Strata
// over DirLayers of the on-disk tree vs unionfs over memfs volumes vs fs.statSync/readdirSync on
// a kernel overlay mount of the same tree vs enhanced-resolve's CachedInputFileSystem over
// node:fs on that mount. unionfs has no whiteouts
// or opaque directories, so everyone runs the paths whose answer does not depend on them
// (Dataset.workload.unionSafe); every peer must print the checksum the data set predicts.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { hashNameSet, statAnswer } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import type { OverlayLike } from '../engine.js';
import type { Result } from '../harness.js';
import { mountOverlay, type KernelMount } from '../kernel-mount.js';
import { writeDiskTree, type DiskTree } from '../materialize/disk.js';
import { toUnionFs } from '../materialize/memfs.js';
import { disposeOverlay, makeOverlay } from '../overlays.js';
import { cycle, expectedChecksum, PathSet, truthListing, truthStat, verifyAll } from '../workload.js';

interface StatLike { size: number; isFile(): boolean; isDirectory(): boolean }

/** One peer: how it answers the three questions (undefined stat = does not exist). */
interface Peer {
  impl: string;
  stat(path: string): StatLike | undefined;
  statMissing(path: string): StatLike | undefined;
  readdir(path: string): string[];
  prefix: string;
}

function strataPeer(impl: string, ov: OverlayLike): Peer {
  return {
    impl, prefix: '',
    stat: (p) => ov.stat(p),
    statMissing: (p) => ov.stat(p, { throwIfNoEntry: false }),
    readdir: (p) => ov.readdir(p),
  };
}

function throwingStat(stat: (p: string) => StatLike): (p: string) => StatLike | undefined {
  return (p) => {
    try { return stat(p); } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  };
}

const WORKLOADS = ['stat 9-level', 'negative stat', 'readdir'] as const;
const PEER_COUNT = 6;

export const peersSuite: Suite = {
  name: 'peers',
  description: 'The same workloads on Strata (WASM cache), Strata on the TS cache, Strata (WASM) over DirLayers of the on-disk tree, unionfs over memfs, fs.statSync/readdirSync on a kernel ' +
    'overlay mount of the same tree, and enhanced-resolve\'s CachedInputFileSystem over node:fs on that mount — warm (second and later ' +
    'passes). Paths whose answer depends on whiteouts or opaque dirs are left out (unionfs has neither). Ratios: peer time ÷ Strata time.',
  planned: () => PEER_COUNT * WORKLOADS.length,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const ds = ctx.dataset();
    const safe = ds.workload.unionSafe;
    const limit = options.quick ? 3000 : Number.POSITIVE_INFINITY;
    const deep = safe.deepFiles.slice(0, limit);
    const negatives = safe.negatives.slice(0, Math.min(limit, 10_000));
    const dirs = safe.dirs.slice(0, options.quick ? 1000 : 5000);
    const sets = { deep: new PathSet(deep), negatives: new PathSet(negatives) };
    const expected = {
      deep: expectedChecksum(deep, (p) => truthStat(ds, p)),
      negatives: expectedChecksum(negatives, () => 0),
      dirs: expectedChecksum(dirs, (d) => truthListing(ds, d)),
    };
    const peers: Peer[] = [];
    const skipped: string[] = [];
    const overlays: OverlayLike[] = [];

    const api = await ctx.strata();
    if (typeof api === 'string') {
      h.skip('peers', 'strata-wasm, strata-ts', api, 2 * WORKLOADS.length);
      skipped.push('strata');
    } else {
      const stack = ctx.memoryStack(api);
      for (const impl of ['wasm', 'ts'] as const) {
        const ov = makeOverlay(api, stack, { impl });
        overlays.push(ov);
        peers.push(strataPeer(`strata-${impl}`, ov));
      }
    }

    h.progress.step('peers: building memfs volumes for unionfs');
    const union = toUnionFs(ds);
    peers.push({
      impl: 'unionfs+memfs', prefix: '',
      stat: (p) => union.statSync(p) as StatLike,
      statMissing: throwingStat((p) => union.statSync(p) as StatLike),
      readdir: (p) => union.readdirSync(p) as string[],
    });

    // The same tree as real directories: for the kernel mount and for Strata over DirLayers.
    h.progress.step('peers: writing the data set to disk');
    const tree: DiskTree = writeDiskTree(ds);
    ctx.onCleanup(() => tree.remove());
    if (typeof api !== 'string' && api.DirLayer) {
      try {
        const DirLayer = api.DirLayer;
        const upper = new DirLayer(tree.upper, { readOnly: true });
        const lowers = tree.lowers.map((d) => new DirLayer(d, { readOnly: true }));
        const ov = makeOverlay(api, { upper, lowers }, { impl: 'wasm' });
        overlays.push(ov);
        // DirLayers hold directory descriptors: close them before the tree is unmounted.
        ctx.onCleanup(() => { for (const l of [upper, ...lowers]) (l as { close?: () => void }).close?.(); });
        peers.push(strataPeer('strata-wasm on DirLayer', ov));
      } catch (err) {
        h.skip('peers', 'strata-wasm on DirLayer', (err as Error).message, WORKLOADS.length);
      }
    } else {
      h.skip('peers', 'strata-wasm on DirLayer', typeof api === 'string' ? api : 'the engine exports no DirLayer', WORKLOADS.length);
    }
    let mount: KernelMount | string = 'disabled by --no-kernel';
    if (!options.noKernel) {
      h.progress.step('peers: mounting a kernel overlay');
      mount = mountOverlay(tree);
      if (typeof mount !== 'string') {
        const m = mount;
        ctx.onCleanup(() => m.unmount());
      }
    }
    if (typeof mount === 'string') {
      h.skip('peers', 'kernel statSync, enhanced-resolve cached', mount, 2 * WORKLOADS.length);
    } else {
      const root = mount.path;
      h.note(`peers: kernel overlay mounted at ${root}, layers on ${tree.backing === 'tmpfs' ? 'a private tmpfs (memory-backed, like the other peers)' : 'the temp directory\'s filesystem'}`);
      peers.push({
        impl: 'kernel statSync', prefix: root,
        stat: (p) => fs.statSync(p),
        statMissing: (p) => fs.statSync(p, { throwIfNoEntry: false }),
        readdir: (p) => fs.readdirSync(p),
      });
      // enhanced-resolve is CommonJS; its cache never expires with duration Infinity (warm best case).
      const { CachedInputFileSystem } = createRequire(import.meta.url)('enhanced-resolve') as {
        CachedInputFileSystem: new (fs: unknown, duration: number) => { statSync(p: string): StatLike; readdirSync(p: string): string[] };
      };
      const cached = new CachedInputFileSystem(fs, Number.POSITIVE_INFINITY);
      peers.push({
        impl: 'enhanced-resolve cached', prefix: root,
        stat: (p) => cached.statSync(p),
        statMissing: throwingStat((p) => cached.statSync(p)),
        readdir: (p) => cached.readdirSync(p),
      });
    }

    // Warm-up pass for everyone first (the suite compares warm lookups), then each workload
    // measured on all peers interleaved (Harness.compare).
    const stat = (peer: Peer) => (i: number) => statAnswer(peer.stat(sets.deep.path(i, peer.prefix)));
    const neg = (peer: Peer) => (i: number) => statAnswer(peer.statMissing(sets.negatives.path(i, peer.prefix)));
    const list = (peer: Peer) => (i: number) => hashNameSet(peer.readdir(peer.prefix + dirs[i]));
    for (const peer of peers) {
      h.progress.step(`peers: warming ${peer.impl}`);
      verifyAll(sets.deep.length, stat(peer));
      verifyAll(sets.negatives.length, neg(peer));
      verifyAll(dirs.length, list(peer));
    }
    const workloads = [
      { name: 'stat 9-level', group: 'peers-stat', f: stat, count: sets.deep.length, expected: expected.deep },
      { name: 'negative stat', group: 'peers-negative', f: neg, count: sets.negatives.length, expected: expected.negatives },
      { name: 'readdir', group: 'peers-readdir', f: list, count: dirs.length, expected: expected.dirs },
    ];
    for (const w of workloads) {
      const rows: Result[] = await h.compare(peers.map((peer) => {
        const f = w.f(peer);
        return {
          meta: { suite: 'peers', name: w.name, impl: peer.impl, group: w.group },
          op: cycle(w.count, f), verify: () => verifyAll(w.count, f), expected: w.expected,
        };
      }));
      const strata = rows.find((r) => r.impl === 'strata-wasm');
      if (strata) {
        h.progress.log(`peers: ${w.name}: time per op as a multiple of Strata (WASM): ` +
          rows.filter((r) => r !== strata).map((r) => `${r.impl} ${(r.nsPerOp / strata.nsPerOp).toFixed(2)}×`).join(', '));
      }
    }
    for (const ov of overlays) disposeOverlay(ov);
  },
};
