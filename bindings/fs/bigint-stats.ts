// `{ bigint: true }` stats: the overlay's numbers as node:fs's BigIntStats fields (bigints, plus
// the *Ns nanosecond fields). The overlay keeps milliseconds, so the nanoseconds below a
// millisecond are whatever the millisecond value carried (fractions are kept to the nanosecond).
import type { Stats } from '../engine/stats.js';

const S_IFMT = 0o170000;

function ns(ms: number): bigint {
  return BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms - Math.floor(ms)) * 1e6));
}

export class BigIntStats {
  declare dev: bigint;
  declare ino: bigint;
  declare mode: bigint;
  declare nlink: bigint;
  declare uid: bigint;
  declare gid: bigint;
  declare rdev: bigint;
  declare size: bigint;
  declare blksize: bigint;
  declare blocks: bigint;
  declare atimeMs: bigint;
  declare mtimeMs: bigint;
  declare ctimeMs: bigint;
  declare birthtimeMs: bigint;
  declare atimeNs: bigint;
  declare mtimeNs: bigint;
  declare ctimeNs: bigint;
  declare birthtimeNs: bigint;
  declare atime: Date;
  declare mtime: Date;
  declare ctime: Date;
  declare birthtime: Date;

  constructor(st: Stats) {
    this.dev = BigInt(st.dev);
    this.ino = BigInt(st.ino);
    this.mode = BigInt(st.mode);
    this.nlink = BigInt(st.nlink);
    this.uid = BigInt(st.uid);
    this.gid = BigInt(st.gid);
    this.rdev = BigInt(st.rdev);
    this.size = BigInt(st.size);
    this.blksize = BigInt(st.blksize);
    this.blocks = BigInt(st.blocks);
    this.atimeMs = BigInt(Math.floor(st.atimeMs));
    this.mtimeMs = BigInt(Math.floor(st.mtimeMs));
    this.ctimeMs = BigInt(Math.floor(st.ctimeMs));
    this.birthtimeMs = BigInt(Math.floor(st.birthtimeMs));
    this.atimeNs = ns(st.atimeMs);
    this.mtimeNs = ns(st.mtimeMs);
    this.ctimeNs = ns(st.ctimeMs);
    this.birthtimeNs = ns(st.birthtimeMs);
    this.atime = new Date(st.atimeMs);
    this.mtime = new Date(st.mtimeMs);
    this.ctime = new Date(st.ctimeMs);
    this.birthtime = new Date(st.birthtimeMs);
  }

  private type(): number { return Number(this.mode) & S_IFMT; }
  isFile(): boolean { return this.type() === 0o100000; }
  isDirectory(): boolean { return this.type() === 0o040000; }
  isSymbolicLink(): boolean { return this.type() === 0o120000; }
  isFIFO(): boolean { return this.type() === 0o010000; }
  isSocket(): boolean { return this.type() === 0o140000; }
  isCharacterDevice(): boolean { return this.type() === 0o020000; }
  isBlockDevice(): boolean { return this.type() === 0o060000; }
}

export function bigintStats(st: Stats): BigIntStats {
  return new BigIntStats(st);
}

/** stat options: `bigint` must be a boolean when given, as node:fs checks it. */
export function wantsBigint(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { bigint?: unknown }).bigint === true;
}
