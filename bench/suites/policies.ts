// Policies under online lower changes: ops/s, ESTALE rate and re-lookup cost of strict, relaxed
// and strict-legacy when 0, 0.1 %, 1 %, 10 % of operations are changes made directly to a lower
// (file replaced, its directory renamed away and back, a whiteout put over it and removed), with
// TTL expiry off and on (MemoryLayer { ttlMs } on an injected clock that advances 1 ms per op;
// the TTL is an eighth of the verification pass, so entries expire several times in it).
// Each change restores the visible tree, so every answer has one right value: relaxed must give
// it always, strict either it or ESTALE — the verification pass counts anything else as wrong.
import { createRng } from '../../bindings/verify/prng.js';
import { Checksum, statAnswer } from '../checksum.js';
import type { Suite, SuiteContext } from '../context.js';
import type { Dataset } from '../dataset.js';
import { dirname } from '../dataset.js';
import type { MemoryLayerLike, OverlayLike, StrataApi } from '../engine.js';
import { counter } from '../engine.js';
import { fileData } from '../materialize/fill.js';
import { toMemoryStack, type MemoryStack } from '../materialize/memory.js';
import { disposeOverlay, makeOverlay, type PolicyName } from '../overlays.js';
import { PathSet, truthStat } from '../workload.js';

const POLICIES: PolicyName[] = ['strict', 'relaxed', 'strict-legacy'];
const RATES = [0, 0.001, 0.01, 0.1];
const ESTALE_ANSWER = -7;

const enum Kind { Stat, StatMissing, Replace, RenameDir, WhiteoutToggle }

interface Op {
  kind: Kind;
  /** Index into the pool (files) or the negatives. */
  i: number;
}

interface Pool {
  files: string[];
  set: PathSet;
  truth: number[];
  negatives: string[];
  negSet: PathSet;
  /** Per pool file: its home layer index in the stack (0 = upper) and size. */
  home: { index: number; size: number }[];
  /** Pool files a whiteout can be put over: the layer above the home one has their directory. */
  whiteoutable: number[];
}

function buildPool(ds: Dataset, count: number): Pool {
  const files = ds.workload.files.slice(0, count);
  const negatives = ds.workload.negatives.slice(0, Math.ceil(count / 4));
  const home = files.map((p) => {
    const a = ds.resolve(p);
    if (a.kind !== 'file') throw new Error(`policies: ${p} is not a file`);
    return { index: a.layer, size: a.size };
  });
  const whiteoutable: number[] = [];
  files.forEach((p, i) => {
    const above = home[i].index - 1;
    if (above >= 1 && ds.stack[above].nodes.get(dirname(p))?.type === 'dir') whiteoutable.push(i);
  });
  return {
    files, set: new PathSet(files), truth: files.map((p) => truthStat(ds, p)),
    negatives, negSet: new PathSet(negatives), home, whiteoutable,
  };
}

function buildOps(seed: number, pool: Pool, rate: number, count: number): Op[] {
  const rng = createRng(seed);
  const ops: Op[] = [];
  for (let k = 0; k < count; k++) {
    if (rate > 0 && rng.next() < rate) {
      const roll = rng.next();
      if (roll < 0.1 && pool.whiteoutable.length > 0) ops.push({ kind: Kind.WhiteoutToggle, i: rng.pick(pool.whiteoutable) });
      else if (roll < 0.3) ops.push({ kind: Kind.RenameDir, i: rng.int(pool.files.length) });
      else ops.push({ kind: Kind.Replace, i: rng.int(pool.files.length) });
    } else if (rng.chance(0.8)) {
      ops.push({ kind: Kind.Stat, i: rng.int(pool.files.length) });
    } else {
      ops.push({ kind: Kind.StatMissing, i: rng.int(pool.negatives.length) });
    }
  }
  return ops;
}

function layerAt(stack: MemoryStack, index: number): MemoryLayerLike {
  return index === 0 ? stack.upper : stack.lowers[index - 1];
}

