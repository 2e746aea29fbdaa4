// A host layer's file contents: reading, whole-file writes built in the work directory and
// renamed over the name, in-place writes, truncate, and open files holding a host descriptor.
// DirLayer (../dir-layer.ts) builds on it; objects are reached through HostLayerBase.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import type { Handle, LayerFile } from '../layer.js';
import { displayPath, procPath, sameObject, type HostIdentity } from './host-paths.js';
import { removeXattr } from './xattr.js';
import { HostLayerBase, host } from './host-layer-base.js';
import { readIfSame, readVouched } from './host-probe.js';
import {
  APPEND_ONLY, READ_ONLY, READ_WRITE, checkFile, editFile, hostFile, openObjectAt, replaceFile, writeAllAt,
} from './host-file.js';

export abstract class HostFileContent extends HostLayerBase {
  read(h: Handle): Uint8Array {
    // A cached file in one host call (host/host-probe.ts), checked by identity; else contained.
    const record = this.table.get(h);
    if (record !== undefined && !record.deleted && !record.dir && record.paths.length > 0) {
      const size = this.vouchedSize(h);
      const data = (size > 0 ? readVouched(this.tree.rootFd, record.paths[0], size) : undefined)
        ?? readIfSame(this.hostRoot, record.paths[0], record);
      if (data !== undefined) return data;
    }
    return this.atObject(h, 'read', (e) => {
      if (e.st.isDirectory()) throw fsError('EISDIR', 'read', displayPath(e.path));
      if (!e.st.isFile()) throw fsError('EINVAL', 'read', displayPath(e.path));
      // Re-opening the O_PATH descriptor through /proc reaches exactly the object checked.
      return host('read', e.path, () => fs.readFileSync(procPath(e.fd)));
    });
  }

  /** The size of `h`, a regular file a watch vouches for; -1 when nothing vouches for it. */
  protected vouchedSize(_h: Handle): number {
    return -1;
  }

  // ---- writes: each notifies subscribers at once, with the change the watcher would report

  /**
   * Built in the work directory and renamed over the name (host/host-file.ts): killed midway, the
   * name holds the old data or the new; the handle names the new object. A file with other hard
   * links is rewritten in place instead (a rename would split it from its other names).
   */
  writeData(h: Handle, data: Uint8Array): void {
    this.atObjectForWrite(h, 'write', 'data', (e) => {
      checkFile(e, 'write');
      const key = this.format.metacopyKey;
      if (e.st.nlink > 1) {
        editFile(e, READ_WRITE, key, (fd) => { fs.ftruncateSync(fd, 0); writeAllAt(fd, data, 0); });
        return;
      }
      const work = this.workdir();
      const st = replaceFile(e, data, work.fd, work.tempName(), key, () => this.recheck(e, 'write'));
      if (st !== undefined) this.table.rebind(h, st);
    });
  }

  writeAt(h: Handle, data: Uint8Array, position: number): void {
    this.atObjectForWrite(h, 'write', 'data', (e) =>
      editFile(e, READ_WRITE, this.format.metacopyKey, (fd) => writeAllAt(fd, data, position)));
  }

  /** O_APPEND: the bytes already there are never written. */
  append(h: Handle, data: Uint8Array): void {
    this.atObjectForWrite(h, 'write', 'data', (e) =>
      editFile(e, APPEND_ONLY, this.format.metacopyKey, (fd) => writeAllAt(fd, data, null)));
  }

  truncate(h: Handle, len: number): void {
    this.atObjectForWrite(h, 'truncate', 'data', (e) =>
      editFile(e, READ_WRITE, this.format.metacopyKey, (fd) => fs.ftruncateSync(fd, len)));
  }

  /** A host descriptor on the object: it keeps reaching it after its names move or go. */
  open(h: Handle, writable: boolean): LayerFile {
    if (writable) this.checkWritable('open');
    return this.atObject(h, 'open', (e) => {
      checkFile(e, 'open');
      const flags = writable ? READ_WRITE : READ_ONLY;
      const fd = openObjectAt(e.parentFd, e.name, e.st, flags, e.path);
      let metacopy = writable && this.readMark(e, this.format.metacopyKey) !== undefined;
      let identity: HostIdentity = e.st;
      // writeData rebuilds a file under its handle: a descriptor follows, as it would see a rewrite in place.
      const replaced = (): number | undefined => {
        const record = this.table.get(h);
        if (record === undefined || record.deleted || sameObject(record, identity)) return undefined;
        return this.atObject(h, 'open', (now) => {
          const next = openObjectAt(now.parentFd, now.name, now.st, flags, now.path);
          identity = now.st;
          return next;
        });
      };
      const written = (): void => {
        if (metacopy) {
          metacopy = false;
          this.atObject(h, 'write', (now) => removeXattr(procPath(now.parentFd, now.name), this.format.metacopyKey));
        }
        for (const p of this.table.get(h)?.paths ?? []) {
          this.watcher?.expectSelf(p);
          this.emitAt(p, 'data');
        }
      };
      return hostFile(fd, writable, e.path, written, replaced);
    });
  }
}
