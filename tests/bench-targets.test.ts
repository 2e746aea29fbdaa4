// The hot-path targets of slow operations (10.3 readFile, 10.4) are judged on the interleaved-batches
// rows when a run has them, with benchmark.js's ratio of the same pair shown beside; a run without
// them is judged on benchmark.js's rows, and one without either says "not measured", never "met".
// 10.2, a ratio of two Strata rows, is judged on the pair measured side by side when there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERLEAVED, type Result } from '../bench/harness.js';
import { evaluateHotPathTargets } from '../bench/targets-hotpath.js';
import { PAIRED, PAIRED_NEGATIVE, PAIRED_POSITIVE } from '../bench/suites/scale.js';

const STRATA = 'strata createFs on DirLayer (default: watch queue)';
const NODE = 'enhanced-resolve cached (node:fs)';

function row(name: string, impl: string, nsPerOp: number): Result {
  return {
    suite: 'resolver', name, impl, params: { requests: 933 }, hz: 1e9 / nsPerOp, nsPerOp, rme: 1, samples: 10,
    method: name.endsWith(INTERLEAVED) ? 'interleaved batches' : 'benchmark.js',
  };
}

function defaultResolve(results: Result[]) {
  const outcome = evaluateHotPathTargets(results, []).find((t) => t.target.startsWith('10.4') && t.target.includes('(default: watch queue;'));
  assert.ok(outcome);
  return outcome;
}

test('10.4 is judged on the interleaved rows, benchmark.js\'s ratio beside', () => {
  const outcome = defaultResolve([
    row('resolve (warm)', STRATA, 120_000), row('resolve (warm)', NODE, 100_000),
    row('resolve (warm)' + INTERLEAVED, STRATA, 95_000), row('resolve (warm)' + INTERLEAVED, NODE, 100_000),
  ]);
  assert.equal(outcome.value, 0.95);
  assert.equal(outcome.met, true);
  assert.match(outcome.detail, /^interleaved batches: .*; benchmark\.js 1\.20× \(120000 ÷ 100000 ns\/op\)$/);
});

test('without interleaved rows the benchmark.js rows decide; without either, not measured', () => {
  const onlyBenchmarkJs = defaultResolve([row('resolve (warm)', STRATA, 120_000), row('resolve (warm)', NODE, 100_000)]);
  assert.equal(onlyBenchmarkJs.value, 1.2);
  assert.equal(onlyBenchmarkJs.met, false);
  assert.doesNotMatch(onlyBenchmarkJs.detail, /interleaved/);
  const none = defaultResolve([]);
  assert.equal(none.met, undefined);
  assert.match(none.detail, /^not measured/);
});

test('10.2 is judged on the positive and negative rows measured side by side, the separate ones beside', () => {
  const scale = (name: string, impl: string, nsPerOp: number): Result => ({ ...row(name, impl, nsPerOp), suite: 'scale', params: { entries: 10_000 } });
  const apart = [scale('stat 9-level (cached)', 'strata-wasm', 250), scale('negative stat (cached)', 'strata-wasm', 300)];
  const negative = (results: Result[]) => {
    const outcome = evaluateHotPathTargets(results, []).find((t) => t.target.startsWith('10.2'));
    assert.ok(outcome);
    return outcome;
  };
  const paired = negative([...apart, scale(PAIRED, PAIRED_POSITIVE, 250), scale(PAIRED, PAIRED_NEGATIVE, 200)]);
  assert.equal(paired.value, 0.8);
  assert.equal(paired.met, true);
  assert.match(paired.detail, /^side by side: .*; in separate comparisons 1\.20× \(300 ÷ 250 ns\/op\)$/);
  const alone = negative(apart);
  assert.equal(alone.value, 1.2);
  assert.equal(alone.met, false);
  assert.doesNotMatch(alone.detail, /side by side/);
});