/** Does the engine take an injected clock for cache deadlines? Probe it on a tiny overlay. */
function probeClock(api: StrataApi): boolean {
  let now = 1;
  const lower = new api.MemoryLayer({ ttlMs: 10 });
  lower.writeFile('/f', 'x');
  const ov = makeOverlay(api, { lowers: [lower], upper: new api.MemoryLayer() }, { impl: 'ts', clock: () => now });
  try {
    ov.stat('/f');
    ov.stat('/f');
    const before = counter(ov, 'revalidations') + counter(ov, 'expired');
    now += 1000;
    ov.stat('/f');
    return counter(ov, 'revalidations') + counter(ov, 'expired') > before;
  } finally {
    disposeOverlay(ov);
  }
}

/** TTL in clock ms (1 ms per operation): short enough that entries expire several times a pass. */
function ttlFor(opCount: number): number {
  return Math.max(200, Math.round(opCount / 8));
}

interface PolicyRun {
  policy: PolicyName;
  ov: OverlayLike;
  op: () => void;
  verify: () => { checksum: string; answers: number; extra: Record<string, number> };
  wrong: () => number;
  firstWrong: () => string;
}

/** An overlay with `policy` on `stack`, warmed on the pool, and the operations to time on it. */
function policyRun(api: StrataApi, stack: MemoryStack, pool: Pool, ops: Op[], policy: PolicyName, injectClock: boolean): PolicyRun {
  // Each overlay has its own clock, advanced by its own operations only: interleaved timing
  // must not make one policy's entries expire for another's work.
  let now = 1;
  const tick = () => { now++; };
  const ov = makeOverlay(api, stack, { impl: 'wasm', policy, clock: injectClock ? () => now : undefined });
  const apply = (op: Op) => {
    const path = pool.files[op.i];
    const home = pool.home[op.i];
    const layer = layerAt(stack, home.index);
    if (op.kind === Kind.Replace) {
      layer.writeFile(path, fileData(home.size), { replace: true });
    } else if (op.kind === Kind.RenameDir) {
      const dir = dirname(path);
      layer.rename(dir, `${dir}.moved`);
      layer.rename(`${dir}.moved`, dir);
    } else {
      const above = layerAt(stack, home.index - 1);
      above.whiteout(path);
      above.unlink(path);
    }
  };
  let wrong = 0;
  let firstWrong = '';
  const run = (k: number, check: boolean): number => {
    const op = ops[k];
    tick();
    if (op.kind >= Kind.Replace) { apply(op); return 0; }
    const missing = op.kind === Kind.StatMissing;
    let answer: number;
    try {
      answer = statAnswer(missing ? ov.stat(pool.negSet.path(op.i), { throwIfNoEntry: false }) : ov.stat(pool.set.path(op.i)));
    } catch (err) {
      if ((err as { code?: string }).code !== 'ESTALE') throw err;
      answer = ESTALE_ANSWER;
    }
    if (check) {
      const right = missing ? 0 : pool.truth[op.i];
      const allowed = answer === right || (answer === ESTALE_ANSWER && policy !== 'relaxed');
      if (!allowed && wrong++ === 0) firstWrong = `op ${k}: ${missing ? pool.negatives[op.i] : pool.files[op.i]} gave ${answer}, want ${right}`;
    }
    return answer;
  };
  // Warm the cache on the pool (the clock runs here too, so deadlines spread like in use).
  // strict-legacy answers an expired ancestor with ESTALE (the entry is dropped): ask again.
  for (let i = 0; i < pool.files.length; i++) {
    tick();
    try { ov.stat(pool.set.path(i)); } catch (err) {
      if ((err as { code?: string }).code !== 'ESTALE') throw err;
      ov.stat(pool.set.path(i));
    }
  }
  const names = ['estale', 'relookups', 'revalidations', 'expired', 'changed', 'misses'];
  const verify = () => {
    const before = names.map((n) => counter(ov, n));
    const sum = new Checksum();
    let estale = 0;
    for (let k = 0; k < ops.length; k++) {
      const a = run(k, true);
      if (ops[k].kind < Kind.Replace) sum.add(a);
      if (a === ESTALE_ANSWER) estale++;
    }
    const d = names.map((n, j) => counter(ov, n) - before[j]);
    const perKop = (x: number) => +((x / ops.length) * 1000).toFixed(2);
    return {
      checksum: sum.hex(), answers: sum.count,
      extra: {
        estaleRate: +((estale / ops.length) * 100).toFixed(3),
        estalePerKop: perKop(d[0]), relookupsPerKop: perKop(d[1]), revalidationsPerKop: perKop(d[2]),
        expiredPerKop: perKop(d[3]), changedPerKop: perKop(d[4]), missesPerKop: perKop(d[5]), wrong,
      },
    };
  };
  let k = 0;
  const op = () => { run(k, false); if (++k === ops.length) k = 0; };
  return { policy, ov, op, verify, wrong: () => wrong, firstWrong: () => firstWrong };
}

