// The fs.Stats-like object `stat`/`lstat` return, and the Dirent-like one of readdir.
// Dates are built on first access (as Node does lazily): most callers only read a field or two.
// Both follow node:fs of the running Node where it differs by major (fs/node-version.ts): the
// time getters (stat-times.ts) and Dirent's `path`.
import { NODE_FS } from '../fs/node-version.js';
import { dateOfMs, defineTimeGetters, nsOfMs, type Instant } from './stat-times.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../layers/memory-layer.js';
import type { NodeStat } from '../layers/layer.js';

/** st_dev of every object in an overlay: one constant, so fresh and cached overlays agree. */
export const OVERLAY_DEV = 0x5354;
const BLOCK = 512;
const BLKSIZE = 4096;

/** What the constructor copies from a layer's record (or from another Stats). */
export type StatSource = Pick<NodeStat, 'mode' | 'uid' | 'gid' | 'rdev' | 'atimeMs' | 'mtimeMs' | 'ctimeMs' | 'birthtimeMs'>;

abstract class TypeTests {
  abstract readonly mode: number;
  isFile(): boolean { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === S_IFLNK; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === S_IFIFO; }
  isSocket(): boolean { return (this.mode & S_IFMT) === S_IFSOCK; }
  isCharacterDevice(): boolean { return (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice(): boolean { return (this.mode & S_IFMT) === S_IFBLK; }
}

export class Stats extends TypeTests {
  // Fields are `declare`d and assigned once in the constructor, in node:fs's order (what
  // Object.keys and util.inspect show; dev, mode … blksize, ino, size, blocks): class-field
  // syntax would define each one as undefined first (define semantics), a second store per field
  // on the hottest allocation of the engine, and it would widen the number fields' representation.
  declare dev: number;
  declare ino: number;
  declare mode: number;
  declare nlink: number;
  declare uid: number;
  declare gid: number;
  declare rdev: number;
  declare size: number;
  declare blksize: number;
  declare blocks: number;
  declare atimeMs: number;
  declare mtimeMs: number;
  declare ctimeMs: number;
  declare birthtimeMs: number;

  /**
   * `st` is read at once and not kept (it may be a layer's own record, see Layer.peekStat, or the
   * stat memo's private Stats, engine/stat-memo.ts).
   */
  constructor(st: Readonly<StatSource>, ino: number, nlink: number, size: number) {
    super();
    this.dev = OVERLAY_DEV;
    this.mode = st.mode;
    this.nlink = nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.blksize = BLKSIZE;
    this.ino = ino;
    this.size = size;
    this.blocks = Math.ceil(size / BLOCK);
    this.atimeMs = st.atimeMs;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
    this.birthtimeMs = st.birthtimeMs;
  }

  // Prototype getters, defined below: no constructor work (see stat-times.ts).
  declare atime: Date;
  declare mtime: Date;
  declare ctime: Date;
  declare birthtime: Date;
  /** Node 26 on (NODE_FS.statsInstants), where Temporal is there. */
  declare atimeInstant?: Instant;
  declare mtimeInstant?: Instant;
  declare ctimeInstant?: Instant;
  declare birthtimeInstant?: Instant;
}

// The Date getters on every major (Node 20 builds own Dates instead, which would be four more
// stores in this constructor; read once, a getter's Date is an own property there too).
defineTimeGetters<Stats>(Stats.prototype, {
  date: (time) => {
    const ms = `${time}Ms` as const;
    return (st) => dateOfMs(st[ms]);
  },
  ns: (time) => {
    const ms = `${time}Ms` as const;
    return (st) => nsOfMs(st[ms]);
  },
});

/** Node 22 and earlier's Dirents have `path`; Node 24 removed it (DEP0178). */
const DIRENT_PATH = NODE_FS.direntPath;

/** libuv's dirent types (fs.constants.UV_DIRENT_*), which node:fs's Dirent keeps, by S_IF* type. */
const UV_DIRENT: ReadonlyMap<number, number> = new Map([
  [S_IFREG, 1], [S_IFDIR, 2], [S_IFLNK, 3], [S_IFIFO, 4], [S_IFSOCK, 5], [S_IFCHR, 6], [S_IFBLK, 7],
]);
const S_IF_OF_UV = [0, S_IFREG, S_IFDIR, S_IFLNK, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK];
/**
 * Where a Dirent keeps its type: an own symbol-keyed field holding libuv's number, as node:fs's
 * Dirent does, so Object.keys, JSON.stringify and util.inspect show what they show for node's.
 */
const kType = Symbol('type');

export class Dirent extends TypeTests {
  // `declare`d, as in Stats: own keys in node:fs's order (name, parentPath[, path]), then the type.
  declare readonly name: string;
  declare readonly parentPath: string;
  /** Alias of parentPath, where the running Node's Dirent still has it (up to 22). */
  declare readonly path?: string;
  declare private readonly [kType]: number;

  constructor(name: string, parentPath: string, mode: number) {
    super();
    this.name = name;
    this.parentPath = parentPath;
    if (DIRENT_PATH) this.path = parentPath;
    this[kType] = UV_DIRENT.get(mode & S_IFMT) ?? 0;
  }

  /** The S_IF* type bits (the is*() tests read them): node's Dirent has no mode, so no field. */
  override get mode(): number {
    return S_IF_OF_UV[this[kType]] ?? 0;
  }
}
