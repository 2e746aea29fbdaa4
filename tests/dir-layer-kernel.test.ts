// The kernel judges Strata: the same operations on the kernel's overlayfs and on Strata's Overlay
// over DirLayers of identical lower trees, every answer compared (bindings/verify/kernel/differential.ts).
// Scripted scenarios cover each behaviour by name; seeded random runs cover the combinations.
// Skipped, with the reason printed, where overlayfs cannot be mounted (not root, no overlay).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { modesLabel, modesOptions, runDifferential, type DiffResult, type StrataTarget } from '../bindings/verify/kernel/differential.js';
import { probeOverlayMount, unmountLeftovers } from '../bindings/verify/kernel/kernel-mount.js';
import { specListing } from '../bindings/verify/kernel/lower-trees.js';
import { SCENARIOS, specFrom } from '../bindings/verify/kernel/scenarios.js';
import { loadTarget } from '../bindings/verify/kernel/targets.js';
import { shrink } from '../bindings/verify/kernel/shrink.js';
import { testSeeds } from '../bindings/verify/prng.js';

const support = probeOverlayMount();
if (!support.ok) console.log(`# kernel differential skipped: ${support.reason} (${support.kernel})`);
else console.log(`# kernel differential: ${support.kernel}, ${support.reason}`);
const skip = support.ok ? false : support.reason;

const OPS_PER_SEED = 100;
const SEEDS_OFF = testSeeds(Array.from({ length: 22 }, (_, i) => i + 1), 2, 'kernel differential, redirect_dir=off');
const SEEDS_ON = testSeeds(Array.from({ length: 8 }, (_, i) => 101 + i), 1, 'kernel differential, redirect_dir=on');
const SEEDS_METACOPY = testSeeds(Array.from({ length: 4 }, (_, i) => 201 + i), 1, 'kernel differential, metacopy=on');
const SEEDS_INDEX = testSeeds(Array.from({ length: 3 }, (_, i) => 301 + i), 1, 'kernel differential, index=on');

const totals = { ops: 0, answers: 0, agreed: 0, runs: 0 };
let shrunkOne = false;

/** Fail with the seed, the disagreement and a replay (shrunk for the first failing seed only). */
function assertAgrees(r: DiffResult, target: StrataTarget, label: string): void {
  totals.ops += r.opsRun;
  totals.answers += r.answers;
  totals.agreed += r.agreed;
  totals.runs++;
  const d0 = r.disagreement;
  if (d0 === undefined) return;
  let d = d0;
  if (!shrunkOne) {
    shrunkOne = true;
    d = shrink(d0, { ...d0.modes, target }, 80).disagreement;
  }
  assert.fail([
    `${label}: the kernel and Strata disagree (seed ${r.seed}, ${modesLabel(r)}) — ${d.what}`,
    ...d.detail.split('\n').map((l) => `  ${l}`),
    `rerun: strata diff-kernel --seed ${r.seed} --ops ${OPS_PER_SEED} ${modesOptions(r)}`,
    `replay${d === d0 ? '' : ' (shrunk)'} — lower trees:`, ...specListing(d.spec).map((l) => `  ${l}`),
    '  operations:', ...d.replay.map((l) => `    ${l}`),
  ].join('\n'));
}

