// The invalidation stress tester: an overlay under test answers a seeded stream of operations
// while its layers change underneath it, and every answer is checked against the reference model
// (a fresh, uncached overlay) over an identical copy of the layers.
//
// Two identical stacks are built from the seed: stack A under the overlay being tested, stack B
// under the model. Each online change is made to both; each overlay operation runs on both. The
// copies stay equal as long as the answers agree, which is exactly what is checked:
// - relaxed: the answer equals the model's, ESTALE never appears;
// - strict / strict-legacy: the answer equals the model's or is ESTALE. ESTALE must leave nothing
//   changed, so the operation is retried until it answers (a stale entry is dropped per ESTALE);
//   the final answer must equal the model's.
// Anything else is a wrong answer: the run stops and reports the seed, the operation index and
// the events leading to it.
import { performance } from 'node:perf_hooks';
import { Overlay } from '../../overlay.js';
import { MemoryLayer } from '../../layers/memory-layer.js';
import type { PolicyName as Policy } from '../../policy.js';
import { createRng, type Rng } from '../prng.js';
import { InoMatcher, compareOutcomes, show } from '../outcome-compare.js';
import { ModelOverlay } from '../model/model-overlay.js';
import { printOp, runOp, type Op, type Outcome } from '../model/ops.js';

export interface StressOptions {
  policy: Policy;
  ops: number;
  seed: number;
  /** Number of lower layers (≥ 1). */
  lowers?: number;
  /** Share of events that are online changes to a layer (0..1). */
  changeRate?: number;
  /** Share of changes that are expiries (nothing changed, the layer just stops vouching). */
  expiryShare?: number;
  /** Give every layer a TTL of this many (virtual) milliseconds; 0 = no TTL. */
  ttlMs?: number;
  /** Tree shape of each generated layer. */
  depth?: number;
  fanout?: number;
  /** Cache capacity in entries (small values put eviction under test too). */
  capacity?: number;
  cacheImpl?: 'wasm' | 'ts';
  /** Called every `progressEvery` events with the number done. */
  onProgress?: (done: number) => void;
  progressEvery?: number;
  /** Test hook: build the overlay under test (e.g. a deliberately broken one). */
  makeOverlay?: (options: ConstructorParameters<typeof Overlay>[0]) => Overlay;
}

export interface WrongAnswer {
  index: number;
  op: string;
  expected: string;
  actual: string;
  why: string;
  /** The events before it, as lines of JavaScript over layers `A.lowers[i]`/`A.upper` and `ov`. */
  recent: string[];
  /** The command that replays the run up to the wrong answer. */
  replay: string;
}

export interface StressSummary {
  policy: Policy;
  seed: number;
  ops: number;
  overlayOps: number;
  changes: number;
  seconds: number;
  opsPerSecond: number;
  hits: number;
  misses: number;
  hitRate: number;
  estale: number;
  estaleRate: number;
  relookups: number;
  expired: number;
  changed: number;
  wrongAnswers: number;
  firstWrong?: WrongAnswer;
}

const NAMES = ['a', 'b', 'c', 'd', 'e'];
const MAX_RETRIES = 64;
const RECENT = 24;

interface Stack {
  lowers: MemoryLayer[];
  upper: MemoryLayer;
}

function buildStack(seed: number, lowers: number, depth: number, fanout: number, ttlMs: number): Stack {
  const rng = createRng(seed);
  const clockOf = (i: number) => () => 1_000_000 * (i + 1);
  const make = (i: number, name: string) => new MemoryLayer({ name, ttlMs, clock: clockOf(i) });
  const stack: Stack = { lowers: [], upper: make(lowers, 'upper') };
  for (let i = 0; i < lowers; i++) {
    const layer = make(i, `lower${i}`);
    fill(rng, layer, '', depth, fanout, i < lowers - 1);
    stack.lowers.push(layer);
  }
  fill(rng, stack.upper, '', Math.max(1, depth - 1), Math.max(1, fanout - 2), true);
  return stack;
}

