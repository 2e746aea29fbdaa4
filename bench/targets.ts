// The targets of issues 2 and 6, evaluated on one run's results. A target whose inputs were not
// measured (suite skipped, peer not mountable) is reported as "not measured", never as met.
import type { Measurement, Result } from './harness.js';

export interface TargetOutcome {
  target: string;
  /** The measured value, in `unit`. */
  value?: number;
  unit: string;
  threshold: string;
  met?: boolean;
  detail: string;
}

function result(results: Result[], suite: string, name: string, impl: string, params: Record<string, unknown> = {}): Result | undefined {
  return results.find((r) => r.suite === suite && r.name === name && r.impl === impl &&
    Object.entries(params).every(([k, v]) => r.params[k] === v));
}

function largest(results: Result[], suite: string, name: string, impl: string): Result | undefined {
  return results
    .filter((r) => r.suite === suite && r.name === name && r.impl === impl)
    .sort((a, b) => Number(b.params.entries ?? 0) - Number(a.params.entries ?? 0))[0];
}

function ratioTarget(target: string, slow: Result | undefined, fast: Result | undefined, min: number, what: string): TargetOutcome {
  if (!slow || !fast) return { target, unit: '×', threshold: `≥ ${min}×`, detail: `not measured (${what})` };
  const value = slow.nsPerOp / fast.nsPerOp;
  return {
    target, value, unit: '×', threshold: `≥ ${min}×`, met: value >= min,
    detail: `${fast.impl} ${fast.nsPerOp.toFixed(0)} ns/op vs ${slow.impl} ${slow.nsPerOp.toFixed(0)} ns/op`,
  };
}

export function evaluateTargets(results: Result[], measurements: Measurement[]): TargetOutcome[] {
  const out: TargetOutcome[] = [];
  const wasm = result(results, 'peers', 'stat 9-level', 'strata-wasm');
  out.push(ratioTarget('cached stat() of a 9-level path vs fs.statSync on a kernel overlay mount',
    result(results, 'peers', 'stat 9-level', 'kernel statSync'), wasm, 5, 'peers suite: kernel mount'));
  out.push(ratioTarget('cached stat() of a 9-level path vs unionfs over memfs',
    result(results, 'peers', 'stat 9-level', 'unionfs+memfs'), wasm, 20, 'peers suite: unionfs'));
  out.push(ratioTarget('cached stat() of a 9-level path vs the same engine on the pure-TS cache',
    result(results, 'peers', 'stat 9-level', 'strata-ts'), wasm, 2, 'peers suite: Strata on the TS cache'));
  out.push(ratioTarget('cache alone: WASM walk vs the pure-TS cache at the largest size',
    largest(results, 'cache', 'walk 9-level', 'ts'), largest(results, 'cache', 'walk 9-level', 'wasm'), 2, 'cache suite'));

  const sizes = measurements.filter((m) => m.suite === 'cache' && m.name === 'wasm memory growth per entry')
    .sort((a, b) => Number(b.params.entries) - Number(a.params.entries));
  const growth = sizes[0];
  const names = growth && measurements.find((m) => m.name === 'name bytes per entry (8-aligned)' && m.params.entries === growth.params.entries);
  if (growth && names) {
    const value = growth.value - names.value;
    out.push({
      target: 'WASM memory per cached entry, names excluded', value, unit: 'B', threshold: '≤ 64 B', met: value <= 64,
      detail: `${growth.value.toFixed(1)} B/entry of linear-memory growth at ${growth.params.entries} entries, of which ${names.value.toFixed(1)} B name bytes`,
    });
  } else {
    out.push({ target: 'WASM memory per cached entry, names excluded', unit: 'B', threshold: '≤ 64 B', detail: 'not measured (cache suite, WASM cache)' });
  }

  const slowdown = measurements.find((m) => m.suite === 'cache' && m.name.startsWith('walk slowdown') && m.params.impl === 'wasm');
  out.push(slowdown
    ? { target: `cache alone: ${slowdown.name.replace('walk slowdown', 'walk slowdown from')}`, value: slowdown.value, unit: '×', threshold: '≤ 1.5×', met: slowdown.value <= 1.5, detail: 'ns/op of the WASM walk, largest size ÷ smallest' }
    : { target: 'cache alone: walk slowdown from 1e4 to 1e6 entries', unit: '×', threshold: '≤ 1.5×', detail: 'not measured (cache suite, WASM cache)' });

  const relookup = result(results, 'cold-warm', 'stat 9-level', 'strata-wasm', { phase: 'relaxed re-lookup' });
  const cold = result(results, 'cold-warm', 'stat 9-level', 'strata-wasm', { phase: 'cold' });
  if (relookup && cold) {
    const value = relookup.nsPerOp / cold.nsPerOp;
    out.push({
      target: 'relaxed re-lookup after a lower change vs a cold lookup', value, unit: '×', threshold: '≤ 3×', met: value <= 3,
      detail: `re-lookup ${relookup.nsPerOp.toFixed(0)} ns vs cold ${cold.nsPerOp.toFixed(0)} ns per stat`,
    });
  } else {
    out.push({ target: 'relaxed re-lookup after a lower change vs a cold lookup', unit: '×', threshold: '≤ 3×', detail: 'not measured (cold-warm suite)' });
  }
  return out;
}