describe('kernel differential: Strata Overlay over DirLayers vs overlayfs', { skip }, () => {
  let target: StrataTarget;
  // Every run unmounts in its own `finally`; this catches what a killed earlier run left.
  const leftovers = () => {
    const left = unmountLeftovers();
    if (left.length > 0) console.log(`# kernel differential: unmounted leftovers ${left.join(', ')}`);
  };
  leftovers();
  after(leftovers);
  it('loads the engine', async () => {
    target = await loadTarget('overlay');
  });

  for (const redirectDir of [false, true]) {
    if (redirectDir && !support.redirectDir) {
      it('redirect_dir=on runs', { skip: 'this mount refuses redirect_dir=on' }, () => {});
      continue;
    }
    for (const sc of SCENARIOS) {
      if (sc.redirectDir !== undefined && sc.redirectDir !== redirectDir) continue;
      if (sc.metacopy === true) continue;
      it(`scenario (redirect_dir=${redirectDir ? 'on' : 'off'}): ${sc.name}`, () => {
        const r = runDifferential({ seed: 0, ops: sc.ops.length, redirectDir, target, spec: specFrom(sc.lowers), script: sc.ops, checkEvery: 5 });
        assert.equal(r.opsRun, sc.ops.length);
        assertAgrees(r, target, sc.name);
      });
    }
  }

  // metacopy=on (with redirect_dir=on, as the kernel requires): its scenarios and a few seeds.
  for (const sc of SCENARIOS.filter((c) => c.metacopy === true && support.redirectDir)) {
    it(`scenario (metacopy=on): ${sc.name}`, () => {
      const r = runDifferential({
        seed: 0, ops: sc.ops.length, redirectDir: true, metacopy: true, target, spec: specFrom(sc.lowers), script: sc.ops, checkEvery: 5,
      });
      assert.equal(r.opsRun, sc.ops.length);
      assertAgrees(r, target, sc.name);
    });
  }
  for (const seed of support.redirectDir ? SEEDS_METACOPY : []) {
    it(`random (metacopy=on): seed ${seed}, ${OPS_PER_SEED} ops`, () => {
      const r = runDifferential({ seed, ops: OPS_PER_SEED, redirectDir: true, metacopy: true, target });
      assertAgrees(r, target, `seed ${seed}`);
      assert.equal(r.opsRun, OPS_PER_SEED);
    });
  }

  // index=on: the hard-link scenarios again, and a few seeds (lower trees hold hard links).
  // (Root mounts only: inside a user namespace the kernel format is userxattr's, without index.)
  for (const sc of SCENARIOS.filter((c) => c.alsoIndex === true && !support.userxattr)) {
    it(`scenario (index=on): ${sc.name}`, () => {
      const r = runDifferential({ seed: 0, ops: sc.ops.length, redirectDir: false, index: true, target, spec: specFrom(sc.lowers), script: sc.ops, checkEvery: 5 });
      assert.equal(r.opsRun, sc.ops.length);
      assertAgrees(r, target, sc.name);
    });
  }
  for (const seed of support.userxattr ? [] : SEEDS_INDEX) {
    it(`random (index=on): seed ${seed}, ${OPS_PER_SEED} ops`, () => {
      const r = runDifferential({ seed, ops: OPS_PER_SEED, redirectDir: seed % 2 === 0 && support.redirectDir, index: true, target });
      assertAgrees(r, target, `seed ${seed}`);
      assert.equal(r.opsRun, OPS_PER_SEED);
    });
  }

  for (const [redirectDir, seeds] of [[false, SEEDS_OFF], [true, SEEDS_ON]] as const) {
    if (redirectDir && !support.redirectDir) continue;
    for (const seed of seeds) {
      it(`random (redirect_dir=${redirectDir ? 'on' : 'off'}): seed ${seed}, ${OPS_PER_SEED} ops`, () => {
        const r = runDifferential({ seed, ops: OPS_PER_SEED, redirectDir, target });
        assertAgrees(r, target, `seed ${seed}`);
        assert.equal(r.opsRun, OPS_PER_SEED);
      });
    }
  }

  it('ran enough: >= 2,000 random operations over >= 20 seeds', () => {
    console.log(`# kernel differential: ${totals.runs} runs, ${totals.ops} ops, ${totals.answers} answers compared, ${totals.agreed} agreed`);
    assert.ok(SEEDS_OFF.length >= 20, 'redirect_dir=off alone runs >= 20 seeds');
    assert.ok(SEEDS_OFF.length * OPS_PER_SEED >= 2000);
  });
});
