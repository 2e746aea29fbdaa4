// A bounded table keyed by a caller's path string, cheaper than a Map on a fresh string. A Map.get
// of a freshly built 9-level path costs ≈ 250 ns here, most of it V8 hashing all ~80 characters;
// this table hashes the length and 16 sampled characters (≈ 10 ns once the string is flat) and
// confirms a hit with `===` on the whole key — a sampled hash only decides where to look, never
// what matches. Open addressing with a probe window of PROBES slots: a set of keys built to
// collide (they only share a window) costs a few compares and then misses, never a long chain.
// When the table is full a new key takes a slot in one try out of ADMIT_EVERY (a working set
// bigger than the table keeps a stable part of itself), and only a slot whose key was not found
// since the last admission passed over it (a second chance, CLOCK-like, within the window): after
// a flood of one-off paths a re-referenced hot set wins its slots back and keeps them (a blind
// rotating victim had hot keys evict each other: 5.9k hot paths after a flood were at 97.5 % hits
// after 40 cycles vs 99.0 %, and never settled — tests/path-table.test.ts). After a window of
// lookups with less than one hit in eight the table rests (answers nothing) for REST lookups.

const PROBES = 4;
const ADMIT_EVERY = 8;
const WINDOW = 4096;
const REST = 32768;

/**
 * Hash of `s` from its length, its last 8 characters (the name, where sibling paths differ) and 8
 * spread over the rest. Not a full hash on purpose: every hit is confirmed by `===`.
 */
export function sampledHash(s: string): number {
  const L = s.length;
  let x = Math.imul(L, 0x9e3779b1);
  if (L <= 16) {
    for (let i = 0; i < L; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x85ebca6b) ^ (x >>> 13);
  } else {
    // Four words of four characters each, built independently (no dependency chain), then mixed.
    const q = ((L - 8) * 7282) >>> 16; // ninths of the part before the last 8 characters
    const a = s.charCodeAt(L - 1) ^ (s.charCodeAt(L - 2) << 8) ^ (s.charCodeAt(L - 3) << 16) ^ (s.charCodeAt(L - 4) << 24);
    const b = s.charCodeAt(L - 5) ^ (s.charCodeAt(L - 6) << 8) ^ (s.charCodeAt(L - 7) << 16) ^ (s.charCodeAt(L - 8) << 24);
    const c = s.charCodeAt(q) ^ (s.charCodeAt(2 * q) << 8) ^ (s.charCodeAt(3 * q) << 16) ^ (s.charCodeAt(4 * q) << 24);
    const d = s.charCodeAt(5 * q) ^ (s.charCodeAt(6 * q) << 8) ^ (s.charCodeAt(7 * q) << 16) ^ (s.charCodeAt(8 * q) << 24);
    x = Math.imul(x ^ a, 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13) ^ b, 0xc2b2ae35);
    x = Math.imul(x ^ (x >>> 16) ^ c, 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13) ^ d, 0xc2b2ae35);
  }
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  return (x ^ (x >>> 15)) >>> 0;
}

export class PathTable<V> {
  private keys: (string | undefined)[] = [];
  private values: (V | undefined)[] = [];
  /**
   * One byte per slot: 1 when its key was found since an admission last passed over it (CLOCK's
   * second chance, within a probe window). A newcomer takes an unreferenced slot only, so a key
   * that keeps being asked for is not pushed out by one-off paths. Fixed size: none per key.
   */
  private refs = new Uint8Array(0);
  private readonly mask: number;
  private count = 0;
  private refused = 0;
  private tries = 0;
  private hits = 0;
  private resting = 0;
  /** Lifetime counts (diagnostics: bench/profile.ts --fill reports them). */
  readonly counts = { gets: 0, hits: 0, rests: 0, skipped: 0, admitted: 0, refused: 0 };
  // slot() right after a get() of the same key (the miss path) does not hash it again.
  private lastKey: string | undefined = undefined;
  private lastHash = 0;

