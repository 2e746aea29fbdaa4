// Expiry (issue 4): a layer that stops vouching for an answer — its TTL ran out, or it said
// expire(p) — is not a change. Under relaxed and strict the entry is re-validated against the
// layer and kept when it is the same object: never an error. Under strict-legacy (today's
// upstream behaviour) expiry is ESTALE. Only a real difference found on re-validation is a change.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { Overlay } from '../bindings/index.js';
import type { LayerListener } from '../bindings/layers/layer.js';
import { MemoryLayer, type MemoryLayerOptions } from '../bindings/layers/memory-layer.js';
import { POLICIES, policyFor, type PolicyName } from '../bindings/policy.js';
import { assertFsError } from './helpers/assert-fs.js';
import { layer, populate, type Tree } from './helpers/layer-tree.js';

/** A remote layer that never notifies: only its TTL bounds what an overlay trusts. */
class SilentLayer extends MemoryLayer {
  override subscribe(_listener: LayerListener): () => void {
    return () => {};
  }
}

const silent = (tree: Tree, options: MemoryLayerOptions) => populate(new SilentLayer(options), tree);

describe('policy table', () => {
  test('each policy\'s decisions', () => {
    assert.deepEqual(POLICIES.relaxed, { name: 'relaxed', onChanged: 'relookup', onExpired: 'revalidate' });
    assert.deepEqual(POLICIES.strict, { name: 'strict', onChanged: 'estale', onExpired: 'revalidate' });
    assert.deepEqual(POLICIES['strict-legacy'], { name: 'strict-legacy', onChanged: 'estale', onExpired: 'estale' });
    assert.equal(policyFor().name, 'relaxed', 'relaxed is the default');
    assert.throws(() => policyFor('lenient'), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE');
    assert.throws(() => new Overlay({ lowers: [layer()], policy: 'nope' as PolicyName }), TypeError);
    assert.equal(new Overlay({ lowers: [layer()] }).policy, 'relaxed');
  });
});

for (const impl of CACHE_IMPLS) describe(`cache: ${impl}`, () => run(impl));

function run(impl: CacheImpl): void {
  const setup = (policy: PolicyName, remote: MemoryLayer) => {
    const clock = { now: 1000 };
    const ov = new Overlay({ lowers: [remote], upper: layer(), policy, cache: { impl }, clock: () => clock.now });
    return { ov, clock };
  };

  for (const policy of ['relaxed', 'strict'] as const) {
    test(`${policy}: a TTL that ran out re-validates, keeps the same object, never errs`, () => {
      const remote = layer({ d: { f: 'data' } }, { ttlMs: 100 });
      const { ov, clock } = setup(policy, remote);
      const ino = ov.stat('/d/f').ino;
      clock.now += 150;
      const before = ov.stats();
      assert.equal(ov.stat('/d/f').ino, ino);
      const after = ov.stats();
      assert.equal(after.expired - before.expired, 2, '/d and /d/f had expired');
      assert.equal(after.revalidations - before.revalidations, 2);
      assert.equal(after.misses, before.misses, 'kept, not looked up from scratch');
      assert.equal(after.estale, 0);
      assert.equal(after.relookups, 0);
      const again = ov.stats();
      ov.stat('/d/f');
      assert.equal(ov.stats().expired, again.expired, 'refreshed: valid for another TTL');
    });

    test(`${policy}: an explicit expire(p) re-validates quietly, files and directories`, () => {
      const remote = layer({ d: { f: 'data' } });
      const { ov } = setup(policy, remote);
      ov.readdir('/d');
      ov.stat('/d/f');
      remote.expire('/d/f');
      remote.expire('/d');
      assert.equal(ov.readFile('/d/f', 'utf8'), 'data');
      assert.deepEqual(ov.readdir('/d'), ['f']);
      const s = ov.stats();
      assert.equal(s.revalidations, 2);
      assert.equal(s.estale, 0);
    });

    test(`${policy}: expired negative entries re-validate too`, () => {
      const remote = silent({ d: {} }, { ttlMs: 100 });
      const { ov, clock } = setup(policy, remote);
      assert.equal(ov.exists('/d/new'), false);
      remote.writeFile('/d/new', 'appeared');
      assert.equal(ov.exists('/d/new'), false, 'within the TTL the remote layer is trusted');
      clock.now += 100;
      assert.equal(ov.readFile('/d/new', 'utf8'), 'appeared', 'a name that appeared is no change: no ESTALE');
      assert.equal(ov.stats().estale, 0);
    });
  }

  test('strict-legacy: expiry is ESTALE, once; then the fresh answer', () => {
    const remote = layer({ d: { f: 'data' } }, { ttlMs: 100 });
    const { ov, clock } = setup('strict-legacy', remote);
    ov.stat('/d/f');
    clock.now += 150;
    assertFsError(() => ov.stat('/d/f'), { code: 'ESTALE', syscall: 'stat', path: '/d/f' });
    assert.equal(ov.readFile('/d/f', 'utf8'), 'data', 'the expired entry was dropped');
    remote.expire('/d/f');
    assertFsError(() => ov.readFile('/d/f'), { code: 'ESTALE', syscall: 'open' });
    assert.equal(ov.exists('/d/f'), true);
    assert.equal(ov.stats().estale, 2);
  });

  const changedUnderTtl = (policy: PolicyName) => {
    const remote = silent({ f: 'v1' }, { ttlMs: 100 });
    const { ov, clock } = setup(policy, remote);
    assert.equal(ov.readFile('/f', 'utf8'), 'v1');
    // The old object lives on under another name, so nothing tells the overlay before the TTL.
    remote.rename('/f', '/old');
    remote.writeFile('/f', 'v2');
    assert.equal(ov.readFile('/f', 'utf8'), 'v1', 'within the TTL the remote layer is trusted');
    clock.now += 100;
    return { ov, remote };
  };

  test('an object that died underneath is noticed even within the TTL (its handle is dead)', () => {
    for (const policy of ['relaxed', 'strict'] as const) {
      const remote = silent({ f: 'v1' }, { ttlMs: 100 });
      const { ov } = setup(policy, remote);
      ov.readFile('/f');
      remote.writeFile('/f', 'v2', { replace: true });
      if (policy === 'strict') assertFsError(() => ov.readFile('/f'), { code: 'ESTALE', syscall: 'open' });
      assert.equal(ov.readFile('/f', 'utf8'), 'v2');
    }
  });

  test('relaxed: an expired entry that did change is looked up again', () => {
    const { ov } = changedUnderTtl('relaxed');
    assert.equal(ov.readFile('/f', 'utf8'), 'v2');
    assert.equal(ov.stats().relookups, 1);
    assert.equal(ov.stats().estale, 0);
  });

  for (const policy of ['strict', 'strict-legacy'] as const) {
    test(`${policy}: an expired entry that did change is ESTALE once`, () => {
      const { ov } = changedUnderTtl(policy);
      assertFsError(() => ov.readFile('/f', 'utf8'), { code: 'ESTALE', syscall: 'open', path: '/f' });
      assert.equal(ov.readFile('/f', 'utf8'), 'v2');
      assert.equal(ov.stats().estale, 1);
    });
  }

  test('only answers that consulted a layer with a TTL expire', () => {
    const remote = layer({ r: 'remote', d: {} }, { ttlMs: 100 });
    const local = layer({ u: 'upper', d: {} });
    const clock = { now: 1 };
    const ov = new Overlay({ lowers: [remote], upper: local, policy: 'strict-legacy', cache: { impl }, clock: () => clock.now });
    ov.stat('/u');
    ov.stat('/r');
    ov.stat('/d');
    clock.now += 10_000;
    assert.equal(ov.readFile('/u', 'utf8'), 'upper', 'an upper file stops the lookup above the remote layer');
    assert.equal(ov.stats().expired, 0);
    assertFsError(() => ov.stat('/r'), 'ESTALE');
    assertFsError(() => ov.stat('/d'), 'ESTALE');
    assert.equal(ov.stats().expired, 2, 'the remote file and the directory merged with the remote one');
  });
}