export const policiesSuite: Suite = {
  name: 'policies',
  description: 'strict / relaxed / strict-legacy at lower change rates 0, 0.1 %, 1 %, 10 % of operations, TTL expiry off and on: ' +
    'ops/s, ESTALE rate, re-lookups, and the amortised cost of one change ((time/op − time/op at rate 0) ÷ rate). ' +
    'Operations: 80 % stat of a file, 20 % stat of a missing path, over a pool of files; changes restore the visible tree, so every answer is checked.',
  planned: () => POLICIES.length * RATES.length * 2,
  async run(ctx: SuiteContext) {
    const { h, options } = ctx;
    const api = await ctx.strata();
    if (typeof api === 'string') { h.skip('policies', 'all', api, this.planned(options)); return; }
    const ds = ctx.dataset();
    const pool = buildPool(ds, options.quick ? 2000 : 4000);
    const opCount = options.quick ? 5000 : 12000;
    const clockWorks = probeClock(api);
    if (!clockWorks) h.note('policies: the Overlay takes no injectable clock: TTL runs on real time, so expiry counts vary with speed');

    for (const ttl of ['off', 'on'] as const) {
      // One mutable copy of the data set per policy: overlays on a shared stack would be told
      // of each other's changes, and pay for them inside the timed operation.
      const ttlMs = ttl === 'on' ? (clockWorks ? ttlFor(opCount) : 20) : 0;
      const stacks = POLICIES.map((policy) => {
        h.progress.step(`policies: building mutable layers for ${policy} (TTL ${ttl})`);
        return toMemoryStack(api, ds, ttlMs > 0 ? { ttlMs } : {});
      });
      const nsAtZero = new Map<PolicyName, number>();
      for (const rate of RATES) {
        const ops = buildOps(options.seed * 1000 + Math.round(rate * 1e4), pool, rate, opCount);
        const runs = POLICIES.map((policy, p) => policyRun(api, stacks[p], pool, ops, policy, clockWorks));
        const results = await h.compare(runs.map((run) => ({
          meta: { suite: 'policies', name: 'mixed ops', impl: run.policy, params: { changeRate: rate, ttl } },
          op: run.op, verify: run.verify,
        })));
        results.forEach((r, p) => {
          const run = runs[p];
          if (run.wrong() > 0) h.note(`policies: ${run.policy} rate ${rate} TTL ${ttl}: ${run.wrong()} WRONG answers; first: ${run.firstWrong()}`);
          if (rate === 0) nsAtZero.set(run.policy, r.nsPerOp);
          // At 0.1 % the difference is within the noise, and dividing by the rate magnifies it 1000×.
          else if (rate >= 0.01 && nsAtZero.has(run.policy)) r.extra = { ...r.extra, nsPerChange: Math.round((r.nsPerOp - nsAtZero.get(run.policy)!) / rate) };
          disposeOverlay(run.ov);
        });
      }
      h.gc();
    }
  },
};
