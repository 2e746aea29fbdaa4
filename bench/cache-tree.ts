// Synthetic trees for the cache-only suite: N cached entries whose leaves are all 9 components
// deep, about a quarter of them negative (a resolver's "does not exist" answers). Fan-out per
// level is chosen so the directories above the leaves number ≈ N/10, and leaves are visited in
// a seeded random order so walks touch memory the way a big cache does (no hot prefix).
import { createRng } from '../bindings/verify/prng.js';
import { flatCopy } from './flat-string.js';

export const TREE_DEPTH = 9;

const WORDS = ['node_modules', 'lib', 'src', 'dist', 'core', 'utils', 'parser', 'esm', 'cjs', 'internal',
  'helpers', 'types', 'plugins', 'runtime', 'compat', 'legacy', 'modules', 'build', 'shared', 'vendor'];
const LEAF_EXT = ['.js', '.js', '.ts', '.mjs', '.json', '.d.ts', '.cjs', '.map'];
const NEGATIVE_EXT = ['', '.json', '.node', '.mjs'];

export interface CacheTree {
  /** Target entry count (root included). */
  entries: number;
  /** Per leaf: its directory path, its name, whether it is a negative entry; in visit order. */
  leafDir: string[];
  leafName: string[];
  leafNegative: Uint8Array;
  /** Leaves actually inserted (the cache holds `entries` entries once they are). */
  count: number;
}

/** Names per level: realistic lengths (3–16 bytes) and a suffix that makes siblings distinct. */
function dirName(level: number, child: number): string {
  return `${WORDS[(level * 7 + child) % WORDS.length]}${child >= WORDS.length ? child : ''}`;
}

/**
 * Leaves in visit order until the tree reaches `entries` entries. `countEntries` is not known
 * here (a cache counts), so the generator tracks distinct directories itself.
 */
export function makeCacheTree(entries: number, seed: number): CacheTree {
  const rng = createRng(seed);
  const leafParents = Math.max(4, Math.round(entries / 10));
  // Integer fan-outs whose running product follows leafParents^((l+1)/8).
  const fan: number[] = [];
  let product = 1;
  for (let l = 0; l < TREE_DEPTH - 1; l++) {
    const target = Math.pow(leafParents, (l + 1) / (TREE_DEPTH - 1));
    const f = Math.max(1, Math.round(target / product));
    fan.push(f);
    product *= f;
  }
  const dirs = new Set<string>();
  const leaves = new Set<string>();
  const leafDir: string[] = [];
  const leafName: string[] = [];
  const negative: number[] = [];
  let total = 1; // the root
  let overshoots = 0;
  while (total < entries) {
    let dir = '';
    let newDirs = 0;
    const chain: string[] = [];
    for (let l = 0; l < TREE_DEPTH - 1; l++) {
      dir += '/' + dirName(l, rng.int(fan[l]));
      chain.push(dir);
    }
    for (const d of chain) if (!dirs.has(d)) newDirs++;
    const isNegative = rng.chance(0.25);
    const stem = `${WORDS[rng.int(WORDS.length)]}-${rng.int(1000)}`;
    const name = stem + (isNegative ? rng.pick(NEGATIVE_EXT) + '.x' : rng.pick(LEAF_EXT));
    const key = dir + '/' + name;
    if (leaves.has(key)) continue;
    // Near the target, only leaves that fit exactly are taken (a bounded number of tries).
    if (total + newDirs + 1 > entries) {
      if (++overshoots > 10_000) break;
      continue;
    }
    for (const d of chain) dirs.add(d);
    leaves.add(key);
    total += newDirs + 1;
    // Flat pieces: `dir` is a 9-deep cons-string here (see flat-string.ts).
    leafDir.push(flatCopy(dir));
    leafName.push(flatCopy(name));
    negative.push(isNegative ? 1 : 0);
  }
  return { entries, leafDir, leafName, leafNegative: Uint8Array.from(negative), count: leafDir.length };
}
