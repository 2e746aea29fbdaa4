// Engine vs reference model: the same seeded random operations on identical copies of the same
// layer stack must give identical answers (values; errors by code and syscall; stat fields, with
// inode numbers compared by identity), identical overlay trees along the way, and identical layers
// at the end. Run for every policy, with redirect_dir and metacopy on and off, and with a cache
// small enough to evict. A failure prints the seed, the configuration and a minimal replay.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Overlay } from '../bindings/index.js';
import { diffSnapshots, snapshotLayer } from './helpers/layer-snapshot.js';
import { compareOutcomes, InoMatcher, show } from '../bindings/verify/outcome-compare.js';
import { testSeeds } from '../bindings/verify/prng.js';
import { ModelOverlay } from '../bindings/verify/model/model-overlay.js';
import { printOp, runOp, type Op, type Outcome } from '../bindings/verify/model/ops.js';
import { treeOps } from '../bindings/verify/model/tree-ops.js';
import { makeWorkload, type Workload } from '../bindings/verify/model/workload.js';

interface Config {
  policy: 'strict' | 'relaxed' | 'strict-legacy';
  redirectDir: boolean;
  metacopy: boolean;
  /** index=on (lower hard links stay joined across copy-up). */
  index?: boolean;
  /** Cache capacity in entries (small: eviction under test too). */
  capacity?: number;
  /** Tree shape (default depth 3, fanout 4). */
  depth?: number;
  fanout?: number;
}

const OPS_PER_SEED = 100;
// 153 reaches a node:fs mkdir -p corner (ENOENT under a dangling symlink) with redirect_dir on.
const FIXED_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 153];
const RANDOM_SEEDS_PER_CONFIG = 1;
/** Compare the whole overlay tree every this many operations (and at the end). */
const TREE_EVERY = 25;

const CONFIGS: Config[] = [];
for (const policy of ['strict', 'relaxed', 'strict-legacy'] as const) {
  for (const redirectDir of [false, true]) {
    for (const metacopy of [false, true]) CONFIGS.push({ policy, redirectDir, metacopy });
  }
}
CONFIGS.push({ policy: 'relaxed', redirectDir: true, metacopy: false, capacity: 24 });
CONFIGS.push({ policy: 'strict', redirectDir: true, metacopy: true, depth: 5, fanout: 3 });
CONFIGS.push({ policy: 'relaxed', redirectDir: false, metacopy: false, depth: 2, fanout: 7 });
CONFIGS.push({ policy: 'strict', redirectDir: false, metacopy: false, index: true });
CONFIGS.push({ policy: 'relaxed', redirectDir: true, metacopy: true, index: true, capacity: 24 });

interface Failure {
  /** Operation index (ops.length for the final layer comparison). */
  at: number;
  what: string;
}

function describeConfig(c: Config): string {
  return `policy=${c.policy} redirectDir=${c.redirectDir} metacopy=${c.metacopy}${c.index ? ' index=true' : ''}${c.capacity ? ` capacity=${c.capacity}` : ''}` +
    `${c.depth ? ` depth=${c.depth}` : ''}${c.fanout ? ` fanout=${c.fanout}` : ''}`;
}

function makeEngine(w: Workload, c: Config): { ov: Overlay; layers: ReturnType<Workload['build']> } {
  const layers = w.build();
  const ov = new Overlay({
    lowers: layers.lowers, upper: layers.upper, policy: c.policy, redirectDir: c.redirectDir, metacopy: c.metacopy, index: c.index === true,
    ...(c.capacity ? { cache: { capacity: { entries: c.capacity } } } : {}),
  });
  return { ov, layers };
}

