// The dentry cache's clock. The cache contract keeps times and deadlines as uint32 milliseconds
// and compares them unsigned, so the overlay must feed it times that neither wrap nor go back:
// a deadline computed past 2^32 wraps to a small number (the entry looks long expired at once:
// ESTALE on every access under strict-legacy) or to exactly 0 ("never expires": a TTL layer's
// answer trusted forever), and a time past 2^32 makes every old deadline look in the future
// again. So cache time runs from 1, stands still while the source goes backwards (it resumes
// from there: only forward steps count), and every REBASE_MS the cache is cleared and time
// starts again at 1 — once per ~24.8 days, while no deadline can have wrapped yet.

/** Cache time at which the clock starts again from 1 (and everything cached is dropped). */
export const REBASE_MS = 2 ** 31;
/** The latest deadline the cache can hold (0 would mean "never"). */
export const MAX_DEADLINE = 0xffffffff;

export class CacheClock {
  /** The source reading that corresponds to cache time 1. */
  private base: number;
  private last = 1;

  /** `onRebase` must drop every cached answer that carries a deadline. */
  constructor(private readonly source: () => number, private readonly onRebase: () => void) {
    const t = source();
    this.base = Number.isFinite(t) ? t : 0;
  }

  /**
   * The time for a new walk: it may rebase (call it where nothing cached is held, before the walk
   * starts). Whole milliseconds, from 1, never decreasing between rebases.
   */
  tick(): number {
    const t = this.read();
    if (t < REBASE_MS) return t;
    this.base += t - 1;
    this.last = 1;
    this.onRebase();
    return 1;
  }

  /** The time now, without rebasing (inside an operation, after its walk's tick()). */
  now(): number {
    return Math.min(this.read(), MAX_DEADLINE);
  }

  /** The deadline of an answer trusted for `ttlMs` from `now` (0: no TTL, never expires). */
  deadline(now: number, ttlMs: number): number {
    return ttlMs > 0 ? Math.min(now + Math.ceil(ttlMs), MAX_DEADLINE) : 0;
  }

  private read(): number {
    const raw = this.source();
    if (!Number.isFinite(raw)) return this.last;
    let t = Math.floor(raw - this.base) + 1;
    if (t < this.last) {
      // The source went back: carry on from where cache time was.
      this.base = raw - (this.last - 1);
      t = this.last;
    }
    this.last = t;
    return t;
  }
}
