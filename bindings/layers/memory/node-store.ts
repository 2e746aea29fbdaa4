// The node store behind MemoryLayer: the node array (a handle is an index and doubles as the
// inode number, never reused), linking names to nodes with link counts kept current, and
// resolving layer paths. Shared by the handle-based writes and the path-based changes above it.
import { fsError } from '../../errors.js';
import { ABSENT, WHITEOUT, type Handle, type NodeSpec, type NodeStat, type NodeType } from '../layer.js';
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from '../layer.js';

/** Size reported for every directory (any constant will do; it only has to be stable). */
const DIR_SIZE = 4096;

// A node is its own stat record: size and nlink (directories: 2 + subdirectories) are kept
// current by every change, so peekStat() hands the node out without building a NodeStat.
export interface MemNode extends NodeStat {
  /** Names linking to this node (directories: 1 while alive). */
  links: number;
  data: Uint8Array;
  target: string;
  xattrs: Map<string, Uint8Array>;
  metacopy: boolean;
  // Directories only: name → handle or WHITEOUT.
  children: Map<string, Handle> | undefined;
  // Where the node was last linked (a directory's only name): for loop checks, and to name the
  // node in a change notified for a write by handle.
  parent: Handle;
  name: string;
  opaque: boolean;
  redirect: string | undefined;
}

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

export function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
}

function typeBits(type: NodeType, mode: number): number {
  switch (type) {
    case 'file': return S_IFREG;
    case 'dir': return S_IFDIR;
    case 'symlink': return S_IFLNK;
    default: return (mode & S_IFMT) !== 0 ? mode & S_IFMT : S_IFIFO;
  }
}

/** Split a layer-relative absolute path into components; '.'/'..' are not allowed here. */
export function components(p: string, syscall: string): string[] {
  if (typeof p !== 'string') throw new TypeError(`path must be a string, got ${typeof p}`);
  if (p.includes('\0') || p.charCodeAt(0) !== 47) throw fsError('EINVAL', syscall, p);
  const parts = p.split('/').filter((c) => c !== '');
  for (const c of parts) if (c === '.' || c === '..') throw fsError('EINVAL', syscall, p);
  return parts;
}

export function statOf(n: MemNode): NodeStat {
  return {
    type: n.type, mode: n.mode, size: n.size, nlink: n.nlink, uid: n.uid, gid: n.gid,
    atimeMs: n.atimeMs, mtimeMs: n.mtimeMs, ctimeMs: n.ctimeMs, birthtimeMs: n.birthtimeMs,
    ino: n.ino, rdev: n.rdev,
  };
}

export function joinPath(parts: string[], n: number): string {
  return n === 0 ? '/' : '/' + parts.slice(0, n).join('/');
}

export abstract class MemoryNodeStore {
  abstract readonly writable: boolean;

  protected nodes: (MemNode | undefined)[] = [undefined];
  protected readonly clock: () => number;
  protected readonly rootHandle: Handle;

  constructor(clock: () => number) {
    this.clock = clock;
    this.rootHandle = this.allocate({ type: 'dir', mode: 0o755 }, 0);
  }

  lookup(dir: Handle, name: string): Handle {
    const d = this.nodes[dir];
    if (d === undefined || d.children === undefined) return ABSENT;
    return d.children.get(name) ?? ABSENT;
  }

  /** The handle at a layer path (ABSENT, WHITEOUT, or > 0); intermediate components must be dirs. */
  handleAt(p: string): Handle {
    const parts = components(p, 'lookup');
    let h = this.rootHandle;
    for (const part of parts) {
      h = this.lookup(h, part);
      if (h <= 0) return h === WHITEOUT && part === parts[parts.length - 1] ? WHITEOUT : ABSENT;
    }
    return h;
  }

  protected allocate(spec: NodeSpec, parent: Handle): Handle {
    const now = this.clock();
    const h = this.nodes.length;
    const isDir = spec.type === 'dir';
    const xattrs = new Map<string, Uint8Array>();
    if (spec.xattrs) for (const k of Object.keys(spec.xattrs)) xattrs.set(k, new Uint8Array(spec.xattrs[k]));
    this.nodes.push({
      ino: h,
      type: spec.type,
      mode: typeBits(spec.type, spec.mode) | (spec.mode & 0o7777),
      uid: spec.uid ?? 0,
      gid: spec.gid ?? 0,
      atimeMs: spec.atimeMs ?? now,
      mtimeMs: spec.mtimeMs ?? now,
      ctimeMs: now,
      birthtimeMs: now,
      links: 1,
      size: spec.type === 'file' ? spec.data?.length ?? 0 : spec.type === 'symlink' ? encoder.encode(spec.target ?? '').length : isDir ? DIR_SIZE : 0,
      nlink: isDir ? 2 : 1,
      rdev: spec.type === 'other' ? spec.rdev ?? 0 : 0,
      data: spec.type === 'file' && spec.data !== undefined ? new Uint8Array(spec.data) : EMPTY,
      target: spec.type === 'symlink' ? spec.target ?? '' : '',
      xattrs,
      metacopy: spec.type === 'file' && spec.metacopy === true,
      children: isDir ? new Map() : undefined,
      parent,
      name: '',
      opaque: isDir && spec.opaque === true,
      redirect: isDir || spec.metacopy === true ? spec.redirect : undefined,
    });
    return h;
  }

