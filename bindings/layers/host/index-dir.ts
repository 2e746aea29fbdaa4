// index=on on disk, as the kernel keeps it (host/index-format.ts): `<workdir>/index/<hex origin>`
// is a hard link of the upper file a lower hard link was copied up to, and carries, like every
// upper name of it, `overlay.origin` and `overlay.nlink`. Only for an upper DirLayer over lower
// DirLayers: the origin is the lower object's file handle, which needs the native helper.
// Crash safety: every change is one host step whose every intermediate state the kernel and
// Strata read alike — an upper file whose index link is not made yet is a plain copy-up; an
// index entry without a valid origin or with link count 0 (an orphan) is ignored here and removed
// by the kernel at mount; a copy into the index is built under a temp name in the work directory.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import { DirLayer } from '../dir-layer.js';
import type { Handle, Layer } from '../layer.js';
import { applyMetadata, createInWorkDir } from './build-node.js';
import { O_PATH, procPath } from './host-paths.js';
import { explainedError, hostCode, relabel } from './host-errors.js';
import { decodeNlink, encodeNlink, filesystemUuid, indexName, isOrigin, originOfFd } from './index-format.js';
import { native, nativeUnavailableReason } from './native.js';
import { getXattr, setXattr } from './xattr.js';

/** An entry of the index directory: its handle in the index's layer, the overlay's link count, its host inode. */
export interface DiskIndexEntry {
  h: Handle;
  nlink: number;
  hostIno: number;
}

export class IndexDir {
  /** The index directory as a read-only layer: a file whose last upper name went is read here. */
  readonly layer: DirLayer;
  readonly hostPath: string;
  private readonly originKey: string;
  private readonly nlinkKey: string;
  private readonly uuids: (Buffer | undefined)[] = [];
  /** O_PATH descriptor of the verified index directory: entries are reached through it only. */
  private readonly fd: number;

  /**
   * The index of `layers` (index 0 the upper) when they can hold it on disk; undefined when they
   * are not all DirLayers (the in-memory index serves them). ENOTSUP when they are but file
   * handles cannot be had (the native helper is missing): a tree the kernel would read differently.
   */
  static open(layers: readonly (Layer | undefined)[]): IndexDir | undefined {
    const [upper, ...lowers] = layers;
    if (!(upper instanceof DirLayer) || lowers.some((l) => !(l instanceof DirLayer))) return undefined;
    // A read-only upper (a tree only read) has an index to read only if a writer made one.
    if (!upper.writable && !fs.existsSync(`${upper.workDirectory().hostPath}/index`)) return undefined;
    if (native() === null) {
      throw explainedError('ENOTSUP', 'open', upper.hostRoot,
        `index on over directory layers keeps the kernel's on-disk index, which needs file handles (native helper: ` +
        `${nativeUnavailableReason()}); build it (npm run build:native), or open the layers without index`);
    }
    return new IndexDir(upper, lowers as DirLayer[]);
  }

  private constructor(private readonly upper: DirLayer, private readonly lowers: readonly DirLayer[]) {
    const work = upper.workDirectory();
    this.hostPath = `${work.hostPath}/index`;
    const at = 'fd' in work ? procPath(work.fd, 'index') : this.hostPath;
    if ('fd' in work) {
      try {
        fs.mkdirSync(at, { mode: 0o700 });
      } catch (err) {
        if (hostCode(err) !== 'EEXIST') throw err;
      }
    }
    // A planted symlink at `index` would send our links elsewhere: it must be a real directory.
    this.fd = fs.openSync(at, O_PATH | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW);
    try {
      this.layer = new DirLayer(this.hostPath, { readOnly: true, watch: false, xattrs: upper.format.xattrs, name: 'index' });
    } catch (err) {
      fs.closeSync(this.fd);
      throw err;
    }
    this.originKey = `${upper.format.privatePrefix}origin`;
    this.nlinkKey = `${upper.format.privatePrefix}nlink`;
  }

  close(): void {
    this.layer.close();
    fs.closeSync(this.fd);
  }

  /** The index entry name of lower object `h` of layer `L` (1 = lowers[0]). */
  keyOfLower(L: number, h: Handle): string {
    const lower = this.lowers[L - 1];
    const uuid = (this.uuids[L] ??= filesystemUuid(lower.hostRoot));
    return lower.withHostObject(h, 'name_to_handle_at', false, (fd) => indexName(originOfFd(fd, uuid, lower.pathOf(h))));
  }

  /** The index entry name an upper non-directory's origin names, when it has a valid one. */
  keyOfUpper(h: Handle): string | undefined {
    return this.upper.withHostObject(h, 'getxattr', false, (_fd, at) => {
      const origin = getXattr(at, this.originKey);
      return origin !== undefined && isOrigin(origin) ? indexName(origin) : undefined;
    });
  }