/** A random tree: files, dirs (some opaque), symlinks, and whiteouts where something may lie below. */
function fill(rng: Rng, layer: MemoryLayer, dir: string, depth: number, fanout: number, whiteouts: boolean): void {
  for (const name of NAMES.slice(0, fanout)) {
    if (!rng.chance(0.7)) continue;
    const p = `${dir}/${name}`;
    const roll = rng.next();
    if (roll < 0.45 && depth > 1) {
      layer.mkdir(p, { opaque: rng.chance(0.08) });
      fill(rng, layer, p, depth - 1, fanout, whiteouts);
    } else if (roll < 0.8) layer.writeFile(p, `${layer.name}:${p}`);
    else if (roll < 0.9) layer.symlink(rng.chance(0.5) ? randomPath(rng, 3) : rng.pick(NAMES), p);
    else if (whiteouts) layer.whiteout(p);
  }
}

function randomPath(rng: Rng, depth: number): string {
  let p = '';
  const n = 1 + rng.int(depth);
  for (let i = 0; i < n; i++) p += '/' + rng.pick(NAMES);
  return p;
}

/** One online change, as a function applied identically to both stacks, and its printed form. */
interface Change {
  apply(s: Stack): void;
  text: string;
}

function randomChange(rng: Rng, lowers: number, depth: number, expiryShare: number): Change {
  const index = rng.int(lowers + 1);
  const pick = (s: Stack) => (index === lowers ? s.upper : s.lowers[index]);
  const ref = index === lowers ? 'A.upper' : `A.lowers[${index}]`;
  const p = randomPath(rng, depth);
  const q = randomPath(rng, depth);
  const change = (text: string, f: (l: MemoryLayer) => void): Change => ({
    text: `${ref}.${text}`,
    apply: (s) => { try { f(pick(s)); } catch { /* the same failure happens on both copies */ } },
  });
  if (rng.chance(expiryShare)) return change(`expire(${JSON.stringify(p)})`, (l) => l.expire(p));
  switch (rng.int(8)) {
    case 0: return change(`rename(${JSON.stringify(p)}, ${JSON.stringify(q)})`, (l) => l.rename(p, q));
    case 1: return change(`unlink(${JSON.stringify(p)})`, (l) => l.unlink(p));
    case 2: return change(`rmdir(${JSON.stringify(p)}, { recursive: true })`, (l) => l.rmdir(p, { recursive: true }));
    case 3: return change(`writeFile(${JSON.stringify(p)}, "new", { replace: true })`, (l) => l.writeFile(p, 'new', { replace: true }));
    case 4: return change(`whiteout(${JSON.stringify(p)})`, (l) => l.whiteout(p));
    case 5: {
      const on = rng.chance(0.5);
      return change(`setOpaque(${JSON.stringify(p)}, ${on})`, (l) => l.setOpaque(p, on));
    }
    case 6: return change(`mkdir(${JSON.stringify(p)}, { recursive: true })`, (l) => l.mkdir(p, { recursive: true }));
    default: {
      // Remove a directory high up the tree: every cached descendant must notice.
      const top = `/${rng.pick(NAMES)}`;
      return change(`rmdir(${JSON.stringify(top)}, { recursive: true })`, (l) => l.rmdir(top, { recursive: true }));
    }
  }
}

function randomOp(rng: Rng, depth: number): Op {
  const p = randomPath(rng, depth + 1);
  const roll = rng.next();
  if (roll < 0.72) {
    switch (rng.int(8)) {
      case 0: return { method: 'stat', args: [p] };
      case 1: return { method: 'lstat', args: [p] };
      case 2: return { method: 'exists', args: [p] };
      case 3: return { method: 'readdir', args: [p] };
      case 4: return { method: 'readFile', args: [p, 'utf8'] };
      case 5: return { method: 'readlink', args: [p] };
      case 6: return { method: 'realpath', args: [p] };
      default: return { method: 'stat', args: [p, { throwIfNoEntry: false }] };
    }
  }
  switch (rng.int(7)) {
    case 0: return { method: 'writeFile', args: [p, `w${rng.int(100)}`] };
    case 1: return { method: 'mkdir', args: [p] };
    case 2: return { method: 'unlink', args: [p] };
    case 3: return { method: 'rmdir', args: [p] };
    case 4: return { method: 'rename', args: [p, randomPath(rng, depth + 1)] };
    case 5: return { method: 'symlink', args: [rng.pick(NAMES), p] };
    default: return { method: 'chmod', args: [p, 0o600 + rng.int(0o100)] };
  }
}

