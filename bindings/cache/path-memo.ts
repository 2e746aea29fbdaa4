// The WASM cache's JS-side path memo: a repeated walk() answered without a call into WASM and
// without copying the path there — one Map.get with the caller's string, one compare with the
// front table's stamp read from linear memory (assembly/front.ts: any change that could alter a
// stored answer moves it). What the walk would have done inside the cache is deferred: the result
// record is written from the memo and the counters are kept here; the walk itself runs (and finds
// the same answer, nothing having changed) only if a later call needs its state — see
// WasmDentryCache. Bounded (path-table.ts): when it is full, one new path in eight takes a slot (a
// working set bigger than the memo keeps a stable part of itself, and a miss does not pay an
// eviction and an allocation: 41k negatives cycling through a 16k memo were 2.7× slower than
// with no memo), and after a window with under one hit in eight it rests.
import { RES_INDEX, RES_SLOTS, WALK_FOUND } from '../abi.js';
import { PathTable } from './path-table.js';

export class MemoEntry {
  stamp = 0;
  wraps = 0;
  opts = 0;
  /** Smallest deadline on the path (0 = none); the answer holds while now < deadline. */
  deadline = 0;
  status = 0;
  hits = 0;
  negativeHits = 0;
  readonly res = new Int32Array(RES_SLOTS);
}

export class PathMemo {
  // Keyed by the caller's string in a sampled-hash table (path-table.ts): a Map.get of a fresh
  // path hashed all of it (≈ 250 ns for 9 levels), the table samples 16 characters and confirms
  // with ===. It also bounds the memo, admits newcomers when full and rests after a poor window.
  private readonly table: PathTable<MemoEntry>;

  /** `capacity` paths: twice as many slots, so a key finds room in its probe window. */
  constructor(capacity: number) {
    this.table = new PathTable<MemoEntry>(capacity * 2);
  }

  /** Whether to consult (and fill) the memo for this walk. */
  active(): boolean {
    return this.table.active();
  }

  /** The memo of `path`, current or not (see valid()). */
  get(path: string): MemoEntry | undefined {
    return this.table.get(path);
  }

  /** True if `m` is still the answer: same stamp, options, and `now` before its deadline. */
  valid(m: MemoEntry, opts: number, now: number, state: Uint32Array): boolean {
    if (m.stamp !== state[0] || m.wraps !== state[3] || m.opts !== opts) return false;
    return m.deadline === 0 || now >>> 0 < m.deadline;
  }

  /**
   * Keep the answer the last walk of `path` gave (`res`), under the stamp in `state`, in `m` when
   * the caller already holds the path's (stale) memo: a second lookup of a fresh string costs
   * as much as the first.
   */
  remember(path: string, m: MemoEntry | undefined, opts: number, status: number, res: Int32Array, state: Uint32Array): void {
    if (m === undefined) {
      if (this.table.isResting) return;
      // Every field is written below: a slot taken from another path keeps nothing of it.
      m = this.table.slot(path, newEntry);
      if (m === undefined) return;
    }
    m.stamp = state[0];
    m.wraps = state[3];
    m.deadline = state[2];
    m.opts = opts;
    m.status = status;
    // A walk counts each component it passes as a hit; a negative last one as a negative hit.
    const index = res[RES_INDEX];
    m.hits = status === WALK_FOUND ? index + 1 : index;
    m.negativeHits = status === WALK_FOUND ? 0 : 1;
    m.res.set(res);
  }

  get size(): number {
    return this.table.size;
  }

  clear(): void {
    this.table.clear();
  }
}

function newEntry(): MemoEntry {
  return new MemoEntry();
}
