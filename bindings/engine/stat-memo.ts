// The engine's final answers to stat/lstat (and existsSync), by the caller's path string: a hit
// is one PathTable probe, two stamp compares and a copy of the kept attributes into a fresh Stats
// — no walk, no resolver view, no layer call. Valid while nothing changed since it was kept:
// - the cache's change stamp (WASM: the front table's, moved by every invalidate, expire,
//   refresh, update, removal, eviction, clear: anything that could change a walk's answer), and
// - `epoch`, moved by every change notice of any layer, this overlay's own writes included
//   (attributes, data, link counts, marks: the layer notifies each, synchronously).
// Kept only when that covers everything the answer depends on: no layer has a TTL (an expiry is
// not a notice), the answering layer vouches for its stat record (Layer.vouches: it changes only
// with a notice — no liveness peek needed), the answer came from the cache alone (a pure hit walk,
// so its counters can be replayed) and no stamp moved while it was computed.
import type { DentryCache } from '../cache/dentry-cache.js';
import { PathTable } from '../cache/path-table.js';
import type { LayerStack } from './lookup.js';
import { Stats, type StatSource } from './stats.js';
import type { Walked } from './walked.js';

/**
 * Slots per table (stat and lstat each have one, made on first use): twice the 16k paths the
 * memo is meant to hold, so a key finds room in its probe window (at a load near 1 a cycle over
 * 5.9k files and 10k misses kept evicting itself).
 */
const SLOTS = 32768;

// A kept answer is a row of 16 float64 (128 B, two cache lines) in a page of rows, not an object:
// a hit then touches the key and one aligned row. As an object it was a header, 16 fields and a
// box per double field (times), spread over 3–5 lines of the old space: with 5.9k hot files that
// footprint, not the cache's size, is what ran out of the CPU caches (docs/benchmarks.md, "Hot
// set at 1e6 entries"). Integer fields are read back with `>>> 0`: uint32 arithmetic and small
// integers into a Stats, not float64 values that could be boxed. The first line holds all a
// negative answer reads.
const ROW = 16;
const A_STAMP = 0; // the cache's change stamp word [0] when kept
const A_WRAPS = 1; // … and its word [3] (wrap count)
const A_EPOCH = 2;
const A_HITS = 3; // 2 × the hits a walk of the path counts, + 1 when found
const A_MODE = 4;
const A_NLINK = 5;
const A_INO = 6;
const A_SIZE = 7;
const A_UID = 8;
const A_GID = 9;
const A_RDEV = 10;
const A_ATIME = 11;
const A_MTIME = 12;
const A_CTIME = 13;
const A_BIRTHTIME = 14;
/** Rows per page: pages are made as slots are first claimed, so a small overlay stays small. */
const PAGE_BITS = 9;
const PAGE_ROWS = 1 << PAGE_BITS;
const PAGES = (2 * SLOTS) >> PAGE_BITS;

/** The attributes a Stats copies (Stats' constructor reads them): refilled from a row per hit. */
class RowSource implements StatSource {
  mode = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  atimeMs = 0.5;
  mtimeMs = 0.5;
  ctimeMs = 0.5;
  birthtimeMs = 0.5;
}

export class StatMemo {
  // Rows 0..SLOTS-1 answer stat, SLOTS..2·SLOTS-1 lstat: an answer is one row number.
  private readonly follow = new PathTable<never>(SLOTS);
  private readonly noFollow = new PathTable<never>(SLOTS);
  private readonly pages: (Float64Array | undefined)[] = new Array<Float64Array | undefined>(PAGES).fill(undefined);
  private readonly source = new RowSource();
  /** Moved by every layer change notice (engine/subscriptions.ts); read it before a walk to remember(). */
  epoch = 0;
  private off = false;
  /** Counts of the walks memo hits stood in for (Engine.stats adds them). */
  hits = 0;
  negativeHits = 0;

  /** The cache's change-stamp words; re-read when a memory.grow detached them (length 0). */
  private words: Uint32Array;

  constructor(private readonly cache: DentryCache & { changeStamp(): Uint32Array }, private readonly layers: LayerStack) {
    this.words = cache.changeStamp();
  }

  /** A layer reported a change (any kind, own writes included): every kept answer is stale. */
  changed(): void {
    this.epoch++;
  }

  /** The cache's change stamp words now. */
  private stampWords(): Uint32Array {
    let w = this.words;
    if (w.length === 0) w = this.words = this.cache.changeStamp();
    return w;
  }

  /** The cache's change stamp now, with its wrap count (so it never repeats); -1 once closed. */
  stamp(): number {
    if (this.off) return -1;
    const w = this.stampWords();
    return w[0] + w[3] * 4294967296;
  }

  /**
   * The current answer for `path` as a row number (for found() and statsOf()), or -1. Counts
   * what the walk would have counted.
   */
  answer(path: string, follow: boolean): number {
    const table = follow ? this.follow : this.noFollow;
    if (!table.active()) return -1;
    const i = table.find(path);
    if (i < 0) return -1;
    const row = follow ? i : i + SLOTS;
    const page = this.pages[row >> PAGE_BITS]!;
    const at = (row & (PAGE_ROWS - 1)) * ROW;
    const w = this.stampWords();
    if (page[at + A_STAMP] !== w[0] || page[at + A_WRAPS] !== w[3] || page[at + A_EPOCH] !== this.epoch) return -1;
    const h = page[at + A_HITS] >>> 0;
    this.hits += h >>> 1;
    this.negativeHits += 1 - (h & 1);
    return row;
  }