const isEstale = (o: Outcome) => !o.ok && o.code === 'ESTALE';

export function runStress(options: StressOptions): StressSummary {
  const {
    policy, ops, seed, lowers = 3, changeRate = 0.05, expiryShare = 0.2, ttlMs = 0, depth = 3, fanout = 4,
    capacity, cacheImpl, onProgress, progressEvery = 10_000,
  } = options;
  const rng = createRng(seed);
  const stackSeed = (rng.next() * 0x7fffffff) | 0;
  const a = buildStack(stackSeed, lowers, depth, fanout, ttlMs);
  const b = buildStack(stackSeed, lowers, depth, fanout, ttlMs);
  let now = 1;
  const overlayOptions = {
    lowers: a.lowers, upper: a.upper, policy, clock: () => now,
    cache: { ...(capacity !== undefined ? { capacity: { entries: capacity } } : {}), ...(cacheImpl ? { impl: cacheImpl } : {}) },
  };
  const ov = options.makeOverlay ? options.makeOverlay(overlayOptions) : new Overlay(overlayOptions);
  const model = new ModelOverlay({ lowers: b.lowers, upper: b.upper });
  const inos = new InoMatcher();
  const recent: string[] = [];
  const remember = (line: string) => { recent.push(line); if (recent.length > RECENT) recent.shift(); };

  let overlayOps = 0, changes = 0, estale = 0;
  let firstWrong: WrongAnswer | undefined;
  const started = performance.now();
  for (let i = 0; i < ops; i++) {
    now += 1;
    if (rng.chance(changeRate)) {
      const change = randomChange(rng, lowers, depth, expiryShare);
      change.apply(a);
      change.apply(b);
      changes++;
      remember(change.text);
    } else {
      const op = randomOp(rng, depth);
      const expected = runOp(model, op);
      let actual = runOp(ov, op);
      let retries = 0;
      while (isEstale(actual) && policy !== 'relaxed' && retries < MAX_RETRIES) {
        estale++;
        retries++;
        actual = runOp(ov, op);
      }
      if (isEstale(actual) && policy !== 'relaxed') estale++;
      overlayOps++;
      remember(`${printOp(op)}${retries > 0 ? ` /* ESTALE ×${retries} first */` : ''}`);
      const why = compareOutcomes(expected, actual, inos);
      if (why !== undefined) {
        firstWrong = {
          index: i, op: printOp(op), expected: show(expected), actual: show(actual), why,
          recent: [...recent],
          replay: `strata stress --policy ${policy} --seed ${seed} --ops ${i + 1} --lowers ${lowers} --change-rate ${changeRate} --expiry-share ${expiryShare} --ttl ${ttlMs} --depth ${depth} --fanout ${fanout}${capacity !== undefined ? ` --capacity ${capacity}` : ''}${cacheImpl ? ` --cache ${cacheImpl}` : ''}`,
        };
        break;
      }
    }
    if (onProgress && (i + 1) % progressEvery === 0) onProgress(i + 1);
  }
  const seconds = (performance.now() - started) / 1000;
  const stats = ov.stats();
  const lookups = stats.hits + stats.misses;
  const done = firstWrong ? firstWrong.index + 1 : ops;
  return {
    policy, seed, ops: done, overlayOps, changes, seconds,
    opsPerSecond: done / seconds,
    hits: stats.hits, misses: stats.misses, hitRate: lookups > 0 ? stats.hits / lookups : 0,
    estale, estaleRate: overlayOps > 0 ? estale / overlayOps : 0,
    relookups: stats.relookups, expired: stats.expired, changed: stats.changed,
    wrongAnswers: firstWrong ? 1 : 0, firstWrong,
  };
}
