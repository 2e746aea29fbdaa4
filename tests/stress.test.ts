// The invalidation stress tester inside `npm test`: ≈ 1e5 events per policy on fixed seeds, a few
// random seeds (printed), and proof that it does catch an overlay that misses changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Overlay } from '../bindings/overlay.js';
import type { Layer } from '../bindings/layers/layer.js';
import type { PolicyName } from '../bindings/policy.js';
import { runStress, type StressOptions } from '../bindings/verify/stress/stress.js';
import { testSeeds } from '../bindings/verify/prng.js';

const POLICIES: PolicyName[] = ['relaxed', 'strict', 'strict-legacy'];

function check(options: StressOptions): void {
  const s = runStress(options);
  const w = s.firstWrong;
  assert.equal(s.wrongAnswers, 0, w ? `seed ${s.seed}: ${w.op}\n${w.why}\nevents before:\n  ${w.recent.join('\n  ')}\nreplay: ${w.replay}` : '');
  assert.ok(s.changes > 0 && s.overlayOps > 0, 'the run changed layers and ran operations');
  if (options.policy === 'relaxed') assert.equal(s.estale, 0, 'relaxed never answers ESTALE');
}

for (const policy of POLICIES) {
  test(`stress ${policy}: 1e5 events, 5 % changes, no wrong answer`, () => {
    check({ policy, ops: 100_000, seed: 42, changeRate: 0.05 });
  });
}

test('stress with TTL expiry, eviction pressure and the TS cache', () => {
  for (const policy of POLICIES) {
    check({ policy, ops: 20_000, seed: 7, changeRate: 0.1, ttlMs: 20, capacity: 64 });
    check({ policy, ops: 10_000, seed: 8, changeRate: 0.02, cacheImpl: 'ts' });
  }
});

test('stress on random seeds', () => {
  for (const seed of testSeeds([], 3, 'stress')) {
    for (const policy of POLICIES) check({ policy, ops: 5_000, seed, changeRate: 0.1, ttlMs: 50 });
  }
});

test('strict answers ESTALE where relaxed re-looks-up, and expiry alone is never ESTALE under strict', () => {
  const strict = runStress({ policy: 'strict', ops: 20_000, seed: 3, changeRate: 0.1, expiryShare: 0 });
  const relaxed = runStress({ policy: 'relaxed', ops: 20_000, seed: 3, changeRate: 0.1, expiryShare: 0 });
  assert.ok(strict.estale > 0, 'strict reported ESTALE for real changes');
  assert.ok(relaxed.relookups > 0, 'relaxed re-looked-up after real changes');
  const expiryOnly = { ops: 20_000, seed: 4, changeRate: 0.1, expiryShare: 1, ttlMs: 10 };
  assert.equal(runStress({ policy: 'strict', ...expiryOnly }).estale, 0, 'strict: expiry is never an error');
  assert.ok(runStress({ policy: 'strict-legacy', ...expiryOnly }).estale > 0, 'strict-legacy: expiry is ESTALE');
});

test('the stress tester catches an overlay that never hears about changes', () => {
  // Layers that swallow subscriptions: the overlay's cache goes stale without knowing it.
  const deaf = (layer: Layer): Layer => new Proxy(layer, {
    get: (target, key) => (key === 'subscribe' ? () => () => {} : Reflect.get(target, key, target)),
  });
  const s = runStress({
    policy: 'relaxed', ops: 50_000, seed: 11, changeRate: 0.05,
    makeOverlay: (o) => new Overlay({ ...o, lowers: o.lowers.map(deaf), upper: o.upper && deaf(o.upper) }),
  });
  assert.equal(s.wrongAnswers, 1, 'a stale answer was caught');
  assert.ok(s.firstWrong && s.firstWrong.replay.includes('--seed 11'), 'and reported with a replay');
});

test('strata stress: JSON summary, exit codes, option errors', async () => {
  const { spawnSync } = await import('node:child_process');
  const cli = new URL('../bindings/cli.js', import.meta.url).pathname;
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'stress', ...args], { encoding: 'utf8' });
  const ok = run('--ops', '3000', '--seed', '5', '--policy', 'strict', '--json');
  assert.equal(ok.status, 0, ok.stderr);
  const summary = JSON.parse(ok.stdout);
  assert.equal(summary.policy, 'strict');
  assert.equal(summary.seed, 5);
  assert.equal(summary.ops, 3000);
  assert.equal(summary.wrongAnswers, 0);
  const table = run('--ops', '2000', '--seed', '5');
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /wrong answers\s+0/);
  // Usage errors exit 2, as in every command; 1 is kept for "a wrong answer was found".
  const bad = run('--policy', 'lenient');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--policy must be one of strict, relaxed, strict-legacy/);
  const negative = run('--ops=-3');
  assert.equal(negative.status, 2);
  assert.match(negative.stderr, /--ops must be a number/);
  const unknown = run('--bogus');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /Unknown option '--bogus'/);
});
