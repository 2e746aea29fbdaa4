// The fs.Stats-like object `stat`/`lstat` return, and the Dirent-like one of readdir.
// Dates are built on first access (as Node does lazily): most callers only read a field or two.
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../layers/memory-layer.js';
import type { NodeStat } from '../layers/layer.js';

/** st_dev of every object in an overlay: one constant, so fresh and cached overlays agree. */
export const OVERLAY_DEV = 0x5354;
const BLOCK = 512;
const BLKSIZE = 4096;

/** What the constructor copies from a layer's record (or from another Stats). */
export type StatSource = Pick<NodeStat, 'mode' | 'uid' | 'gid' | 'rdev' | 'atimeMs' | 'mtimeMs' | 'ctimeMs' | 'birthtimeMs'>;

class TypeTests {
  declare mode: number;
  isFile(): boolean { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === S_IFLNK; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === S_IFIFO; }
  isSocket(): boolean { return (this.mode & S_IFMT) === S_IFSOCK; }
  isCharacterDevice(): boolean { return (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice(): boolean { return (this.mode & S_IFMT) === S_IFBLK; }
}

export class Stats extends TypeTests {
  // Fields are `declare`d and assigned once, in this order, in the constructor: class-field
  // syntax would define each one as undefined first (define semantics), a second store per field
  // on the hottest allocation of the engine, and it would widen the number fields' representation.
  declare dev: number;
  declare ino: number;
  // mode: declared by TypeTests.
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
    this.ino = ino;
    this.mode = st.mode;
    this.nlink = nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.size = size;
    this.blksize = BLKSIZE;
    this.blocks = Math.ceil(size / BLOCK);
    this.atimeMs = st.atimeMs;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
    this.birthtimeMs = st.birthtimeMs;
  }

  get atime(): Date { return new Date(this.atimeMs); }
  get mtime(): Date { return new Date(this.mtimeMs); }
  get ctime(): Date { return new Date(this.ctimeMs); }
  get birthtime(): Date { return new Date(this.birthtimeMs); }
}

export class Dirent extends TypeTests {
  readonly name: string;
  readonly parentPath: string;
  /** Alias of parentPath, as Node 20's Dirent still has it. */
  readonly path: string;
  override readonly mode: number;

  constructor(name: string, parentPath: string, mode: number) {
    super();
    this.name = name;
    this.parentPath = parentPath;
    this.path = parentPath;
    this.mode = mode;
  }
}
