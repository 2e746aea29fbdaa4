// The reference model's answers for stat() and readdir({ withFileTypes }): plain objects shaped
// like node:fs's Stats and Dirent, so tests can compare them field by field with the engine's.
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, type NodeType } from '../../layers/layer.js';

export interface StatFields {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
}

export class ModelStats implements StatFields {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize = 4096;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;

  constructor(f: StatFields) {
    this.dev = f.dev;
    this.ino = f.ino;
    this.mode = f.mode;
    this.nlink = f.nlink;
    this.uid = f.uid;
    this.gid = f.gid;
    this.rdev = f.rdev;
    this.size = f.size;
    this.blocks = Math.ceil(f.size / 512);
    this.atimeMs = f.atimeMs;
    this.mtimeMs = f.mtimeMs;
    this.ctimeMs = f.ctimeMs;
    this.birthtimeMs = f.birthtimeMs;
    this.atime = new Date(f.atimeMs);
    this.mtime = new Date(f.mtimeMs);
    this.ctime = new Date(f.ctimeMs);
    this.birthtime = new Date(f.birthtimeMs);
  }

  isFile(): boolean { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === S_IFLNK; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === S_IFIFO; }
  isCharacterDevice(): boolean { return (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice(): boolean { return (this.mode & S_IFMT) === S_IFBLK; }
  isSocket(): boolean { return (this.mode & S_IFMT) === S_IFSOCK; }
}

export class ModelDirent {
  constructor(
    readonly name: string,
    readonly parentPath: string,
    private readonly kind: NodeType,
    private readonly mode: number,
  ) {}

  get path(): string { return this.parentPath; }
  isFile(): boolean { return this.kind === 'file'; }
  isDirectory(): boolean { return this.kind === 'dir'; }
  isSymbolicLink(): boolean { return this.kind === 'symlink'; }
  isFIFO(): boolean { return this.kind === 'other' && (this.mode & S_IFMT) === S_IFIFO; }
  isCharacterDevice(): boolean { return this.kind === 'other' && (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice(): boolean { return this.kind === 'other' && (this.mode & S_IFMT) === S_IFBLK; }
  isSocket(): boolean { return this.kind === 'other' && (this.mode & S_IFMT) === S_IFSOCK; }
}
