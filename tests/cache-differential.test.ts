// The WASM cache against its pure-TS twin: the same seeded random call sequences (walks with
// insert/resume/follow, invalidation, expiry, removal, eviction pressure, clears) must give
// identical answers — statuses, result records, ids, names and counters. A third of the walks
// repeat a recent path, so the WASM cache's whole-path front table answers many of them (it must
// be invisible: WASM caches with it on, with it but no JS-side path memo, and with neither run in
// the same lockstep).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  NO_ENTRY, T_DIR, T_FILE, T_NONE, T_OTHER, T_SYMLINK, WALK_CHANGED, WALK_EXPIRED, WALK_FOLLOW,
  WALK_MISS, WALK_SYMLINK,
} from '../bindings/abi.js';
import type { DentryCache, CacheCapacity } from '../bindings/cache/dentry-cache.js';
import { TsDentryCache } from '../bindings/cache/ts-cache.js';
import { WasmDentryCache } from '../bindings/cache/wasm-cache.js';
import { createRng, testSeeds, type Rng } from '../bindings/verify/prng.js';

const OPS_PER_SEED = 12_500;
const NAMES = ['a', 'b', 'c', 'd', 'node_modules', 'index.js', 'é', '日本語', 'x'.repeat(255), 'y'.repeat(256), '.', '..', 'a b'];

function randomPath(rng: Rng): string {
  const roll = rng.next();
  if (roll < 0.01) return 'relative/path';
  if (roll < 0.02) return '/a/\0b';
  if (roll < 0.025) return '';
  if (roll < 0.03) return '/' + 'z/'.repeat(2100);
  const depth = 1 + rng.int(6);
  let p = '';
  for (let i = 0; i < depth; i++) p += (rng.chance(0.05) ? '//' : '/') + rng.pick(NAMES);
  if (rng.chance(0.08)) p += '/';
  return p;
}

/** Applies one call to every cache and checks that all of them answered alike. */
class Lockstep {
  constructor(readonly caches: DentryCache[], readonly log: string[]) {}

  /** Every walk status seen, so the test can insist the workload reached them all. */
  readonly statuses = new Set<number>();

