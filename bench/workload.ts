// Workload plumbing shared by the suites: path sets that build a fresh string for every call
// (as real callers do — see suites/cache.ts on V8's cached string hashes), the answers the data
// set says are right (the expected checksums), and a cycling one-operation function.
import { Checksum, hashNameSet, KIND_DIR, KIND_FILE, KIND_MISSING, KIND_OTHER } from './checksum.js';
import type { Dataset } from './dataset.js';
import { flatCopy } from './flat-string.js';

export class PathSet {
  readonly dirs: string[] = [];
  readonly names: string[] = [];

  constructor(paths: readonly string[]) {
    for (const p of paths) {
      const i = p.lastIndexOf('/');
      this.dirs.push(i === 0 ? '' : flatCopy(p.slice(0, i)));
      this.names.push(flatCopy(p.slice(i + 1)));
    }
  }

  get length(): number {
    return this.dirs.length;
  }

  /** A new string each call, one concatenation of flat parts, like a path a caller just joined. */
  path(i: number, prefix = ''): string {
    return prefix + this.dirs[i] + '/' + this.names[i];
  }
}

/** What statAnswer() must give for `path`, per the data set's merged view. */
export function truthStat(ds: Dataset, path: string): number {
  const a = ds.resolve(path);
  if (a.kind === 'file') return KIND_FILE + 4 * a.size;
  if (a.kind === 'dir') return KIND_DIR;
  if (a.kind === 'missing' || a.kind === 'notdir') return KIND_MISSING;
  return KIND_OTHER;
}

export function truthListing(ds: Dataset, dir: string): number {
  const a = ds.resolve(dir);
  if (a.kind !== 'dir') throw new Error(`truthListing: ${dir} is not a directory`);
  return hashNameSet(ds.listing(a.layers, dir));
}

/** The checksum a correct implementation prints for `answer` over every path in order. */
export function expectedChecksum(paths: readonly string[], answer: (p: string) => number): string {
  const sum = new Checksum();
  for (const p of paths) sum.add(answer(p));
  return sum.hex();
}

/** One call = one operation on the next item, wrapping; `sink` keeps results observable. */
export function cycle(count: number, f: (i: number) => number): () => void {
  let k = 0;
  let sink = 0;
  const op = () => {
    sink = (sink + f(k)) | 0;
    if (++k === count) k = 0;
  };
  (op as { sink?: () => number }).sink = () => sink;
  return op;
}

/** Run f over 0..count-1 once: the verification pass whose checksum is printed. */
export function verifyAll(count: number, f: (i: number) => number): { checksum: string; answers: number } {
  const sum = new Checksum();
  for (let i = 0; i < count; i++) sum.add(f(i));
  return { checksum: sum.hex(), answers: sum.count };
}
