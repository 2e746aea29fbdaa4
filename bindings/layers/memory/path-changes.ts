// Changes made to a MemoryLayer itself, underneath the overlays using it (tests and the reference
// model drive these): path-based mkdir, writeFile, whiteout, setOpaque, rename, … Each notifies
// subscribers with a LayerChange; none is refused on a read-only layer.
import { fsError } from '../../errors.js';
import { ABSENT, WHITEOUT } from '../layer.js';
import { S_IFMT, S_IFREG } from '../layer.js';
import { MemoryLayerWrites } from './layer-writes.js';
import { components, joinPath, toBytes } from './node-store.js';

export abstract class MemoryPathChanges extends MemoryLayerWrites {
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

  protected setXattrAt(p: string, key: string, value: Uint8Array | undefined): void {
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
}
