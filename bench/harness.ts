// Runs the benchmarks and keeps their results. Two ways to time:
// - `bench`: benchmark.js on a one-operation function (steady state, ops/s ± relative margin);
// - `batches`: untimed setup before each timed batch, for what benchmark.js cannot repeat —
//   the *first* lookup of a path (cold), or a lookup right after a change made outside the timing.
// Before timing, every benchmark runs its workload once to compute a checksum of the answers;
// benchmarks in one `group` answer the same questions and must print the same checksum.
import Benchmark from 'benchmark';
import type { BenchOptions } from './options.js';
import type { Progress } from './progress.js';

export type Params = Record<string, string | number | boolean>;

/** What Harness.interleave() adds to a result's name: the same comparison, timed its way. */
export const INTERLEAVED = ' (interleaved batches)';

export interface ResultMeta {
  suite: string;
  /** What is measured, e.g. 'walk 9-level', 'stat deep path'. */
  name: string;
  /** Who is measured, e.g. 'wasm', 'ts', 'map', 'unionfs+memfs'. */
  impl: string;
  params?: Params;
  /** Results sharing a group must agree on the checksum. */
  group?: string;
}

export interface Result extends ResultMeta {
  params: Params;
  hz: number;
  nsPerOp: number;
  /** Relative margin of error, percent: benchmark.js's rme; for batches and interleaved batches, half the interquartile range ÷ the median. */
  rme: number;
  samples: number;
  method: 'benchmark.js' | 'batches' | 'interleaved batches';
  checksum?: string;
  answers?: number;
  /** False when the checksum disagrees with the group's first result or the expected value. */
  checksumOk?: boolean;
  extra?: Record<string, number | string>;
}

export interface Skip {
  suite: string;
  what: string;
  reason: string;
}

/** A non-timed measurement (memory per entry, counters, …). */
export interface Measurement {
  suite: string;
  name: string;
  params: Params;
  value: number;
  unit: string;
}

/** One benchmark of a comparison: the timed operation, its checksum pass, the expected checksum. */
export interface Case {
  meta: ResultMeta;
  op: () => void;
  verify?: () => Verify;
  expected?: string;
}

export interface Verify {
  checksum: string;
  answers: number;
  extra?: Record<string, number | string>;
}

/** Let signal handlers (Ctrl-C → unmount) run between benchmarks: the benchmarks themselves are synchronous. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const fmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatOps(hz: number): string {
  return hz >= 100 ? fmt.format(hz) : hz.toPrecision(3);
}

export function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(0)} ns`;
}

function paramText(params: Params): string {
  return Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
}

/** The median of timed samples (ns/op) and half their interquartile range relative to it, %. */
function medianSpread(perOp: number[]): { median: number; rme: number } {
  const sorted = perOp.slice().sort((a, b) => a - b);
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))];
  const median = q(0.5);
  return { median, rme: ((q(0.75) - q(0.25)) / 2 / median) * 100 };
}

export class Harness {
  readonly results: Result[] = [];
  readonly skips: Skip[] = [];
  readonly measurements: Measurement[] = [];
  readonly notes: string[] = [];
  private readonly groupSums = new Map<string, string>();
  /** Seconds of benchmark.js timing per case (split over the rounds). */
  private readonly maxTime: number;
  private readonly minSamples: number;
  /** Seconds per benchmark.js sample; its default (≥ 50 ms) makes every run last ~1 s. */
  private readonly minTime: number;
  private readonly rounds: number;

  constructor(readonly options: BenchOptions, readonly progress: Progress) {
    this.maxTime = options.quick ? 0.2 : 0.6;
    this.minTime = options.quick ? 0.01 : 0.025;
    this.minSamples = options.quick ? 3 : 4;
    this.rounds = options.quick ? 2 : 5;
  }

  /** Collect garbage between benchmarks so one benchmark's garbage is not the next one's cost. */
  gc(): void {
    (globalThis as { gc?: () => void }).gc?.();
  }

  label(meta: ResultMeta): string {
    const p = meta.params && Object.keys(meta.params).length > 0 ? ` [${paramText(meta.params)}]` : '';
    return `${meta.suite}: ${meta.name} · ${meta.impl}${p}`;
  }

  private check(meta: ResultMeta, verify: Verify | undefined, expected?: string): boolean | undefined {
    if (verify === undefined) return undefined;
    let ok: boolean | undefined;
    if (expected !== undefined) ok = verify.checksum === expected;
    if (meta.group !== undefined) {
      const first = this.groupSums.get(meta.group);
      if (first === undefined) this.groupSums.set(meta.group, expected ?? verify.checksum);
      else ok = (ok ?? true) && verify.checksum === first;
    }
    return ok;
  }