  /** The live entry `key` (origin matching its name, link count above 0), or undefined; `lowerNlink` for an "L±n" count. */
  find(key: string, lowerNlink?: number): DiskIndexEntry | undefined {
    const at = this.pathOf(key);
    const st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (st === undefined || st.isDirectory() || (st.isCharacterDevice() && st.rdev === 0)) return undefined;
    if (getXattr(at, this.originKey)?.toString('hex') !== key) return undefined;
    const value = getXattr(at, this.nlinkKey)?.toString();
    // Without a readable count the kernel falls back to the upper inode's own.
    const nlink = value !== undefined ? decodeNlink(value, st.nlink, lowerNlink ?? st.nlink) ?? st.nlink : st.nlink;
    if (nlink <= 0) return undefined;
    const h = this.layer.lookup(this.layer.root(), key);
    return h > 0 ? { h, nlink, hostIno: st.ino } : undefined;
  }

  /** A joined file was copied up to upper object `uh`: give it its origin and count, link it as the entry. */
  record(key: string, uh: Handle, nlink: number): void {
    this.upper.withHostObject(uh, 'link', true, (_fd, at, st) => this.host('link', key, () => {
      setXattr(at, this.originKey, Buffer.from(key, 'hex'));
      setXattr(at, this.nlinkKey, encodeNlink(nlink, st.nlink + 1));
      fs.linkSync(at, this.pathOf(key));
    }));
  }

  /** Link entry `key` as `name` in upper directory `dir` (a lower name of it copied up). */
  linkUp(key: string, dir: Handle, name: string): Handle {
    const at = this.pathOf(key);
    return this.upper.linkHostFile({ at, st: fs.lstatSync(at), path: `index/${key}` }, dir, name);
  }

  /**
   * Bring entry `key` in line with the overlay's count `nlink`: removed at 0 (as the kernel does),
   * else its nlink xattr rewritten; `hostDelta`: a change of the host count about to follow.
   * A missing entry is linked again from `upperHandle` (a rolled-back removal).
   */
  sync(key: string, nlink: number, upperHandle: Handle, hostDelta = 0): void {
    this.host('setxattr', key, () => this.syncEntry(key, nlink, upperHandle, hostDelta));
  }

  private syncEntry(key: string, nlink: number, upperHandle: Handle, hostDelta: number): void {
    const at = this.pathOf(key);
    if (nlink <= 0) {
      fs.rmSync(at, { force: true });
      return;
    }
    let st = fs.lstatSync(at, { throwIfNoEntry: false });
    if (st === undefined) {
      // Linked again only from a file that carries this origin (an entry without one stops the kernel's mount).
      if (upperHandle === 0 || this.keyOfUpper(upperHandle) !== key) return;
      this.upper.withHostObject(upperHandle, 'link', true, (_fd, from) => fs.linkSync(from, at));
      st = fs.lstatSync(at);
    }
    setXattr(at, this.nlinkKey, encodeNlink(nlink, st.nlink + hostDelta));
  }

  /** Remove entry `key` (a copy-up that made it was rolled back). */
  remove(key: string): void {
    fs.rmSync(this.pathOf(key), { force: true });
  }

  /**
   * A lower-only name of a joined file goes before any name of it was copied up: as the kernel
   * does, the file is copied into the index alone, where its count (`nlink`) is kept.
   */
  copyIn(key: string, lower: Layer, h: Handle, nlink: number): Handle {
    return this.host('link', key, () => this.copyInEntry(key, lower, h, nlink));
  }

  private copyInEntry(key: string, lower: Layer, h: Handle, nlink: number): Handle {
    const st = lower.stat(h);
    if (st.type !== 'file' && st.type !== 'symlink') return 0;
    const work = this.upper.workDirectory();
    if (!('fd' in work)) throw fsError('EROFS', 'link', this.hostPath);
    const temp = work.tempName();
    const at = procPath(work.fd, temp);
    const spec = {
      type: st.type, mode: st.mode, uid: st.uid, gid: st.gid, atimeMs: st.atimeMs, mtimeMs: st.mtimeMs,
      data: st.type === 'file' ? lower.read(h) : undefined, target: st.type === 'symlink' ? lower.readlink(h) : undefined,
    };
    try {
      const made = createInWorkDir(work.fd, temp, spec, `index/${key}`);
      try {
        for (const [k, v] of Object.entries(lower.xattrs(h))) setXattr(at, k, v);
        setXattr(at, this.originKey, Buffer.from(key, 'hex'));
        setXattr(at, this.nlinkKey, encodeNlink(nlink, 1));
        applyMetadata(made, at, spec);
      } finally {
        fs.closeSync(made.fd);
      }
      // link(2), not rename: it never replaces an entry someone made meanwhile.
      fs.linkSync(at, this.pathOf(key));
    } finally {
      fs.rmSync(at, { force: true });
    }
    return this.layer.lookup(this.layer.root(), key);
  }

  /** A host failure as a Node-style error about the entry (`index/<key>` in the work directory). */
  private host<T>(syscall: string, key: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw relabel(err, syscall, `${this.hostPath}/${key}`);
    }
  }

  private pathOf(key: string): string {
    return procPath(this.fd, key);
  }
}
