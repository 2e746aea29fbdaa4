// A bounded table keyed by a caller's path string, cheaper than a Map on a fresh string. A Map.get
// of a freshly built 9-level path costs ≈ 250 ns here, most of it V8 hashing all ~80 characters;
// this table hashes the length and 16 sampled characters (≈ 10 ns once the string is flat) and
// confirms a hit with `===` on the whole key — a sampled hash only decides where to look, never
// what matches. Open addressing with a probe window of PROBES slots: a set of keys built to
// collide (they only share a window) costs a few compares and then misses, never a long chain.
// When the table is full a new key takes a slot in one try out of ADMIT_EVERY (a working set
// bigger than the table keeps a stable part of itself), and after a window of lookups with less
// than one hit in eight it rests (answers nothing) for REST lookups, as the path memo does.

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
  private readonly mask: number;
  private count = 0;
  private refused = 0;
  private tries = 0;
  private hits = 0;
  private resting = 0;
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
    return false;
  }

  /** Resting now (see active()): a caller filling the table after a lookup skips the fill. */
  get isResting(): boolean {
    return this.resting !== 0;
  }

  /** The value of `key`, or undefined. Counts towards the hit rate. */
  get(key: string): V | undefined {
    const keys = this.keys;
    let found: V | undefined;
    if (keys.length !== 0) {
      const mask = this.mask;
      const h = sampledHash(key);
      this.lastKey = key;
      this.lastHash = h;
      let i = h & mask;
      for (let p = 0; p < PROBES; p++, i = (i + 1) & mask) {
        const k = keys[i];
        if (k === key) { found = this.values[i]; break; }
        if (k === undefined) break;
      }
    }
    if (found !== undefined) this.hits++;
    if (++this.tries >= WINDOW) {
      if (this.hits * 8 < this.tries) this.resting = REST;
      this.tries = 0;
      this.hits = 0;
    }
    return found;
  }

  /**
   * The slot value for `key` to (re)fill: the key's own, an empty slot's (made by `make`), or —
   * one time in ADMIT_EVERY when the window is full — a neighbour's, given to `key`. Undefined:
   * not admitted (the caller keeps nothing).
   */
  slot(key: string, make: () => V): V | undefined {
    if (this.keys.length === 0) {
      this.keys = new Array<string | undefined>(this.mask + 1).fill(undefined);
      this.values = new Array<V | undefined>(this.mask + 1).fill(undefined);
    }
    const keys = this.keys;
    const mask = this.mask;
    const home = (key === this.lastKey ? this.lastHash : sampledHash(key)) & mask;
    let i = home;
    for (let p = 0; p < PROBES; p++, i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) return this.values[i];
      if (k === undefined) {
        keys[i] = key;
        this.count++;
        return (this.values[i] ??= make());
      }
    }
    if (++this.refused % ADMIT_EVERY !== 0) return undefined;
    const victim = (home + ((this.refused / ADMIT_EVERY) % PROBES)) & mask;
    keys[victim] = key;
    return this.values[victim];
  }

  clear(): void {
    this.lastKey = undefined;
    this.keys = [];
    this.values = [];
    this.count = 0;
    this.tries = 0;
    this.hits = 0;
    this.resting = 0;
  }
}