  private finish(meta: ResultMeta, r: Omit<Result, keyof ResultMeta | 'params'>): Result {
    const result: Result = { ...meta, params: meta.params ?? {}, ...r };
    this.results.push(result);
    const sum = result.checksum === undefined ? '' :
      `  checksum ${result.checksum}${result.checksumOk === false ? ' MISMATCH' : result.checksumOk ? ' ✓' : ''}`;
    const extra = result.extra ? '  ' + Object.entries(result.extra).map(([k, v]) => `${k} ${v}`).join(', ') : '';
    this.progress.log(`${this.label(meta)}: ${formatOps(result.hz)} ops/s ±${result.rme.toFixed(1)}% (${formatNs(result.nsPerOp)}/op)${sum}${extra}`);
    this.progress.tick();
    return result;
  }

  /** benchmark.js on `op` (one operation per call); `verify` runs the workload once for the checksum. */
  async bench(meta: ResultMeta, op: () => void, verify?: () => Verify, expected?: string): Promise<Result> {
    return (await this.compare([{ meta, op, verify, expected }]))[0];
  }

  /**
   * Benchmarks meant to be compared with each other, interleaved: `rounds` rounds, each running
   * every case with benchmark.js for maxTime/rounds; a case's result is its median round. Load
   * from other processes drifts over seconds on a shared machine; interleaving spreads the drift
   * over all cases instead of penalising whichever ran during a busy spell.
   * ± is the larger of benchmark.js's margin within rounds and the spread between rounds.
   */
  async compare(cases: Case[]): Promise<Result[]> {
    const names = [...new Set(cases.map((c) => c.meta.name))].join(', ');
    this.progress.step(`${cases[0].meta.suite}: ${names} · ${cases.map((c) => c.meta.impl).join(' vs ')}${cases.length === 1 && cases[0].meta.params ? ` [${paramText(cases[0].meta.params)}]` : ''}`);
    // One full collection first, not before every run: with a 1e6-entry cache on the heap it
    // costs ~0.5 s, and code right after it runs up to 2× slower for a while (see batches()) —
    // the checksum passes that follow are the warm-up.
    this.gc();
    const checked = cases.map((c) => {
      this.progress.step(`${this.label(c.meta)}: checksum pass`, true);
      const v = c.verify?.();
      return { v, ok: this.check(c.meta, v, c.expected) };
    });
    const rounds = cases.length > 1 || !this.options.quick ? this.rounds : 1;
    const runs: { hz: number; rme: number; samples: number }[][] = cases.map(() => []);
    for (let round = 0; round < rounds; round++) {
      // Each round starts with the next case, so that no case always holds the same place in the
      // order (the very first runs right after the collection and the checksum passes).
      for (let turn = 0; turn < cases.length; turn++) {
        const i = (round + turn) % cases.length;
        const c = cases[i];
        await yieldToEventLoop();
        this.progress.step(`${this.label(c.meta)}${rounds > 1 ? ` (round ${round + 1}/${rounds})` : ''}`, true);
        const b = new Benchmark(this.label(c.meta), c.op, {
          maxTime: this.maxTime / rounds, minTime: this.minTime, minSamples: this.minSamples, async: false,
        });
        b.run({ async: false });
        if (b.error) throw b.error;
        runs[i].push({ hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length });
      }
    }
    return cases.map((c, i) => {
      const byHz = runs[i].slice().sort((a, b) => a.hz - b.hz);
      const mid = byHz[Math.floor(byHz.length / 2)];
      const spread = byHz.length > 1 ? ((byHz[byHz.length - 1].hz - byHz[0].hz) / 2 / mid.hz) * 100 : 0;
      const within = runs[i].map((r) => r.rme).sort((a, b) => a - b)[Math.floor(runs[i].length / 2)];
      const { v, ok } = checked[i];
      return this.finish(c.meta, {
        hz: mid.hz, nsPerOp: 1e9 / mid.hz, rme: Math.max(spread, within), samples: runs[i].reduce((n, r) => n + r.samples, 0),
        method: 'benchmark.js', checksum: v?.checksum, answers: v?.answers, checksumOk: ok, extra: v?.extra,
      });
    });
  }

