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
import { Stats } from './stats.js';
import type { Walked } from './walked.js';

/**
 * Slots per table (stat and lstat each have one, made on first use): twice the 16k paths the
 * memo is meant to hold, so a key finds room in its probe window (at a load near 1 a cycle over
 * 5.9k files and 10k misses kept evicting itself).
 */
const SLOTS = 32768;

/**
 * One kept answer: its stamps, the counts to replay and, when found, the attributes a Stats is
 * built from — one flat record (numbers only, in-object), so a hit loads one object after the key.
 */
class StatAnswer {
  /** The cache's change stamp words [0] and [3] when kept. */
  stamp = -1;
  wraps = -1;
  epoch = -1;
  found = false;
  /** What a walk of the path counts: its hits and negative hits (replayed on every memo hit). */
  hits = 0;
  negativeHits = 0;
  ino = 0;
  mode = 0;
  nlink = 0;
  uid = 0;
  gid = 0;
  rdev = 0;
  size = 0;
  atimeMs = 0;
  mtimeMs = 0;
  ctimeMs = 0;
  birthtimeMs = 0;
}

export class StatMemo {
  private readonly follow = new PathTable<StatAnswer>(SLOTS);
  private readonly noFollow = new PathTable<StatAnswer>(SLOTS);
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

  /** The current answer for `path`, or undefined. Counts what the walk would have counted. */
  answer(path: string, follow: boolean): StatAnswer | undefined {
    const table = follow ? this.follow : this.noFollow;
    if (!table.active()) return undefined;
    const a = table.get(path);
    if (a === undefined || a.epoch !== this.epoch) return undefined;
    const w = this.stampWords();
    if (a.stamp !== w[0] || a.wraps !== w[3]) return undefined;
    this.hits += a.hits;
    this.negativeHits += a.negativeHits;
    return a;
  }

  /** A fresh Stats of a positive answer (node:fs hands out a new, mutable object per call). */
  static statsOf(a: StatAnswer): Stats {
    return new Stats(a, a.ino, a.nlink, a.size);
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
    const table = follow ? this.follow : this.noFollow;
    if (table.isResting) return;
    const a = table.slot(path, newAnswer);
    if (a === undefined) return;
    // Every field is written: `a` may have been another path's answer, current until now.
    const words = this.stampWords();
    a.stamp = words[0];
    a.wraps = words[3];
    a.epoch = epoch;
    a.found = st !== undefined;
    // A found walk hits each component; a negative one each before its negative component.
    a.hits = st !== undefined ? w.index + 1 : w.index;
    a.negativeHits = st !== undefined ? 0 : 1;
    if (st === undefined) return;
    a.ino = st.ino;
    a.mode = st.mode;
    a.nlink = st.nlink;
    a.uid = st.uid;
    a.gid = st.gid;
    a.rdev = st.rdev;
    a.size = st.size;
    a.atimeMs = st.atimeMs;
    a.mtimeMs = st.mtimeMs;
    a.ctimeMs = st.ctimeMs;
    a.birthtimeMs = st.birthtimeMs;
  }

  /** Forget everything and keep nothing more (the engine closed). */
  close(): void {
    this.off = true;
    this.follow.clear();
    this.noFollow.clear();
  }
}

function newAnswer(): StatAnswer {
  return new StatAnswer();
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
