// The Layer interface's namespace and metadata writes on a MemoryLayer (the overlay's writes): each
// notifies subscribers like the matching path method (the writing overlay skips its own).
import { fsError } from '../../errors.js';
import { WHITEOUT, type Handle, type NodeSpec } from '../layer.js';
import { S_IFMT } from '../layer.js';
import { MemoryFileContent } from './file-content.js';

export abstract class MemoryLayerWrites extends MemoryFileContent {
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

  protected abstract setXattrAt(p: string, key: string, value: Uint8Array | undefined): void;
}