/** Run `ops` on both sides; the first disagreement, or undefined. */
function runPair(w: Workload, c: Config, ops: Op[], trace?: string[]): Failure | undefined {
  const engine = makeEngine(w, c);
  const modelLayers = w.build();
  const model = new ModelOverlay({
    lowers: modelLayers.lowers, upper: modelLayers.upper, redirectDir: c.redirectDir, metacopy: c.metacopy, index: c.index === true,
  });
  const inos = new InoMatcher();
  const compareTrees = (at: number): Failure | undefined => {
    for (const op of treeOps(model)) {
      const why = compareOutcomes(runOp(model, op), runOp(engine.ov, op), inos);
      if (why !== undefined) return { at, what: `overlay trees differ at ${printOp(op)}: ${why}` };
    }
    return undefined;
  };
  for (let i = 0; i < ops.length; i++) {
    const expected: Outcome = runOp(model, ops[i]);
    const actual: Outcome = runOp(engine.ov, ops[i]);
    trace?.push(`${printOp(ops[i])}  // model: ${show(expected)}${show(expected) === show(actual) ? '' : ` | engine: ${show(actual)}`}`);
    const why = compareOutcomes(expected, actual, inos);
    if (why !== undefined) return { at: i, what: why };
    if ((i + 1) % TREE_EVERY === 0) {
      const bad = compareTrees(i);
      if (bad) return bad;
    }
  }
  const bad = compareTrees(ops.length);
  if (bad) return bad;
  // The layers themselves: lowers untouched and equal; uppers equal (inode numbers aside: the two
  // sides may create objects in another order).
  for (let i = 0; i < modelLayers.lowers.length; i++) {
    const d = diffSnapshots(snapshotLayer(modelLayers.lowers[i]), snapshotLayer(engine.layers.lowers[i]));
    if (d !== '') return { at: ops.length, what: `lower ${i} differs (model -, engine +):\n${d}` };
  }
  if (modelLayers.upper && engine.layers.upper) {
    const d = diffSnapshots(snapshotLayer(modelLayers.upper, { inodes: false }), snapshotLayer(engine.layers.upper, { inodes: false }));
    if (d !== '') return { at: ops.length, what: `upper layers differ (model -, engine +):\n${d}` };
  }
  return undefined;
}

/** The shortest failing prefix, then single operations dropped while it still fails. */
function shrink(w: Workload, c: Config, ops: Op[], failedAt: number): Op[] {
  let best = ops.slice(0, Math.min(ops.length, failedAt + 1));
  for (let n = 1; n < best.length; n++) {
    if (runPair(w, c, ops.slice(0, n)) !== undefined) {
      best = ops.slice(0, n);
      break;
    }
  }
  for (let i = best.length - 2; i >= 0; i--) {
    const candidate = [...best.slice(0, i), ...best.slice(i + 1)];
    if (runPair(w, c, candidate) !== undefined) best = candidate;
  }
  return best;
}

function workloadOptions(c: Config): string {
  return `{ ops: ${OPS_PER_SEED}${c.depth ? `, depth: ${c.depth}` : ''}${c.fanout ? `, fanout: ${c.fanout}` : ''} }`;
}

function report(w: Workload, c: Config, failure: Failure): string {
  const minimal = shrink(w, c, w.ops, failure.at);
  const trace: string[] = [];
  const final = runPair(w, c, minimal, trace) ?? failure;
  return [
    `engine and model disagree — seed ${w.seed}, ${describeConfig(c)}, stack ${JSON.stringify(w.plan)}`,
    `first seen at operation ${failure.at} of ${w.ops.length}: ${failure.what}`,
    `minimal replay (${minimal.length} operations):`,
    `  const { lowers, upper } = makeWorkload(${w.seed}, ${workloadOptions(c)}).build();`,
    `  const ov = new Overlay({ lowers, upper, policy: '${c.policy}', redirectDir: ${c.redirectDir}, metacopy: ${c.metacopy}${c.index ? ', index: true' : ''}${c.capacity ? `, cache: { capacity: { entries: ${c.capacity} } }` : ''} });`,
    ...trace.map((line) => `  ${line}`),
    `  → ${final.what}`,
  ].join('\n');
}

