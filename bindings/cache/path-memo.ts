// The WASM cache's JS-side path memo: a repeated walk() answered without a call into WASM and
// without copying the path there — one Map.get with the caller's string, one compare with the
// front table's stamp read from linear memory (assembly/front.ts: any change that could alter a
// stored answer moves it). What the walk would have done inside the cache is deferred: the result
// record is written from the memo and the counters are kept here; the walk itself runs (and finds
// the same answer, nothing having changed) only if a later call needs its state — see
// WasmDentryCache. Bounded: when it is full, one new path in ADMIT_EVERY takes the place of the
// oldest (a working set bigger than the memo keeps a stable part of itself, and a miss does not
// pay a delete, an insert and two allocations: 41k negatives cycling through a 16k memo were 2.7×
// slower than with no memo).
import { RES_INDEX, RES_SLOTS, WALK_FOUND } from '../abi.js';

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

const ADMIT_EVERY = 8;
/** Lookups per judgement of the hit rate, and walks without the memo after a poor one. */
const WINDOW = 4096;
const REST = 32768;

export class PathMemo {
  private readonly map = new Map<string, MemoEntry>();
  private refused = 0;
  // A miss costs a Map.get of the path (the price of the hit it hoped for): with fewer than one
  // hit in eight lookups (a working set far bigger than the memo), it rests for REST walks.
  private tries = 0;
  private hits = 0;
  private resting = 0;

  /** Whether to consult (and fill) the memo for this walk. */
  active(): boolean {
    if (this.resting === 0) return true;
    this.resting--;
    return false;
  }

  /** Count a lookup; a window with a poor hit rate sends the memo to rest. */
  counted(hit: boolean): void {
    if (hit) this.hits++;
    if (++this.tries < WINDOW) return;
    if (this.hits * 8 < this.tries) this.resting = REST;
    this.tries = 0;
    this.hits = 0;
  }

  constructor(private readonly capacity: number) {}

  /** The memo of `path`, current or not (see valid()). */
  get(path: string): MemoEntry | undefined {
    return this.map.get(path);
  }

  /** True if `m` is still the answer: same stamp, options, and `now` before its deadline. */
  valid(m: MemoEntry, opts: number, now: number, state: Uint32Array): boolean {
    if (m.stamp !== state[0] || m.wraps !== state[3] || m.opts !== opts) return false;
    return m.deadline === 0 || now >>> 0 < m.deadline;
  }

  /**
   * Keep the answer the last walk of `path` gave (`res`), under the stamp in `state`, in `m` when
   * the caller already holds the path's (stale) memo: a second Map.get of a fresh string costs
   * as much as the first.
   */
  remember(path: string, m: MemoEntry | undefined, opts: number, status: number, res: Int32Array, state: Uint32Array): void {
    if (m === undefined) {
      if (this.map.size < this.capacity) m = new MemoEntry();
      else {
        if (++this.refused % ADMIT_EVERY !== 0) return;
        const oldest = this.map.keys().next().value as string;
        m = this.map.get(oldest)!;
        this.map.delete(oldest);
      }
      this.map.set(path, m);
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
    return this.map.size;
  }

  clear(): void {
    this.map.clear();
  }
}