  /** `slots` is rounded up to a power of two; the arrays are made on the first set(). */
  constructor(slots: number) {
    let n = 16;
    while (n < slots) n *= 2;
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /**
   * Whether to consult (and fill) the table for this lookup: false while it rests after a poor
   * window. Call once per lookup, before get().
   */
  active(): boolean {
    if (this.resting === 0) return true;
    this.resting--;
    this.counts.skipped++;
    return false;
  }

  /** Resting now (see active()): a caller filling the table after a lookup skips the fill. */
  get isResting(): boolean {
    return this.resting !== 0;
  }

  /** The value of `key`, or undefined. Counts towards the hit rate. */
  get(key: string): V | undefined {
    const i = this.find(key);
    return i < 0 ? undefined : this.values[i];
  }

  /**
   * The slot index of `key`, or -1. Counts towards the hit rate. For a caller that keeps its
   * values in its own arrays by slot index (no per-key object to load).
   */
  find(key: string): number {
    const keys = this.keys;
    let found = -1;
    if (keys.length !== 0) {
      const mask = this.mask;
      const h = sampledHash(key);
      this.lastKey = key;
      this.lastHash = h;
      let i = h & mask;
      for (let p = 0; p < PROBES; p++, i = (i + 1) & mask) {
        const k = keys[i];
        if (k === key) { found = i; break; }
        if (k === undefined) break;
      }
      if (found >= 0) this.refs[found] = 1;
    }
    this.counts.gets++;
    if (found >= 0) { this.hits++; this.counts.hits++; }
    if (++this.tries >= WINDOW) {
      if (this.hits * 8 < this.tries) { this.resting = REST; this.counts.rests++; }
      this.tries = 0;
      this.hits = 0;
    }
    return found;
  }

  /**
   * The slot value for `key` to (re)fill: the key's own, an empty slot's (made by `make`), or —
   * one time in ADMIT_EVERY when the window is full — an unreferenced neighbour's. Undefined:
   * not admitted (the caller keeps nothing).
   */
  slot(key: string, make: () => V): V | undefined {
    const i = this.claim(key);
    if (i < 0) return undefined;
    return (this.values[i] ??= make());
  }

  /**
   * The slot index `key` now owns, to (re)fill: its own, an empty one, or — one time in
   * ADMIT_EVERY when the window is full — one not found since the last pass (see `refs`).
   * -1: not admitted (keep nothing).
   * A slot taken from another key still holds that key's data: the caller overwrites all of it.
   */
  claim(key: string): number {
    if (this.keys.length === 0) {
      this.keys = new Array<string | undefined>(this.mask + 1).fill(undefined);
      this.values = new Array<V | undefined>(this.mask + 1).fill(undefined);
      this.refs = new Uint8Array(this.mask + 1);
    }
    const keys = this.keys;
    const mask = this.mask;
    const home = (key === this.lastKey ? this.lastHash : sampledHash(key)) & mask;
    let i = home;
    for (let p = 0; p < PROBES; p++, i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return i;
      if (k === undefined) {
        keys[i] = key;
        this.refs[i] = 0;
        this.count++;
        return i;
      }
    }
    if (++this.refused % ADMIT_EVERY !== 0) { this.counts.refused++; return -1; }
    // The window's first slot not found since the last pass; the referenced ones passed over lose
    // their mark (they must be found again to stay). All referenced: refused this time.
    const refs = this.refs;
    for (let p = 0, j = home; p < PROBES; p++, j = (j + 1) & mask) {
      if (refs[j] === 0) {
        this.counts.admitted++;
        keys[j] = key;
        return j;
      }
      refs[j] = 0;
    }
    this.counts.refused++;
    return -1;
  }

  /** Slots in the table (a power of two): the bound of every index find() and claim() return. */
  get slots(): number {
    return this.mask + 1;
  }

  clear(): void {
    this.lastKey = undefined;
    this.keys = [];
    this.values = [];
    this.refs = new Uint8Array(0);
    this.count = 0;
    this.tries = 0;
    this.hits = 0;
    this.resting = 0;
  }
}
