// The scale suite's peers, filled with the same paths as Strata's cache: a bare Map<string, object>
// (the floor for any cache keyed by a path string: one hash of a fresh key, one probe) and
// enhanced-resolve's CachedInputFileSystem over node:fs on a kernel overlay mount of the same
// data set (webpack's cache: a Map by path, never revalidated with duration Infinity).
import * as fs from 'node:fs';
import { createRequire } from 'node:module';

export interface StatLike { size: number; isFile(): boolean; isDirectory(): boolean }

/** A peer as the scale suite drives it: `undefined` = does not exist. */
export interface ScalePeer {
  impl: string;
  stat(path: string): StatLike | undefined;
  statMissing(path: string): StatLike | undefined;
  prefix: string;
}

const MISSING: StatLike = Object.freeze({ size: 0, isFile: () => false, isDirectory: () => false });

/** A Map from full path to the answer object (negatives to one shared "missing" object). */
export function mapPeer(positive: Iterable<[string, StatLike]>, negative: Iterable<string>): ScalePeer {
  const map = new Map<string, StatLike>();
  for (const [p, st] of positive) map.set(p, st);
  for (const p of negative) map.set(p, MISSING);
  const get = (p: string) => {
    const v = map.get(p);
    return v === MISSING ? undefined : v;
  };
  return { impl: 'map (fresh key)', prefix: '', stat: get, statMissing: get };
}

export function throwingStat(stat: (p: string) => StatLike): (p: string) => StatLike | undefined {
  return (p) => {
    try { return stat(p); } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw err;
    }
  };
}

/**
 * CachedInputFileSystem over node:fs under `root`, warmed with every path given. It is keyed by
 * the same strings as the other peers (overlay paths; its file system adds `root` on a miss):
 * keys of the mount's longer host paths made it pay ~30 more characters of hashing per call.
 */
export function enhancedResolvePeer(root: string, paths: Iterable<string>): ScalePeer {
  const { CachedInputFileSystem } = createRequire(import.meta.url)('enhanced-resolve') as {
    CachedInputFileSystem: new (fs: unknown, duration: number) => { statSync(p: string): StatLike };
  };
  const under = {
    stat: (p: string, o: unknown, cb: unknown) => (fs.stat as (...a: unknown[]) => void)(root + p, o, cb),
    statSync: (p: string, o?: fs.StatSyncOptions) => fs.statSync(root + p, o),
  };
  const cached = new CachedInputFileSystem(under, Number.POSITIVE_INFINITY);
  const stat = throwingStat((p) => cached.statSync(p));
  for (const p of paths) stat(p);
  return { impl: 'enhanced-resolve cached', prefix: '', stat: (p) => cached.statSync(p), statMissing: stat };
}
