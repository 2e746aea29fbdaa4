// Shrinking a disagreement to a replay a person can read: drop operations (chunks first, then
// one at a time) and then lower-tree entries, keeping each removal that still reproduces a
// disagreement of the same kind. Every trial is a whole differential run (fresh trees, a fresh
// mount), so this is for the CLI and for reports, not for the test suite's time budget.
import { runDifferential, type DiffOptions, type Disagreement } from './differential.js';
import { specEntries, withoutEntry } from './lower-trees.js';

/** Same kind: the same check, and for an operation's own answer the same method. */
function sameKind(a: Disagreement, b: Disagreement): boolean {
  const kind = (d: Disagreement) => (d.kind === 'answer' ? `answer ${d.ops[d.index]?.method}` : d.kind);
  return kind(a) === kind(b);
}

export function shrink(
  found: Disagreement,
  base: Pick<DiffOptions, 'redirectDir' | 'metacopy' | 'index' | 'target' | 'checkEvery'>,
  budget = 400,
): { disagreement: Disagreement; trials: number } {
  let best = found;
  let trials = 0;
  const attempt = (spec = best.spec, ops = best.ops): boolean => {
    if (trials >= budget) return false;
    trials++;
    const r = runDifferential({ ...base, seed: found.seed, ops: ops.length, spec, script: ops });
    if (r.disagreement !== undefined && sameKind(r.disagreement, found)) {
      best = r.disagreement;
      return true;
    }
    return false;
  };
  // Operations after the failing one never matter.
  if (best.index >= 0) attempt(best.spec, best.ops.slice(0, best.index + 1));
  for (let chunk = Math.max(1, best.ops.length >> 1); chunk >= 1; chunk >>= 1) {
    for (let start = 0; start < best.ops.length;) {
      const ops = [...best.ops.slice(0, start), ...best.ops.slice(start + chunk)];
      if (ops.length === 0 || !attempt(best.spec, ops)) start += chunk;
    }
  }
  for (const entry of specEntries(best.spec).reverse()) {
    const still = specEntries(best.spec).some((e) => e.layer === entry.layer && e.path.join('/') === entry.path.join('/'));
    if (still) attempt(withoutEntry(best.spec, entry), best.ops);
  }
  return { disagreement: best, trials };
}
