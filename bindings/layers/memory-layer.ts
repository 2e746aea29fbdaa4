// MemoryLayer: a mutable in-memory layer. Two faces:
// - the handle-based `Layer` interface the overlay drives (each write notifies subscribers with
//   the `LayerChange` the matching path method sends; the writing overlay skips its own), and
// - path-based methods (`mkdir`, `writeFile`, `unlink`, …) that model changes made to the layer
//   itself, underneath the overlays using it; each notifies subscribers with a `LayerChange`.
// Handles double as inode numbers: one per-layer counter, never reused, so a cached handle can be
// compared for identity for as long as the layer lives.
import { fsError } from '../errors.js';
import {
  ABSENT, WHITEOUT,
  type Handle, type Layer, type LayerChange, type LayerFile, type LayerListener, type NodeSpec, type NodeStat, type NodeType,
} from './layer.js';
import { resized, writtenAt } from './file-bytes.js';

import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from './layer.js';

// The mode constants live with the Layer interface; re-exported for existing importers.
export { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './layer.js';

/** Size reported for every directory (any constant will do; it only has to be stable). */
const DIR_SIZE = 4096;

export interface MemoryLayerOptions {
  /** Milliseconds a cached answer from this layer stays trustworthy (simulates a remote layer). */
  ttlMs?: number;
  name?: string;
  /** A read-only layer refuses the overlay's writes (EROFS); its own path methods still work. */
  readonly?: boolean;
  /** Time source for timestamps (ms since the epoch); Date.now by default. */
  clock?: () => number;
}

interface MemNode {
  ino: number;
  type: NodeType;
  mode: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  /** Names linking to this node (directories: 1 while alive). */
  links: number;
  // st_size and st_nlink, kept current by every change (directories: 2 + subdirectories), so the
  // node itself is a complete NodeStat that peekStat() can hand out without building one.
  size: number;
  nlink: number;
  rdev: number;
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

function toBytes(data: string | Uint8Array): Uint8Array {
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
function components(p: string, syscall: string): string[] {
  if (typeof p !== 'string') throw new TypeError(`path must be a string, got ${typeof p}`);
  if (p.includes('\0') || p.charCodeAt(0) !== 47) throw fsError('EINVAL', syscall, p);
  const parts = p.split('/').filter((c) => c !== '');
  for (const c of parts) if (c === '.' || c === '..') throw fsError('EINVAL', syscall, p);
  return parts;
}

function statOf(n: MemNode): NodeStat {
  return {
    type: n.type, mode: n.mode, size: n.size, nlink: n.nlink, uid: n.uid, gid: n.gid,
    atimeMs: n.atimeMs, mtimeMs: n.mtimeMs, ctimeMs: n.ctimeMs, birthtimeMs: n.birthtimeMs,
    ino: n.ino, rdev: n.rdev,
  };
}

function joinPath(parts: string[], n: number): string {
  return n === 0 ? '/' : '/' + parts.slice(0, n).join('/');
}

export class MemoryLayer implements Layer {
  readonly name: string;
  readonly writable: boolean;
  readonly ttlMs: number;

  private nodes: (MemNode | undefined)[] = [undefined];
  private listeners: LayerListener[] = [];
  private readonly clock: () => number;
  private readonly rootHandle: Handle;

  constructor(options: MemoryLayerOptions = {}) {
    this.name = options.name ?? 'memory';
    this.writable = options.readonly !== true;
    this.ttlMs = options.ttlMs ?? 0;
    this.clock = options.clock ?? Date.now;
    this.rootHandle = this.allocate({ type: 'dir', mode: 0o755 }, 0);
  }

  // ---- Layer: reads ----

  root(): Handle { return this.rootHandle; }

  lookup(dir: Handle, name: string): Handle {
    const d = this.nodes[dir];
    if (d === undefined || d.children === undefined) return ABSENT;
    return d.children.get(name) ?? ABSENT;
  }

  list(dir: Handle): string[] {
    const d = this.nodes[dir];
    return d?.children === undefined ? [] : [...d.children.keys()];
  }

  stat(h: Handle): NodeStat {
    return statOf(this.live(h, 'stat'));
  }

  /** The node is its own stat record (see MemNode.size/nlink): no allocation per call. */
  peekStat(h: Handle): Readonly<NodeStat> | undefined { return h > 0 ? this.nodes[h] : undefined; }

  alive(h: Handle): boolean { return h > 0 && this.nodes[h] !== undefined; }
  isOpaque(dir: Handle): boolean { return this.nodes[dir]?.opaque === true; }
  redirect(dir: Handle): string | undefined { return this.nodes[dir]?.redirect; }
  isMetacopy(h: Handle): boolean { return this.nodes[h]?.metacopy === true; }

  read(h: Handle): Uint8Array {
    const n = this.live(h, 'read');
    if (n.type === 'dir') throw fsError('EISDIR', 'read');
    return n.data.slice();
  }

  readlink(h: Handle): string {
    const n = this.live(h, 'readlink');
    if (n.type !== 'symlink') throw fsError('EINVAL', 'readlink');
    return n.target;
  }

  xattrs(h: Handle): Record<string, Uint8Array> {
    const n = this.live(h, 'getxattr');
    const out: Record<string, Uint8Array> = {};
    for (const [k, v] of n.xattrs) out[k] = v.slice();
    return out;
  }

  subscribe(listener: LayerListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  // ---- Layer: writes (notify like the matching path method) ----

  createNode(dir: Handle, name: string, spec: NodeSpec): Handle {
    this.checkWritable('open');
    const d = this.liveDir(dir, 'open');
    const old = d.children!.get(name);
    if (old !== undefined && old > 0) this.checkReplaceable(old, spec.type === 'dir', 'open', name);
    // Build the node completely first: it becomes visible in one step (atomic copy-up).
    const h = this.allocate(spec, dir);
    this.setChild(d, name, h);
    if (old !== undefined && old > 0) this.dropLink(old);
    this.touchDir(d);
    this.notifyIn(dir, name, old !== undefined && old > 0 ? 'replace' : 'create');
    return h;
  }

  writeData(h: Handle, data: Uint8Array): void {
    this.checkWritable('write');
    const n = this.live(h, 'write');
    if (n.type !== 'file') throw fsError(n.type === 'dir' ? 'EISDIR' : 'EINVAL', 'write');
    n.data = new Uint8Array(data);
    n.size = n.data.length;
    n.metacopy = false;
    n.mtimeMs = n.ctimeMs = this.clock();
    this.notifyNode(h, 'data');
  }

  writeAt(h: Handle, data: Uint8Array, position: number): void {
    this.editData(this.fileNode(h, 'write'), h, (old) => writtenAt(old, data, position));
  }

  append(h: Handle, data: Uint8Array): void {
    this.editData(this.fileNode(h, 'write'), h, (old) => writtenAt(old, data, old.length));
  }

  truncate(h: Handle, len: number): void {
    this.editData(this.fileNode(h, 'truncate'), h, (old) => resized(old, len));
  }

  /** The node itself is held: it keeps its data after its last name goes (an unlinked open file). */
  open(h: Handle, writable: boolean): LayerFile {
    const n = writable ? this.fileNode(h, 'open') : this.live(h, 'open');
    if (n.type === 'dir') throw fsError('EISDIR', 'open');
    let closed = false;
    const use = (syscall: string): MemNode => {
      if (closed) throw fsError('EBADF', syscall);
      return n;
    };
    const edit = (syscall: string, make: (old: Uint8Array) => Uint8Array): void => {
      if (!writable) throw fsError('EBADF', syscall);
      this.editData(use(syscall), h, make);
    };
    return {
      read: (buffer, position) => {
        const data = use('read').data;
        const count = Math.max(0, Math.min(buffer.length, data.length - position));
        if (count > 0) buffer.set(data.subarray(position, position + count));
        return count;
      },
      write: (data, position) => edit('write', (old) => writtenAt(old, data, position)),
      append: (data) => edit('write', (old) => writtenAt(old, data, old.length)),
      truncate: (len) => edit('ftruncate', (old) => resized(old, len)),
      // Unlinked, it has no link left (its node's count is no longer kept once it is dropped).
      stat: () => { const st = statOf(use('fstat')); if (this.nodes[h] !== n) st.nlink = 0; return st; },
      close: () => { closed = true; },
    };
  }

  setMode(h: Handle, mode: number): void {
    this.checkWritable('chmod');
    const n = this.live(h, 'chmod');
    n.mode = (n.mode & S_IFMT) | (mode & 0o7777);
    n.ctimeMs = this.clock();
    this.notifyNode(h, 'meta');
  }

  setOwner(h: Handle, uid: number, gid: number): void {
    this.checkWritable('chown');
    const n = this.live(h, 'chown');
    n.uid = uid;
    n.gid = gid;
    n.ctimeMs = this.clock();
    this.notifyNode(h, 'meta');
  }

  setTimes(h: Handle, atimeMs: number, mtimeMs: number): void {
    this.checkWritable('utime');
    const n = this.live(h, 'utime');
    n.atimeMs = atimeMs;
    n.mtimeMs = mtimeMs;
    n.ctimeMs = this.clock();
    this.notifyNode(h, 'meta');
  }

  /**
   * Set (or with `undefined` remove) an xattr. By handle it is the overlay's write (EROFS on a
   * read-only layer); by layer path it is a change underneath. Either way subscribers get 'meta'.
   */
  setXattr(h: Handle, key: string, value: Uint8Array | undefined): void;
  setXattr(p: string, key: string, value: Uint8Array | undefined): void;
  setXattr(target: Handle | string, key: string, value: Uint8Array | undefined): void {
    if (typeof target === 'string') { this.setXattrAt(target, key, value); return; }
    this.checkWritable('setxattr');
    const n = this.live(target, 'setxattr');
    if (value === undefined) n.xattrs.delete(key);
    else n.xattrs.set(key, new Uint8Array(value));
    n.ctimeMs = this.clock();
    this.notifyNode(target, 'meta');
  }

  setOpaqueMark(dir: Handle, opaque: boolean): void {
    this.checkWritable('setxattr');
    this.liveDir(dir, 'setxattr').opaque = opaque;
    this.notifyDir(dir, 'opaque');
  }

  setRedirectMark(dir: Handle, origin: string | undefined): void {
    this.checkWritable('setxattr');
    this.liveDir(dir, 'setxattr').redirect = origin;
    this.notifyDir(dir, 'redirect');
  }

  removeName(dir: Handle, name: string): void {
    this.checkWritable('unlink');
    const d = this.liveDir(dir, 'unlink');
    const h = d.children!.get(name);
    if (h === undefined) throw fsError('ENOENT', 'unlink', name);
    const n = h > 0 ? this.nodes[h]! : undefined;
    if (n?.children !== undefined && n.children.size > 0) throw fsError('ENOTEMPTY', 'rmdir', name);
    this.deleteChild(d, name);
    if (h > 0) this.dropLink(h);
    this.touchDir(d);
    this.notifyIn(dir, name, 'remove');
  }

  putWhiteout(dir: Handle, name: string): void {
    this.checkWritable('mknod');
    const d = this.liveDir(dir, 'mknod');
    const old = d.children!.get(name);
    const n = old !== undefined && old > 0 ? this.nodes[old]! : undefined;
    // A directory holding only whiteouts may be replaced whole (an rmdir'ed merged directory).
    if (n?.children !== undefined && [...n.children.values()].some((c) => c !== WHITEOUT)) throw fsError('ENOTEMPTY', 'mknod', name);
    this.setChild(d, name, WHITEOUT);
    if (n !== undefined) this.dropLink(old!);
    this.touchDir(d);
    this.notifyIn(dir, name, 'whiteout');
  }

  renameName(fromDir: Handle, from: string, toDir: Handle, to: string): void {
    this.checkWritable('rename');
    this.moveName(fromDir, from, toDir, to, from, to);
    this.notifyIn(fromDir, from, 'rename');
    this.notifyIn(toDir, to, 'rename');
  }

  linkName(h: Handle, dir: Handle, name: string): void {
    this.checkWritable('link');
    const n = this.live(h, 'link');
    if (n.type === 'dir') throw fsError('EPERM', 'link', name);
    const d = this.liveDir(dir, 'link');
    const old = d.children!.get(name);
    if (old !== undefined && old > 0) throw fsError('EEXIST', 'link', name);
    this.setChild(d, name, h);
    n.nlink = ++n.links;
    n.ctimeMs = this.clock();
    this.touchDir(d);
    this.notifyIn(dir, name, 'create');
  }

  // ---- Direct, path-based changes (notify subscribers) ----

  /** Create a directory; `opaque` marks it opaque at creation. Replaces a whiteout. */
  mkdir(p: string, options: { recursive?: boolean; opaque?: boolean; mode?: number } = {}): void {
    const parts = components(p, 'mkdir');
    if (parts.length === 0) {
      if (options.recursive) return;
      throw fsError('EEXIST', 'mkdir', p);
    }
    let dir = this.rootHandle;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      const d = this.nodes[dir]!;
      const h = d.children!.get(parts[i]);
      if (h !== undefined && h > 0) {
        const n = this.nodes[h]!;
        if (last && !options.recursive) throw fsError('EEXIST', 'mkdir', p);
        if (n.type !== 'dir') throw fsError(last ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
        dir = h;
        continue;
      }
      if (!last && !options.recursive) throw fsError('ENOENT', 'mkdir', p);
      const created = this.allocate({ type: 'dir', mode: options.mode ?? 0o755, opaque: last && options.opaque === true }, dir);
      this.setChild(d, parts[i], created);
      this.touchDir(d);
      this.notify(joinPath(parts, i), parts[i], 'create');
      dir = created;
    }
  }

  /**
   * Write a file. An existing file keeps its identity (a 'data' change) unless `replace` is set,
   * which puts a new object (new inode) at the name — a 'replace' change.
   */
  writeFile(p: string, data: string | Uint8Array, options: { mode?: number; replace?: boolean } = {}): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'open');
    if (name === '') throw fsError('EISDIR', 'open', p);
    const bytes = toBytes(data);
    if (h > 0) {
      const n = this.nodes[h]!;
      if (n.type === 'dir') throw fsError('EISDIR', 'open', p);
      if (n.type === 'file' && !options.replace) {
        n.data = bytes;
        n.size = bytes.length;
        n.metacopy = false;
        n.mtimeMs = n.ctimeMs = this.clock();
        if (options.mode !== undefined) n.mode = S_IFREG | (options.mode & 0o7777);
        this.notify(dirPath, name, 'data');
        return;
      }
    }
    const created = this.allocate({ type: 'file', mode: options.mode ?? 0o644, data: bytes }, 0);
    this.setChild(d, name, created);
    if (h > 0) this.dropLink(h);
    this.touchDir(d);
    this.notify(dirPath, name, h > 0 ? 'replace' : 'create');
  }

  symlink(target: string, p: string): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'symlink');
    if (h > 0 || name === '') throw fsError('EEXIST', 'symlink', target, p);
    this.setChild(d, name, this.allocate({ type: 'symlink', mode: 0o777, target }, 0));
    this.touchDir(d);
    this.notify(dirPath, name, 'create');
  }

  link(existing: string, p: string): void {
    const src = this.parentOf(existing, 'link');
    if (src.h <= 0) throw fsError('ENOENT', 'link', existing, p);
    const n = this.nodes[src.h]!;
    if (n.type === 'dir') throw fsError('EPERM', 'link', existing, p);
    const { d, name, h, dirPath } = this.parentOf(p, 'link');
    if (h > 0 || name === '') throw fsError('EEXIST', 'link', existing, p);
    this.setChild(d, name, src.h);
    n.nlink = ++n.links;
    n.ctimeMs = this.clock();
    this.touchDir(d);
    this.notify(dirPath, name, 'create');
  }

  /** Create a special file ('other'): a char/block device, fifo or socket, by its mode bits. */
  mknod(p: string, mode: number, rdev = 0): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'mknod');
    if (h > 0 || name === '') throw fsError('EEXIST', 'mknod', p);
    this.setChild(d, name, this.allocate({ type: 'other', mode, rdev }, 0));
    this.touchDir(d);
    this.notify(dirPath, name, 'create');
  }

  /** Put a whiteout at `p`, replacing a non-directory or an empty directory there. */
  whiteout(p: string): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'mknod');
    if (name === '') throw fsError('EBUSY', 'mknod', p);
    const n = h > 0 ? this.nodes[h]! : undefined;
    if (n?.children !== undefined && n.children.size > 0) throw fsError('ENOTEMPTY', 'mknod', p);
    this.setChild(d, name, WHITEOUT);
    if (h > 0) this.dropLink(h);
    this.touchDir(d);
    this.notify(dirPath, name, 'whiteout');
  }

  setOpaque(p: string, opaque: boolean): void {
    const n = this.dirAt(p, 'setxattr');
    n.opaque = opaque;
    n.ctimeMs = this.clock();
    const parts = components(p, 'setxattr');
    this.notify(joinPath(parts, parts.length), '', 'opaque');
  }

  /** Set or clear a directory's redirect (absolute path in the layers below). */
  setRedirect(p: string, origin: string | undefined): void {
    const n = this.dirAt(p, 'setxattr');
    n.redirect = origin;
    n.ctimeMs = this.clock();
    const parts = components(p, 'setxattr');
    this.notify(joinPath(parts, parts.length), '', 'redirect');
  }

  private setXattrAt(p: string, key: string, value: Uint8Array | undefined): void {
    const { name, h, dirPath } = this.parentOf(p, 'setxattr');
    const n = h > 0 ? this.nodes[h]! : h === 0 && name === '' ? this.nodes[this.rootHandle]! : undefined;
    if (n === undefined) throw fsError('ENOENT', 'setxattr', p);
    if (value === undefined) n.xattrs.delete(key);
    else n.xattrs.set(key, new Uint8Array(value));
    n.ctimeMs = this.clock();
    this.notify(dirPath, name, 'meta');
  }

  /** Remove a file, symlink, special file — or a whiteout (the name then becomes absent). */
  unlink(p: string): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'unlink');
    if (name === '') throw fsError('EISDIR', 'unlink', p);
    if (h === ABSENT) throw fsError('ENOENT', 'unlink', p);
    if (h > 0) {
      if (this.nodes[h]!.type === 'dir') throw fsError('EISDIR', 'unlink', p);
    }
    this.deleteChild(d, name);
    if (h > 0) this.dropLink(h);
    this.touchDir(d);
    this.notify(dirPath, name, 'remove');
  }

  /** Remove a directory; with `recursive`, its whole subtree (one 'remove' change). */
  rmdir(p: string, options: { recursive?: boolean } = {}): void {
    const { d, name, h, dirPath } = this.parentOf(p, 'rmdir');
    if (name === '') throw fsError('EBUSY', 'rmdir', p);
    if (h <= 0) throw fsError('ENOENT', 'rmdir', p);
    const n = this.nodes[h]!;
    if (n.type !== 'dir') throw fsError('ENOTDIR', 'rmdir', p);
    if (n.children!.size > 0 && !options.recursive) throw fsError('ENOTEMPTY', 'rmdir', p);
    this.deleteChild(d, name);
    this.dropTree(h);
    this.touchDir(d);
    this.notify(dirPath, name, 'remove');
  }

  /** rename(2) inside the layer; notifies a 'rename' at both names. */
  rename(from: string, to: string): void {
    const src = this.parentOf(from, 'rename');
    const dst = this.parentOf(to, 'rename');
    if (src.name === '' || dst.name === '') throw fsError('EBUSY', 'rename', from, to);
    if (src.h === ABSENT) throw fsError('ENOENT', 'rename', from, to);
    this.moveName(src.dirHandle, src.name, dst.dirHandle, dst.name, from, to);
    this.notify(src.dirPath, src.name, 'rename');
    this.notify(dst.dirPath, dst.name, 'rename');
  }

  chmod(p: string, mode: number): void {
    const { name, h, dirPath } = this.parentOf(p, 'chmod');
    const n = h > 0 ? this.nodes[h]! : name === '' ? this.nodes[this.rootHandle]! : undefined;
    if (n === undefined) throw fsError('ENOENT', 'chmod', p);
    n.mode = (n.mode & S_IFMT) | (mode & 0o7777);
    n.ctimeMs = this.clock();
    this.notify(dirPath, name, 'meta');
  }

  utimes(p: string, atimeMs: number, mtimeMs: number): void {
    const { name, h, dirPath } = this.parentOf(p, 'utime');
    const n = h > 0 ? this.nodes[h]! : name === '' ? this.nodes[this.rootHandle]! : undefined;
    if (n === undefined) throw fsError('ENOENT', 'utime', p);
    n.atimeMs = atimeMs;
    n.mtimeMs = mtimeMs;
    n.ctimeMs = this.clock();
    this.notify(dirPath, name, 'meta');
  }

  /** Nothing changed, but the layer no longer vouches for what overlays cached about `p`. */
  expire(p: string): void {
    const parts = components(p, 'expire');
    if (parts.length === 0) this.notify('/', '', 'expire');
    else this.notify(joinPath(parts, parts.length - 1), parts[parts.length - 1], 'expire');
  }

  // ---- Inspection helpers (tests, the reference model) ----

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

  /** A deterministic dump of the whole layer (for "byte-for-byte unchanged" checks). */
  snapshot(): string {
    const out: string[] = [];
    const walk = (h: Handle, path: string): void => {
      const n = this.nodes[h]!;
      const x = [...n.xattrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${Buffer.from(v).toString('hex')}`);
      out.push(`${path} ino=${n.ino} ${n.type} mode=${n.mode.toString(8)} uid=${n.uid} gid=${n.gid} links=${n.links} ` +
        `t=${n.atimeMs},${n.mtimeMs},${n.ctimeMs} rdev=${n.rdev} opaque=${n.opaque} redirect=${n.redirect ?? ''} ` +
        `metacopy=${n.metacopy} data=${Buffer.from(n.data).toString('hex')} target=${n.target} x=[${x.join(',')}]`);
      if (n.children === undefined) return;
      for (const name of [...n.children.keys()].sort()) {
        const c = n.children.get(name)!;
        const cp = path === '/' ? `/${name}` : `${path}/${name}`;
        if (c === WHITEOUT) out.push(`${cp} whiteout`);
        else walk(c, cp);
      }
    };
    walk(this.rootHandle, '/');
    return out.join('\n');
  }

  /** A deep copy: same handles and inode numbers, no subscribers. */
  clone(options: { name?: string; ttlMs?: number; readonly?: boolean } = {}): MemoryLayer {
    const copy = new MemoryLayer({
      name: options.name ?? this.name, ttlMs: options.ttlMs ?? this.ttlMs,
      readonly: options.readonly ?? !this.writable, clock: this.clock,
    });
    copy.nodes = this.nodes.map((n) => n === undefined ? undefined : {
      ...n,
      data: n.data.slice(),
      xattrs: new Map([...n.xattrs].map(([k, v]) => [k, v.slice()])),
      children: n.children === undefined ? undefined : new Map(n.children),
    });
    return copy;
  }

  // ---- internals ----

  private allocate(spec: NodeSpec, parent: Handle): Handle {
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

  /** A live regular file of a writable layer. */
  private fileNode(h: Handle, syscall: string): MemNode {
    this.checkWritable(syscall);
    const n = this.live(h, syscall);
    if (n.type !== 'file') throw fsError(n.type === 'dir' ? 'EISDIR' : 'EINVAL', syscall);
    return n;
  }

  /** Change a file's bytes in place; notified at its name while `h` still names node `n`. */
  private editData(n: MemNode, h: Handle, make: (old: Uint8Array) => Uint8Array): void {
    n.data = make(n.data);
    n.size = n.data.length;
    n.metacopy = false;
    n.mtimeMs = n.ctimeMs = this.clock();
    if (this.nodes[h] === n) this.notifyNode(h, 'data');
  }

  private live(h: Handle, syscall: string): MemNode {
    const n = h > 0 ? this.nodes[h] : undefined;
    if (n === undefined) throw fsError('ESTALE', syscall);
    return n;
  }

  private liveDir(h: Handle, syscall: string): MemNode {
    const n = this.live(h, syscall);
    if (n.children === undefined) throw fsError('ENOTDIR', syscall);
    return n;
  }

  private checkWritable(syscall: string): void {
    if (!this.writable) throw fsError('EROFS', syscall);
  }

  /** rename(2)'s rules for what may be replaced at the destination. */
  private checkReplaceable(old: Handle, newIsDir: boolean, syscall: string, path: string, dest?: string): void {
    const n = this.nodes[old]!;
    if (n.type === 'dir') {
      if (!newIsDir) throw fsError('EISDIR', syscall, path, dest);
      if (n.children!.size > 0) throw fsError('ENOTEMPTY', syscall, path, dest);
    } else if (newIsDir) {
      throw fsError('ENOTDIR', syscall, path, dest);
    }
  }

  private moveName(fromDir: Handle, from: string, toDir: Handle, to: string, fromPath: string, toPath: string): void {
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

  private dropLink(h: Handle): void {
    const n = this.nodes[h]!;
    if (n.children !== undefined) { this.dropTree(h); return; }
    if (--n.links <= 0) { this.nodes[h] = undefined; return; }
    n.nlink = n.links;
    n.ctimeMs = this.clock();
  }

  private dropTree(h: Handle): void {
    const n = this.nodes[h]!;
    if (n.children !== undefined) for (const c of n.children.values()) if (c > 0) this.dropLink(c);
    this.nodes[h] = undefined;
  }

  /**
   * Point `name` in directory `d` at `h` (a handle or WHITEOUT), keeping d's nlink (2 + its
   * subdirectories). Call it while a replaced node is still allocated (before dropLink).
   */
  private setChild(d: MemNode, name: string, h: Handle): void {
    d.nlink += this.dirCount(h) - this.dirCount(d.children!.get(name));
    d.children!.set(name, h);
    if (h > 0) {
      const n = this.nodes[h]!;
      n.parent = d.ino;
      n.name = name;
    }
  }

  /** Remove `name` from directory `d`, keeping d's nlink; before the node is dropped. */
  private deleteChild(d: MemNode, name: string): void {
    d.nlink -= this.dirCount(d.children!.get(name));
    d.children!.delete(name);
  }

  private dirCount(h: Handle | undefined): number {
    return h !== undefined && h > 0 && this.nodes[h]?.children !== undefined ? 1 : 0;
  }

  private touchDir(d: MemNode): void {
    d.mtimeMs = d.ctimeMs = this.clock();
  }

  private dirAt(p: string, syscall: string): MemNode {
    const h = this.handleAt(p);
    if (h <= 0) throw fsError('ENOENT', syscall, p);
    const n = this.nodes[h]!;
    if (n.children === undefined) throw fsError('ENOTDIR', syscall, p);
    return n;
  }

  /** Resolve the parent directory of `p`; `name` is '' for the root. */
  private parentOf(p: string, syscall: string): { d: MemNode; dirHandle: Handle; name: string; h: Handle; dirPath: string } {
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

  /** A write by handle changed `name` in directory `dir`. */
  private notifyIn(dir: Handle, name: string, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const dirPath = this.pathOf(dir);
    if (dirPath !== undefined) this.notify(dirPath, name, kind);
  }

  /** A write by handle changed a directory itself (opaque, redirect). */
  private notifyDir(dir: Handle, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const dirPath = this.pathOf(dir);
    if (dirPath !== undefined) this.notify(dirPath, '', kind);
  }

  /** A write by handle changed an object's data or attributes: named by one of its links. */
  private notifyNode(h: Handle, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    if (h === this.rootHandle) { this.notify('/', '', kind); return; }
    const n = this.nodes[h]!;
    const dirPath = this.linkedAt(h) ? this.pathOf(n.parent) : undefined;
    if (dirPath !== undefined) { this.notify(dirPath, n.name, kind); return; }
    const found = this.searchPath(this.rootHandle, '/', h);
    if (found !== undefined) this.notify(found.dir, found.name, kind);
  }

  /** Whether node `h` is still linked where it was last linked. */
  private linkedAt(h: Handle): boolean {
    const n = this.nodes[h];
    return n !== undefined && this.nodes[n.parent]?.children?.get(n.name) === h;
  }

  /** The layer path of a live directory (a directory has exactly one name, kept in the node). */
  private pathOf(dir: Handle): string | undefined {
    const parts: string[] = [];
    for (let x = dir; x !== this.rootHandle; x = this.nodes[x]!.parent) {
      if (!this.linkedAt(x)) return undefined;
      parts.push(this.nodes[x]!.name);
    }
    return '/' + parts.reverse().join('/');
  }

  /** A hard-linked file whose latest link was removed: find one of its other names. */
  private searchPath(dir: Handle, dirPath: string, h: Handle): { dir: string; name: string } | undefined {
    for (const [name, c] of this.nodes[dir]!.children!) {
      if (c === h) return { dir: dirPath, name };
      if (c > 0 && this.nodes[c]!.children !== undefined) {
        const found = this.searchPath(c, dirPath === '/' ? `/${name}` : `${dirPath}/${name}`, h);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  private notify(dir: string, name: string, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const change: LayerChange = { dir, name, kind };
    for (const l of this.listeners.slice()) l(change);
  }
}
