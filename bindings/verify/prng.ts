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

/** Seeds for a test: the fixed ones plus `randomCount` fresh ones, printed so a failure replays. */
export function testSeeds(fixed: number[], randomCount: number, label: string): number[] {
  const fresh = Array.from({ length: randomCount }, () => (Math.random() * 0x7fffffff) | 0);
  if (fresh.length > 0) console.log(`# ${label}: random seeds ${fresh.join(', ')}`);
  return [...fixed, ...fresh];
}
