// A checksum of the answers a benchmark computed, so a fast wrong answer shows: every
// implementation of the same workload must print the same value (FNV-1a over 32-bit words).
export class Checksum {
  private h = 0x811c9dc5;
  private n = 0;

  /** Mix in one integer answer (values beyond 32 bits are folded). */
  add(value: number): void {
    let v = value | 0;
    if (value > 0xffffffff || value < -0x80000000) v = (value % 0xffffffff) | 0;
    for (let i = 0; i < 4; i++) {
      this.h ^= v & 0xff;
      this.h = Math.imul(this.h, 0x01000193);
      v >>>= 8;
    }
    this.n++;
  }

  addString(s: string): void {
    this.add(hashString(s));
  }

  /** Number of answers mixed in. */
  get count(): number {
    return this.n;
  }

  hex(): string {
    return (this.h >>> 0).toString(16).padStart(8, '0');
  }
}

/** 32-bit FNV-1a of a string's UTF-16 units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Order-independent hash of a directory listing (readdir order differs between peers). */
export function hashNameSet(names: Iterable<string>): number {
  let sum = 0;
  let count = 0;
  for (const name of names) {
    sum = (sum + hashString(name)) >>> 0;
    count++;
  }
  return (sum ^ Math.imul(count, 0x9e3779b1)) >>> 0;
}

/** Type codes that every peer can report the same way (sizes of directories differ: not used). */
export const KIND_MISSING = 0;
export const KIND_FILE = 1;
export const KIND_DIR = 2;
export const KIND_OTHER = 3;

interface StatLike {
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

/** The part of a stat answer every peer agrees on: kind, and size for files. */
export function statAnswer(st: StatLike | undefined): number {
  if (st === undefined) return KIND_MISSING;
  if (st.isFile()) return KIND_FILE + 4 * st.size;
  return st.isDirectory() ? KIND_DIR : KIND_OTHER;
}