  /**
   * The same comparison as compare(), timed in short batches that take turns: for slow operations
   * (tens of µs: a file read, a module resolve), where benchmark.js takes 4–8 samples per 120 ms
   * round. Such rows came out up to 1.5× apart between runs under benchmark.js (± 40–60 %) while
   * loops timed side by side in the same process put them level; here each case's batches are
   * ≈ 5 ms apart, each sample starting with the next case, so drift and pauses reach every case
   * alike. `batch`: ops per batch instead (e.g. one whole pass over a workload whose ops differ
   * in cost), with `samples` batches per case. Results are named `name + INTERLEAVED`; the median
   * ns/op, rme half the interquartile range relative to the median.
   */
  async interleave(cases: Case[], opts: { batch?: number; samples?: number } = {}): Promise<Result[]> {
    const metas = cases.map((c) => ({ ...c.meta, name: c.meta.name + INTERLEAVED }));
    this.progress.step(`${metas[0].suite}: ${metas[0].name} · ${metas.map((m) => m.impl).join(' vs ')}`);
    this.gc();
    const checked = cases.map((c) => {
      const v = c.verify?.();
      return { v, ok: this.check(c.meta, v, c.expected) };
    });
    // Each case runs ≈ 50 ms untimed first, which also sizes its batch to ≈ BATCH_MS (unless given).
    const BATCH_MS = 5;
    const sizes = cases.map((c) => {
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 50) { c.op(); n++; }
      return opts.batch ?? Math.max(1, Math.round((n * BATCH_MS) / (performance.now() - t0)));
    });
    const samples = opts.samples ?? (this.options.quick ? 12 : 60);
    const perOp: number[][] = cases.map(() => []);
    for (let s = 0; s < samples; s++) {
      if (s % 10 === 0) await yieldToEventLoop();
      for (let turn = 0; turn < cases.length; turn++) {
        const i = (s + turn) % cases.length;
        const op = cases[i].op;
        const n = sizes[i];
        const t0 = process.hrtime.bigint();
        for (let k = 0; k < n; k++) op();
        perOp[i].push(Number(process.hrtime.bigint() - t0) / n);
      }
    }
    return cases.map((c, i) => {
      const { median, rme } = medianSpread(perOp[i]);
      const { v, ok } = checked[i];
      return this.finish(metas[i], {
        hz: 1e9 / median, nsPerOp: median, rme, samples,
        method: 'interleaved batches', checksum: v?.checksum, answers: v?.answers, checksumOk: ok, extra: v?.extra,
      });
    });
  }

  /**
   * `samples` rounds of: setup() untimed, then run() timed; run returns the operations it did.
   * Reports the median ns/op; rme is half the interquartile range relative to the median.
   */
  async batches(meta: ResultMeta, rounds: { setup: () => void; run: () => number; samples?: number }, verify?: () => Verify, expected?: string): Promise<Result> {
    this.progress.step(this.label(meta));
    // No collection between setup and timing: right after a full GC the same batch measured
    // 2× slower (4.8 → 9.7 µs per re-lookup). One before the checksum pass, as in compare().
    this.gc();
    const v = verify?.();
    const checksumOk = this.check(meta, v, expected);
    const samples = rounds.samples ?? (this.options.quick ? 5 : 9);
    const perOp: number[] = [];
    for (let i = 0; i < samples; i++) {
      await yieldToEventLoop();
      rounds.setup();
      const t0 = process.hrtime.bigint();
      const ops = rounds.run();
      const t1 = process.hrtime.bigint();
      perOp.push(Number(t1 - t0) / ops);
    }
    const { median, rme } = medianSpread(perOp);
    return this.finish(meta, {
      hz: 1e9 / median, nsPerOp: median, rme, samples,
      method: 'batches', checksum: v?.checksum, answers: v?.answers, checksumOk, extra: v?.extra,
    });
  }

  measure(m: Measurement): void {
    this.measurements.push(m);
    this.progress.log(`${m.suite}: ${m.name} [${paramText(m.params)}] = ${Number.isInteger(m.value) ? fmt.format(m.value) : m.value.toFixed(1)} ${m.unit}`);
  }

  /** A benchmark that cannot run here, with the reason; counts as done for the progress bar. */
  skip(suite: string, what: string, reason: string, planned = 1): void {
    this.skips.push({ suite, what, reason });
    this.progress.log(`${suite}: ${what}: skipped: ${reason}`);
    for (let i = 0; i < planned; i++) this.progress.tick();
  }

  note(text: string): void {
    this.notes.push(text);
    this.progress.log(text);
  }
}
