// Adversarial: the clock behind TTL layers. The cache keeps uint32 millisecond deadlines; the
// overlay's clock must keep them meaningful across the 2^32 ms wrap (~49.7 days), a deadline
// that lands exactly on 2^32, a source that jumps backwards or returns NaN, and TTLs below 1 ms.
// Changes here are "silent" (the layer does not notify), as a remote layer's are: only the TTL
// can reveal them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { MemoryLayer, Overlay, type PolicyName } from '../bindings/index.js';
import type { LayerListener } from '../bindings/layers/layer.js';

/** Create a file without notifying anyone (a remote layer's change). */
function silently(l: MemoryLayer, path: string): void {
  const self = l as unknown as { listeners: LayerListener[] };
  const listeners = self.listeners;
  self.listeners = [];
  try { l.writeFile(path, 'x'); } finally { self.listeners = listeners; }
}

function setup(impl: CacheImpl, policy: PolicyName, ttlMs = 1000) {
  const clock = { t: 0 };
  const lower = new MemoryLayer({ ttlMs });
  const ov = new Overlay({ lowers: [lower], policy, clock: () => clock.t, cache: { impl } });
  /** 'Y' exists, 'n' does not, or the error code. */
  const look = (p: string): string => {
    try { return ov.stat(p, { throwIfNoEntry: false }) === undefined ? 'n' : 'Y'; } catch (e) { return (e as { code: string }).code; }
  };
  return { clock, lower, ov, look };
}

const POLICIES: PolicyName[] = ['relaxed', 'strict', 'strict-legacy'];

for (const impl of CACHE_IMPLS) for (const policy of POLICIES) describe(`clock (cache: ${impl}, ${policy})`, () => {
  test('just before the 2^32 ms wrap, an unchanged answer stays cached (no ESTALE storm)', () => {
    const { clock, look } = setup(impl, policy);
    clock.t = 2 ** 32 - 300; // a deadline 1000 ms later would wrap to 700
    assert.deepEqual([look('/b'), look('/b'), look('/b')], ['n', 'n', 'n']);
  });

  test('a deadline landing exactly on 2^32 still expires (0 would mean "never")', () => {
    const { clock, lower, look } = setup(impl, policy);
    clock.t = 2 ** 33 - 1001; // cache time 2^32 - 1000 after the first rebase: deadline 2^32
    assert.equal(look('/c'), 'n');
    silently(lower, '/c');
    clock.t += 5000;
    const seen = look('/c');
    assert.ok(seen === 'Y' || (policy === 'strict-legacy' && seen === 'ESTALE'), `expired answer still trusted: ${seen}`);
    assert.equal(look('/c'), 'Y');
  });

  test('an answer left untouched for a whole wrap period is not trusted again', () => {
    const { clock, lower, look } = setup(impl, policy);
    assert.equal(look('/e'), 'n');
    silently(lower, '/e');
    clock.t = 2 ** 32 + 100; // the same uint32 time as 100 ms after the start
    const seen = look('/e');
    assert.ok(seen === 'Y' || (policy === 'strict-legacy' && seen === 'ESTALE'), `49.7-day-old answer trusted: ${seen}`);
  });

  test('a clock that jumps backwards: nothing expires by it, and TTLs count forward time after it', () => {
    const { clock, lower, look } = setup(impl, policy);
    clock.t = 10_000;
    assert.equal(look('/f'), 'n');
    clock.t = 0;
    assert.equal(look('/f'), 'n', 'a backward jump is no reason for an error');
    silently(lower, '/f');
    clock.t = 500;
    assert.equal(look('/f'), 'n', 'still within the TTL of forward time');
    clock.t = 1500;
    const seen = look('/f');
    assert.ok(seen === 'Y' || (policy === 'strict-legacy' && seen === 'ESTALE'), `expired answer still trusted: ${seen}`);
  });

  test('a clock that returns NaN does not break expiry for good', () => {
    const { clock, lower, look } = setup(impl, policy);
    assert.equal(look('/g'), 'n');
    clock.t = NaN;
    assert.equal(look('/g'), 'n');
    silently(lower, '/g');
    clock.t = 5000;
    const seen = look('/g');
    assert.ok(seen === 'Y' || (policy === 'strict-legacy' && seen === 'ESTALE'), `expired answer still trusted: ${seen}`);
  });

  test('a TTL below 1 ms trusts an answer within the millisecond it was made, and no longer', () => {
    const { clock, lower, look } = setup(impl, policy, 0.5);
    clock.t = 5;
    assert.deepEqual([look('/h'), look('/h')], ['n', 'n']);
    silently(lower, '/h');
    clock.t = 6;
    const seen = look('/h');
    assert.ok(seen === 'Y' || (policy === 'strict-legacy' && seen === 'ESTALE'), `expired answer still trusted: ${seen}`);
  });
});
