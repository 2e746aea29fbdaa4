// `{ bigint: true }` stats: the overlay's numbers as node:fs's BigIntStats fields (bigints, plus
// the *Ns nanosecond fields). The overlay keeps milliseconds, so the nanoseconds below a
// millisecond are whatever the millisecond value carried (fractions are kept to the nanosecond).
// The Dates are own properties built here on Node 20, prototype getters from 22, with the
// Instant getters from 26, as node:fs's BigIntStats (engine/stat-times.ts).
import type { Stats } from '../engine/stats.js';
import { dateOfMs, defineTimeGetters, nsOfMs, type Instant } from '../engine/stat-times.js';
import { NODE_FS } from './node-version.js';

const S_IFMT = 0o170000;

/** Whether the four Dates are prototype getters (Node 22 on) rather than built here. */
const DATE_GETTERS = NODE_FS.statsDates !== 'own';

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
  /** Node 26 on (NODE_FS.statsInstants), where Temporal is there. */
  declare atimeInstant?: Instant;
  declare mtimeInstant?: Instant;
  declare ctimeInstant?: Instant;
  declare birthtimeInstant?: Instant;

  constructor(st: Stats) {
    // node:fs's order, which Object.keys and util.inspect show.
    this.dev = BigInt(st.dev);
    this.mode = BigInt(st.mode);
    this.nlink = BigInt(st.nlink);
    this.uid = BigInt(st.uid);
    this.gid = BigInt(st.gid);
    this.rdev = BigInt(st.rdev);
    this.blksize = BigInt(st.blksize);
    this.ino = BigInt(st.ino);
    this.size = BigInt(st.size);
    this.blocks = BigInt(st.blocks);
    this.atimeMs = BigInt(Math.floor(st.atimeMs));
    this.mtimeMs = BigInt(Math.floor(st.mtimeMs));
    this.ctimeMs = BigInt(Math.floor(st.ctimeMs));
    this.birthtimeMs = BigInt(Math.floor(st.birthtimeMs));
    this.atimeNs = nsOfMs(st.atimeMs);
    this.mtimeNs = nsOfMs(st.mtimeMs);
    this.ctimeNs = nsOfMs(st.ctimeMs);
    this.birthtimeNs = nsOfMs(st.birthtimeMs);
    if (DATE_GETTERS) return;
    this.atime = dateOfMs(this.atimeMs);
    this.mtime = dateOfMs(this.mtimeMs);
    this.ctime = dateOfMs(this.ctimeMs);
    this.birthtime = dateOfMs(this.birthtimeMs);
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

// As node:fs: the Dates from the whole milliseconds, the Instants from the nanoseconds.
defineTimeGetters<BigIntStats>(BigIntStats.prototype, {
  date: (time) => {
    const ms = `${time}Ms` as const;
    return (st) => dateOfMs(st[ms]);
  },
  ns: (time) => {
    const ns = `${time}Ns` as const;
    return (st) => st[ns];
  },
}, DATE_GETTERS);

export function bigintStats(st: Stats): BigIntStats {
  return new BigIntStats(st);
}

/** stat options: `bigint` must be a boolean when given, as node:fs checks it. */
export function wantsBigint(options: unknown): boolean {
  return typeof options === 'object' && options !== null && (options as { bigint?: unknown }).bigint === true;
}