  /** Whether the answer in `row` (from answer()) is "it exists". */
  found(row: number): boolean {
    return ((this.pages[row >> PAGE_BITS]![(row & (PAGE_ROWS - 1)) * ROW + A_HITS] >>> 0) & 1) === 1;
  }

  /** The mode of the positive answer in `row`. */
  modeOf(row: number): number {
    return this.pages[row >> PAGE_BITS]![(row & (PAGE_ROWS - 1)) * ROW + A_MODE] >>> 0;
  }

  /** A fresh Stats of the positive answer in `row` (node:fs hands out a new, mutable object per call). */
  statsOf(row: number): Stats {
    const page = this.pages[row >> PAGE_BITS]!;
    const at = (row & (PAGE_ROWS - 1)) * ROW;
    const src = this.source;
    src.mode = page[at + A_MODE] >>> 0;
    src.uid = page[at + A_UID] >>> 0;
    src.gid = page[at + A_GID] >>> 0;
    src.rdev = page[at + A_RDEV] >>> 0;
    src.atimeMs = page[at + A_ATIME];
    src.mtimeMs = page[at + A_MTIME];
    src.ctimeMs = page[at + A_CTIME];
    src.birthtimeMs = page[at + A_BIRTHTIME];
    return new Stats(src, page[at + A_INO], page[at + A_NLINK] >>> 0, page[at + A_SIZE]);
  }

  /**
   * Keep the answer `w` (and `st`, its Stats when found) of a stat of `path` that started at
   * change stamp `stamp` and epoch `epoch`, if it can be replayed (see the file comment).
   */
  remember(path: string, follow: boolean, w: Walked, st: Stats | undefined, stamp: number, epoch: number): void {
    if (this.off || !w.pure || epoch !== this.epoch || stamp !== this.stamp()) return;
    const layers = this.layers;
    for (let i = 0; i < layers.length; i++) if ((layers[i]?.ttlMs ?? 0) !== 0) return;
    if (st !== undefined && layers[w.layer]!.vouches?.(w.handle) !== true) return;
    // The walk's index counts '.' and '..' components, which are no hits: such paths are not kept.
    if (path.indexOf('/.') !== -1 && hasDotComponent(path)) return;
    // A row's integer attributes are read back as uint32: an answer outside that range is not kept.
    if (st !== undefined && !(fitsU32(st.mode) && fitsU32(st.nlink) && fitsU32(st.uid) && fitsU32(st.gid) && fitsU32(st.rdev))) return;
    const table = follow ? this.follow : this.noFollow;
    if (table.isResting) return;
    const i = table.claim(path);
    if (i < 0) return;
    const row = follow ? i : i + SLOTS;
    const page = this.pages[row >> PAGE_BITS] ??= new Float64Array(PAGE_ROWS * ROW);
    const at = (row & (PAGE_ROWS - 1)) * ROW;
    // Every field a reader uses is written: the row may have been another path's, current until now.
    const words = this.stampWords();
    page[at + A_STAMP] = words[0];
    page[at + A_WRAPS] = words[3];
    page[at + A_EPOCH] = epoch;
    // A found walk hits each component; a negative one each before its negative component.
    page[at + A_HITS] = st !== undefined ? 2 * (w.index + 1) + 1 : 2 * w.index;
    if (st === undefined) return;
    page[at + A_MODE] = st.mode;
    page[at + A_NLINK] = st.nlink;
    page[at + A_INO] = st.ino;
    page[at + A_SIZE] = st.size;
    page[at + A_UID] = st.uid;
    page[at + A_GID] = st.gid;
    page[at + A_RDEV] = st.rdev;
    page[at + A_ATIME] = st.atimeMs;
    page[at + A_MTIME] = st.mtimeMs;
    page[at + A_CTIME] = st.ctimeMs;
    page[at + A_BIRTHTIME] = st.birthtimeMs;
  }

  /** Forget everything and keep nothing more (the engine closed). */
  close(): void {
    this.off = true;
    this.follow.clear();
    this.noFollow.clear();
    this.pages.fill(undefined);
  }
}

/** Whether `n` is kept exactly by a Uint32Array. */
function fitsU32(n: number): boolean {
  return n >>> 0 === n;
}

/** Whether `path` has a '.' or '..' component. */
function hasDotComponent(path: string): boolean {
  for (let i = path.indexOf('/.'); i !== -1; i = path.indexOf('/.', i + 1)) {
    const c = path.charCodeAt(i + 2);
    if (c !== c || c === 47 /* / */) return true;
    if (c === 46 /* . */) {
      const d = path.charCodeAt(i + 3);
      if (d !== d || d === 47) return true;
    }
  }
  return false;
}

/** The memo for a cache that has a change stamp (the WASM cache); none for the TS twin. */
export function statMemoFor(cache: DentryCache, layers: LayerStack): StatMemo | undefined {
  return cache.changeStamp === undefined ? undefined : new StatMemo(cache as DentryCache & { changeStamp(): Uint32Array }, layers);
}