  call<T>(what: string, f: (c: DentryCache) => T): T {
    this.log.push(what);
    const answers = this.caches.map((c) => {
      const value = f(c);
      return { value, result: Array.from(c.result) };
    });
    for (let i = 1; i < answers.length; i++) {
      assert.deepStrictEqual(answers[i], answers[0], `implementation ${i} differs after: ${what}`);
    }
    if (/^(walk|resume|follow)\(/.test(what)) this.statuses.add(answers[0].value as number);
    return answers[0].value;
  }
}

/** `quiet`: few changes between walks and most walks repeated, so the front table answers often. */
function runSeed(seed: number, capacity: Partial<CacheCapacity>, makers: (() => DentryCache)[], quiet = false): Set<number> {
  const rng = createRng(seed);
  const log: string[] = [];
  const ls = new Lockstep(makers.map((m) => m()), log);
  const ids: number[] = [];
  const recent: string[] = [];
  let now = 1;
  try {
    for (let op = 0; op < OPS_PER_SEED; op++) {
      now += rng.int(3);
      const roll = rng.next();
      if (roll < 0.6) {
        const path = recent.length > 0 && rng.chance(quiet ? 0.8 : 0.35) ? rng.pick(recent) : randomPath(rng);
        if (recent.length < 8) recent.push(path);
        else recent[rng.int(8)] = path;
        const opts = rng.chance(0.5) ? WALK_FOLLOW : 0;
        let status = ls.call(`walk(${JSON.stringify(path.slice(0, 80))}, ${now}, ${opts})`, (c) => c.walk(path, now, opts));
        for (let step = 0; step < 12; step++) {
          if (status === WALK_MISS) {
            const type = rng.pick([T_NONE, T_NONE, T_FILE, T_FILE, T_DIR, T_DIR, T_DIR, T_SYMLINK, T_OTHER]);
            const flags = rng.int(16), layer = rng.int(4), handle = rng.int(1000);
            const deadline = rng.chance(0.2) ? now + rng.int(20) : 0;
            ls.call('stoppedName()', (c) => c.stoppedName());
            const id = ls.call(`insertStopped(${type}, ${flags}, ${layer}, ${handle}, ${deadline})`,
              (c) => c.insertStopped(type, flags, layer, layer + 1, handle, deadline));
            if (id === NO_ENTRY) break;
            ids.push(id);
            status = ls.call(`resume(${id})`, (c) => c.resume(id, now));
          } else if (status === WALK_EXPIRED || status === WALK_CHANGED) {
            const id = ls.caches[0].result[1];
            if (rng.chance(0.5)) {
              ls.call(`refresh(${id})`, (c) => c.refresh(id, 0));
              status = ls.call(`resume(${id})`, (c) => c.resume(id, now));
            } else {
              ls.call(`remove(${id})`, (c) => c.remove(id));
              break;
            }
          } else if (status === WALK_SYMLINK) {
            const target = rng.chance(0.3) ? randomPath(rng) : rng.pick(NAMES) + (rng.chance(0.5) ? '/' + rng.pick(NAMES) : '');
            status = ls.call(`follow(${JSON.stringify(target.slice(0, 80))})`, (c) => c.follow(target, now));
          } else break;
        }
      } else if (quiet && roll < 0.85 && rng.chance(0.9)) {
        continue;
      } else if (roll < 0.65) {
        const path = randomPath(rng);
        const id = ls.call(`lookupPath(${JSON.stringify(path.slice(0, 80))})`, (c) => c.lookupPath(path));
        if (id !== NO_ENTRY) {
          const action = rng.int(3);
          if (action === 0) ls.call(`invalidate(${id})`, (c) => c.invalidate(id));
          else if (action === 1) ls.call(`expire(${id})`, (c) => c.expire(id));
          else ls.call(`remove(${id})`, (c) => c.remove(id));
        }
      } else if (roll < 0.85 && ids.length > 0) {
        const id = rng.pick(ids);
        const alive = ls.call(`alive(${id})`, (c) => c.alive(id));
        if (!alive) continue;
        ls.call(`fields(${id})`, (c) => [c.type(id), c.flags(id), c.layer(id), c.lowest(id), c.handle(id), c.parent(id), c.name(id)]);
        const name = rng.pick(NAMES);
        ls.call(`lookup(${id}, ${name.slice(0, 20)})`, (c) => c.lookup(id, name));
        const action = rng.int(4);
        if (action === 0) {
          const t = rng.pick([T_FILE, T_DIR, T_SYMLINK]);
          ls.call(`update(${id})`, (c) => c.update(id, t, 3, 1, 2, 77));
        } else if (action === 1) {
          const made = ls.call(`insert(${id}, ${name.slice(0, 20)})`, (c) => c.insert(id, name, T_FILE, 0, 1, 1, 5, 0));
          if (made !== NO_ENTRY) ids.push(made);
        } else if (action === 2) {
          const deadline = rng.chance(0.5) ? 0 : now + 5;
          ls.call(`refresh(${id}, ${deadline})`, (c) => c.refresh(id, deadline));
        }
      } else if (roll < 0.999) {
        ls.call('counters()', (c) => c.counters());
      } else {
        ls.call('clear()', (c) => c.clear());
        ids.length = 0;
      }
    }
    ls.call('counters()', (c) => c.counters());
    // The front table and the JS-side path memo must have answered walks, or this proved nothing.
    const wasm = ls.caches.filter((c): c is WasmDentryCache => c instanceof WasmDentryCache);
    assert.ok(wasm.some((c) => c.pathMemoHits > 0), 'no walk was answered by the path memo');
    assert.ok(wasm.some((c) => c.frontHits() > 0), 'no walk was answered by the front table');
    return ls.statuses;
  } catch (err) {
    const replay = log.slice(-25).join('\n  ');
    throw new Error(`seed ${seed} capacity ${JSON.stringify(capacity)}: ${(err as Error).message}\nlast calls:\n  ${replay}`);
  }
}

const makers = (capacity: Partial<CacheCapacity>) => [
  () => new TsDentryCache(capacity),
  () => new WasmDentryCache(capacity),
  () => new WasmDentryCache(capacity, { debug: true }),
  () => new WasmDentryCache(capacity, { pathMemo: 0 }),
  () => new WasmDentryCache(capacity, { frontTable: false }),
];

const seeds = testSeeds([1, 2, 3, 4, 5, 6], 2, 'cache differential');
const capacities: Partial<CacheCapacity>[] = [{ entries: 40 }, { entries: 1 << 16, bytes: 4096 }, {}, { entries: 200 }];

test(`WASM and TS caches agree on ${seeds.length * OPS_PER_SEED} random operations`, () => {
  const seen = new Set<number>();
  seeds.forEach((seed, i) => {
    const capacity = capacities[i % capacities.length];
    for (const status of runSeed(seed, capacity, makers(capacity))) seen.add(status);
  });
  // WALK_FOUND (0) … WALK_ENAMETOOLONG (8): a workload that misses one proves nothing about it.
  assert.deepStrictEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
});

test('WASM and TS caches agree when most walks repeat a path (the front table answers them)', () => {
  for (const [i, seed] of seeds.slice(0, 4).entries()) {
    const capacity = capacities[i % capacities.length];
    runSeed(seed + 1000, capacity, makers(capacity), true);
  }
});
