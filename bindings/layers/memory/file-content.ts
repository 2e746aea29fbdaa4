// A MemoryLayer's file contents by handle: whole and in-place writes, truncate, and open files
// that hold their node (an unlinked open file keeps its data).
import { fsError } from '../../errors.js';
import type { Handle, LayerFile } from '../layer.js';
import { resized, writtenAt } from '../file-bytes.js';
import { MemoryChangeNotices } from './change-notices.js';
import { statOf, type MemNode } from './node-store.js';

export abstract class MemoryFileContent extends MemoryChangeNotices {
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

  /** A live regular file of a writable layer. */
  protected fileNode(h: Handle, syscall: string): MemNode {
    this.checkWritable(syscall);
    const n = this.live(h, syscall);
    if (n.type !== 'file') throw fsError(n.type === 'dir' ? 'EISDIR' : 'EINVAL', syscall);
    return n;
  }

  /** Change a file's bytes in place; notified at its name while `h` still names node `n`. */
  protected editData(n: MemNode, h: Handle, make: (old: Uint8Array) => Uint8Array): void {
    n.data = make(n.data);
    n.size = n.data.length;
    n.metacopy = false;
    n.mtimeMs = n.ctimeMs = this.clock();
    if (this.nodes[h] === n) this.notifyNode(h, 'data');
  }
}
