// Seeded randomness for tests, stress and benchmarks: mulberry32, small and fast, with helpers.
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed: seed >>> 0,
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}

/**
 * Seeds for a test: the fixed ones plus `randomCount` fresh ones, printed so a failure replays.
 * STRATA_SEEDS (comma-separated) replaces the fresh ones, to replay a failure:
 * `STRATA_SEEDS=421623180 node --test dist/tests/policy-random.test.js`.
 */
export function testSeeds(fixed: number[], randomCount: number, label: string): number[] {
  const replay = process.env.STRATA_SEEDS;
  if (replay !== undefined && replay.trim() !== '') {
    const seeds = replay.split(',').map((s) => Number(s.trim()));
    if (seeds.some((s) => !Number.isSafeInteger(s))) throw new TypeError(`STRATA_SEEDS must be comma-separated integers, got '${replay}'`);
    console.log(`# ${label}: replaying seeds ${seeds.join(', ')} (STRATA_SEEDS)`);
    return [...fixed, ...seeds];
  }
  const fresh = Array.from({ length: randomCount }, () => (Math.random() * 0x7fffffff) | 0);
  if (fresh.length > 0) console.log(`# ${label}: random seeds ${fresh.join(', ')} (replay: STRATA_SEEDS=${fresh.join(',')})`);
  return [...fixed, ...fresh];
}