  protected live(h: Handle, syscall: string): MemNode {
    const n = h > 0 ? this.nodes[h] : undefined;
    if (n === undefined) throw fsError('ESTALE', syscall);
    return n;
  }

  protected liveDir(h: Handle, syscall: string): MemNode {
    const n = this.live(h, syscall);
    if (n.children === undefined) throw fsError('ENOTDIR', syscall);
    return n;
  }

  protected checkWritable(syscall: string): void {
    if (!this.writable) throw fsError('EROFS', syscall);
  }

  /** rename(2)'s rules for what may be replaced at the destination. */
  protected checkReplaceable(old: Handle, newIsDir: boolean, syscall: string, path: string, dest?: string): void {
    const n = this.nodes[old]!;
    if (n.type === 'dir') {
      if (!newIsDir) throw fsError('EISDIR', syscall, path, dest);
      if (n.children!.size > 0) throw fsError('ENOTEMPTY', syscall, path, dest);
    } else if (newIsDir) {
      throw fsError('ENOTDIR', syscall, path, dest);
    }
  }

  protected moveName(fromDir: Handle, from: string, toDir: Handle, to: string, fromPath: string, toPath: string): void {
    const sd = this.liveDir(fromDir, 'rename');
    const dd = this.liveDir(toDir, 'rename');
    const h = sd.children!.get(from);
    if (h === undefined) throw fsError('ENOENT', 'rename', fromPath, toPath);
    const old = dd.children!.get(to);
    if (old === h && h > 0) return; // two names of one object: rename(2) does nothing
    const isDir = h > 0 && this.nodes[h]!.type === 'dir';
    if (old !== undefined && old > 0) this.checkReplaceable(old, isDir, 'rename', fromPath, toPath);
    if (isDir) {
      // A directory cannot move under itself.
      for (let a = toDir; a !== 0; a = this.nodes[a]!.parent) {
        if (a === h) throw fsError('EINVAL', 'rename', fromPath, toPath);
      }
    }
    this.deleteChild(sd, from);
    this.setChild(dd, to, h);
    if (old !== undefined && old > 0) this.dropLink(old);
    if (isDir) this.nodes[h]!.parent = toDir;
    if (h > 0) this.nodes[h]!.ctimeMs = this.clock();
    this.touchDir(sd);
    if (dd !== sd) this.touchDir(dd);
  }

  protected dropLink(h: Handle): void {
    const n = this.nodes[h]!;
    if (n.children !== undefined) { this.dropTree(h); return; }
    if (--n.links <= 0) { this.nodes[h] = undefined; return; }
    n.nlink = n.links;
    n.ctimeMs = this.clock();
  }

  protected dropTree(h: Handle): void {
    const n = this.nodes[h]!;
    if (n.children !== undefined) for (const c of n.children.values()) if (c > 0) this.dropLink(c);
    this.nodes[h] = undefined;
  }

  /**
   * Point `name` in directory `d` at `h` (a handle or WHITEOUT), keeping d's nlink (2 + its
   * subdirectories). Call it while a replaced node is still allocated (before dropLink).
   */
  protected setChild(d: MemNode, name: string, h: Handle): void {
    d.nlink += this.dirCount(h) - this.dirCount(d.children!.get(name));
    d.children!.set(name, h);
    if (h > 0) {
      const n = this.nodes[h]!;
      n.parent = d.ino;
      n.name = name;
    }
  }

  /** Remove `name` from directory `d`, keeping d's nlink; before the node is dropped. */
  protected deleteChild(d: MemNode, name: string): void {
    d.nlink -= this.dirCount(d.children!.get(name));
    d.children!.delete(name);
  }

  protected dirCount(h: Handle | undefined): number {
    return h !== undefined && h > 0 && this.nodes[h]?.children !== undefined ? 1 : 0;
  }

  protected touchDir(d: MemNode): void {
    d.mtimeMs = d.ctimeMs = this.clock();
  }

  protected dirAt(p: string, syscall: string): MemNode {
    const h = this.handleAt(p);
    if (h <= 0) throw fsError('ENOENT', syscall, p);
    const n = this.nodes[h]!;
    if (n.children === undefined) throw fsError('ENOTDIR', syscall, p);
    return n;
  }

  /** Resolve the parent directory of `p`; `name` is '' for the root. */
  protected parentOf(p: string, syscall: string): { d: MemNode; dirHandle: Handle; name: string; h: Handle; dirPath: string } {
    const parts = components(p, syscall);
    let dir = this.rootHandle;
    for (let i = 0; i < parts.length - 1; i++) {
      const h = this.lookup(dir, parts[i]);
      if (h <= 0) throw fsError('ENOENT', syscall, p);
      if (this.nodes[h]!.children === undefined) throw fsError('ENOTDIR', syscall, p);
      dir = h;
    }
    if (parts.length === 0) return { d: this.nodes[dir]!, dirHandle: dir, name: '', h: ABSENT, dirPath: '/' };
    const name = parts[parts.length - 1];
    return { d: this.nodes[dir]!, dirHandle: dir, name, h: this.lookup(dir, name), dirPath: joinPath(parts, parts.length - 1) };
  }
}