let totalOps = 0;
for (const config of CONFIGS) {
  test(`engine agrees with the model: ${describeConfig(config)}`, () => {
    const seeds = testSeeds(FIXED_SEEDS, RANDOM_SEEDS_PER_CONFIG, `differential ${describeConfig(config)}`);
    const failures: string[] = [];
    const failedSeeds: number[] = [];
    for (const seed of seeds) {
      const w = makeWorkload(seed, { ops: OPS_PER_SEED, depth: config.depth, fanout: config.fanout });
      totalOps += w.ops.length;
      const failure = runPair(w, config, w.ops);
      if (failure === undefined) continue;
      failedSeeds.push(seed);
      if (failures.length < 2) failures.push(report(w, config, failure));
    }
    assert.equal(failedSeeds.length, 0, `${failedSeeds.length} of ${seeds.length} seeds disagree (${failedSeeds.join(', ')})\n\n${failures.join('\n\n')}`);
  });
}

/** node:fs corners random workloads reach rarely, run on both sides over one fixed stack. */
const CORNER_OPS: Op[] = [
  { method: 'mkdir', args: ['//n/x', { recursive: true }] }, // node returns '//n', the string it made
  { method: 'mkdir', args: ['/n/y/', { recursive: true }] }, // … and '/n/y/' here
  { method: 'mkdir', args: ['/n/x', { recursive: true }] }, // nothing made: undefined
  { method: 'symlink', args: ['/nowhere', '/n/dangling'] },
  { method: 'mkdir', args: ['/n/dangling', { recursive: true }] }, // stat() after EEXIST: ENOENT
  { method: 'mkdir', args: ['/n/dangling/z', { recursive: true }] },
  { method: 'writeFile', args: ['/n/file', 'f'] },
  { method: 'mkdir', args: ['/n/file', { recursive: true }] }, // EEXIST
  { method: 'mkdir', args: ['/n/file/z', { recursive: true }] }, // ENOTDIR
  { method: 'rm', args: ['/n/file/z', { force: true }] }, // lstat first: ENOTDIR (lstat)
  { method: 'rm', args: ['/n/file/z', { force: true, recursive: true }] }, // no lstat: ENOTDIR (unlink)
  { method: 'rm', args: ['/n/missing', { force: true }] },
  { method: 'rm', args: ['/n', {}] }, // ERR_FS_EISDIR
  { method: 'rm', args: ['/n', { recursive: true }] },
];

test('engine agrees with the model on node:fs corners (mkdir -p, rm)', () => {
  const wrong: string[] = [];
  for (const upper of ['empty', 'none'] as const) {
    const w = makeWorkload(1, { ops: 0, upper });
    const engine = makeEngine(w, { policy: 'relaxed', redirectDir: false, metacopy: false }).ov;
    const layers = w.build();
    const model = new ModelOverlay({ lowers: layers.lowers, upper: layers.upper });
    const inos = new InoMatcher();
    for (const op of CORNER_OPS) {
      const expected = runOp(model, op);
      const actual = runOp(engine, op);
      if (compareOutcomes(expected, actual, inos) !== undefined) {
        wrong.push(`upper ${upper}: ${printOp(op)}  // model: ${show(expected)} | engine: ${show(actual)}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('the workload generator gives identical, independent stacks for one seed', () => {
  for (const seed of [1, 2, 3, 77]) {
    const w = makeWorkload(seed, { ops: 50 });
    const again = makeWorkload(seed, { ops: 50 });
    assert.deepEqual(again.ops, w.ops, 'same operations');
    const one = w.build();
    const two = again.build();
    const layersOf = (s: ReturnType<Workload['build']>) => [...s.lowers, ...(s.upper ? [s.upper] : [])];
    const snaps = (s: ReturnType<Workload['build']>) => layersOf(s).map((l) => snapshotLayer(l));
    assert.deepEqual(snaps(two), snaps(one), 'same layers, times and inode numbers included');
    layersOf(one)[0].writeFile('/independent', 'x');
    assert.notDeepEqual(snaps(two), snaps(one));
    assert.deepEqual(snaps(again.build()), snaps(two), 'a change to one copy leaves the others alone');
  }
  const other = makeWorkload(5, { ops: 50 });
  assert.notDeepEqual(other.ops, makeWorkload(6, { ops: 50 }).ops, 'different seeds, different workloads');
});

test('the differential runs at least 10^4 operations', () => {
  assert.ok(totalOps >= 10_000, `only ${totalOps} operations ran`);
});
