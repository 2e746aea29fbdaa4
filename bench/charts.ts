// The report's plots: vega-lite specs compiled to vega and rendered to SVG headless (no canvas,
// no browser). Each function takes the run's results and returns a spec, or undefined when the
// suite it plots did not run.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Result } from './harness.js';

const WIDTH = 300;
const HEIGHT = 200;

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

const RATE_ORDER = ['0', '0.1%', '1%', '10%'];

function rateLabel(rate: number): string {
  return rate === 0 ? '0' : `${+(rate * 100).toPrecision(3)}%`;
}

export interface Chart {
  file: string;
  title: string;
  spec: TopLevelSpec;
}

/** One value per policy vs lower change rate, one panel per TTL setting. */
function policyChart(rows: Result[], file: string, title: string, yTitle: string, value: (r: Result) => number): Chart | undefined {
  if (rows.length === 0) return undefined;
  return {
    file,
    title,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: rows.map((r) => ({ policy: r.impl, rate: rateLabel(Number(r.params.changeRate)), ttl: `TTL ${r.params.ttl}`, value: value(r) })) },
      facet: { column: { field: 'ttl', type: 'nominal', title: null } },
      spec: {
        width: WIDTH, height: HEIGHT,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'rate', type: 'ordinal', sort: RATE_ORDER, title: 'lower changes (% of operations)' },
          y: { field: 'value', type: 'quantitative', title: yTitle },
          color: { field: 'policy', type: 'nominal' },
          // Dashes keep lines apart where two policies give the same value (strict vs legacy).
          strokeDash: { field: 'policy', type: 'nominal' },
        },
      },
    },
  };
}

const mixedOps = (results: Result[]) => results.filter((r) => r.suite === 'policies' && r.name === 'mixed ops');

/** ops/s per policy vs lower change rate. */
function policyOps(results: Result[]): Chart | undefined {
  return policyChart(mixedOps(results), 'policies-ops', 'Operations per second vs lower change rate, per policy', 'ops/s', (r) => r.hz);
}

/** ESTALE rate vs change rate, per policy (relaxed stays at 0 by definition). */
function policyEstale(results: Result[]): Chart | undefined {
  const rows = mixedOps(results).filter((r) => r.extra?.estaleRate !== undefined);
  return policyChart(rows, 'policies-estale', 'ESTALE answers vs lower change rate, per policy', 'ESTALE (% of operations)', (r) => Number(r.extra!.estaleRate));
}

/** Latency vs number of cached entries: the cache alone and through the Overlay. */
function latencyVsSize(results: Result[]): Chart | undefined {
  const rows = results.filter((r) => (r.suite === 'cache' || r.suite === 'scale') && typeof r.params.entries === 'number');
  if (rows.length === 0) return undefined;
  return {
    file: 'latency-vs-size',
    title: 'Latency vs cached entries (log scales)',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: rows.map((r) => ({ what: `${r.suite}: ${r.name}`, impl: r.impl, entries: r.params.entries, ns: r.nsPerOp })) },
      facet: { field: 'what', type: 'nominal', title: null },
      columns: 3,
      spec: {
        width: 220, height: 160,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'entries', type: 'quantitative', scale: { type: 'log' }, title: 'cached entries', axis: { values: [1e4, 1e5, 1e6], format: '~s' } },
          y: { field: 'ns', type: 'quantitative', scale: { type: 'log' }, title: 'ns per lookup' },
          color: { field: 'impl', type: 'nominal' },
        },
      },
      resolve: { scale: { y: 'independent' } },
    },
  };
}

/** How many times slower each peer is than Strata (WASM) on the same workload. */
function peerRatios(results: Result[]): Chart | undefined {
  const rows = peerRatioRows(results);
  if (rows.length === 0) return undefined;
  return {
    file: 'peers-ratio',
    title: 'Each peer\'s time per operation ÷ Strata\'s (higher = Strata faster; log scale)',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: rows },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 180, height: HEIGHT,
        layer: [
          {
            // Bars grow from 1× (a log scale has no zero): up = slower than Strata, down = faster.
            mark: 'bar',
            encoding: {
              x: { field: 'peer', type: 'nominal', title: null, sort: '-y', axis: { labelAngle: -40, labelLimit: 200 } },
              y: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: '× Strata time per op' },
              y2: { datum: 1 },
              color: { field: 'peer', type: 'nominal', legend: null },
            },
          },
          {
            mark: { type: 'text', dy: -6, fontSize: 10 },
            encoding: {
              x: { field: 'peer', type: 'nominal', sort: '-y' },
              y: { field: 'ratio', type: 'quantitative' },
              text: { field: 'ratio', type: 'quantitative', format: '.2~f' },
            },
          },
          { mark: { type: 'rule', strokeDash: [4, 3] }, encoding: { y: { datum: 1 } } },
        ],
      },
    },
  };
}

export function peerRatioRows(results: Result[]): { workload: string; peer: string; ratio: number }[] {
  const peers = results.filter((r) => r.suite === 'peers');
  const out: { workload: string; peer: string; ratio: number }[] = [];
  for (const r of peers) {
    if (r.impl === 'strata-wasm') continue;
    const base = peers.find((b) => b.name === r.name && b.impl === 'strata-wasm');
    if (base) out.push({ workload: r.name, peer: r.impl, ratio: r.nsPerOp / base.nsPerOp });
  }
  return out;
}

/** First lookup of a path vs repeated lookups, per implementation. */
function coldWarm(results: Result[]): Chart | undefined {
  const rows = results.filter((r) => r.suite === 'cold-warm');
  if (rows.length === 0) return undefined;
  return {
    file: 'cold-warm',
    title: 'Cold (first) vs warm (repeated) lookups',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      data: { values: rows.map((r) => ({ what: r.name, impl: r.impl, phase: String(r.params.phase ?? ''), ns: r.nsPerOp })) },
      facet: { column: { field: 'what', type: 'nominal', title: null } },
      spec: {
        width: 200, height: HEIGHT,
        // Points, not bars: cold and warm differ by 10–100×, so the scale is logarithmic.
        mark: { type: 'point', filled: true, size: 90 },
        encoding: {
          x: { field: 'impl', type: 'nominal', title: null, axis: { labelAngle: -30 } },
          xOffset: { field: 'phase' },
          y: { field: 'ns', type: 'quantitative', scale: { type: 'log' }, title: 'ns per lookup' },
          color: { field: 'phase', type: 'nominal', legend: { labelLimit: 300 } },
          shape: { field: 'phase', type: 'nominal' },
        },
      },
    },
  };
}

export function charts(results: Result[]): Chart[] {
  return [policyOps, policyEstale, latencyVsSize, peerRatios, coldWarm]
    .map((f) => f(results))
    .filter((c): c is Chart => c !== undefined);
}
