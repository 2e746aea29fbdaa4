// A cached stat of a file in a watched directory without a host call: the directory's watch
// vouches for the record. By default only while the watch queue is read at the start of every
// operation (host/watch-queue.ts: a change made before an operation is reported before it
// answers); with trustWatch also when events come late (fs.watch, or no queue reads). Any change
// the layer reports ends every vouched record; everything not vouched for pays one lstat per hit.
//
// What a watch cannot see (docs/kernel-differences.md, "Watching"): a change through another
// hard link made in a directory nobody watches, and writes through a shared mmap (no event).
// Files with other links when looked at are never vouched for; a link made later, from outside
// the watched directories, is the gap left.
import * as fs from 'node:fs';
import type { Handle, LayerChange, NodeStat } from '../layer.js';
import { HostFileContent } from './file-content.js';
import { statIfSame } from './host-probe.js';

/** Records vouched for at most (past it, hits pay their lstat until the next change). */
const MAX_VOUCHED = 65536;

/**
 * statfs(2) f_type of the local filesystems whose every change raises an inotify event in the
 * watching process: ext2/3/4, xfs, btrfs, tmpfs, ramfs, f2fs, bcachefs, zfs, jfs, reiserfs,
 * overlay. Not NFS, SMB, FUSE, 9p, ceph: there another machine (or a daemon) changes files
 * without the local kernel's notice.
 */
const LOCAL_FILESYSTEMS = new Set([
  0xef53, 0x58465342, 0x9123683e, 0x01021994, 0x858458f6, 0xf2f52010, 0xca451a4e, 0x2fc12fc1,
  0x3153464a, 0x52654973, 0x794c7630,
]);

/** Whether changes under `hostPath` all raise inotify events here (its filesystem is local). */
export function watchSeesEveryChange(hostPath: string): boolean {
  try {
    return LOCAL_FILESYSTEMS.has(Number(fs.statfsSync(hostPath).type));
  } catch {
    return false;
  }
}

export abstract class HostVouchedStats extends HostFileContent {
  abstract readonly ttlMs: number;
  /** Stat records vouched for by a watch, until the layer reports any change; undefined: never. */
  protected vouched: Map<Handle, NodeStat> | undefined;
  /** The device whose watches may vouch: the root's, on a local filesystem; undefined: none. */
  protected vouchDev: number | undefined;

  /**
   * alive() and stat() in one host call, for the overlay's cached stat: the lstat that proves the
   * object is still at one of its known paths (same dev+ino+birth time) is its stat — written
   * into the handle's own record (host/host-probe.ts: native when built), so a hit allocates nothing.
   */
  peekStat(h: Handle): Readonly<NodeStat> | undefined {
    const record = this.table.get(h);
    if (record === undefined || record.deleted) return undefined;
    const vouched = this.vouched?.get(h);
    if (vouched !== undefined) return vouched;
    for (const p of record.paths) {
      const answer = statIfSame(this.hostRoot, p, record, record.stat);
      if (answer !== undefined) {
        record.stat = answer;
        if (this.vouched !== undefined && record.dev === this.vouchDev && this.watchVouches(p, answer)) this.vouched.set(h, answer);
        return answer;
      }
    }
    return undefined;
  }

  /**
   * `h`'s record changes only with a notice (an event, or the layer's own write) — what the
   * engine's stat memo (Layer.vouches, where the engine has it) needs to skip the peek.
   */
  vouches(h: Handle): boolean {
    return this.vouched?.has(h) === true;
  }

  /** A vouched regular file's size: read() then needs no fstat (host/host-probe.ts, readVouched). */
  protected override vouchedSize(h: Handle): number {
    const st = this.vouched?.get(h);
    return st !== undefined && st.type === 'file' ? st.size : -1;
  }

  /**
   * Will an event report any change of this object? Its directory's watch reports its entry's
   * changes (inotify) — not a change made through another hard link. A directory's attributes
   * also change with its entries: vouched only when its own watch reports those too. The root's
   * parent is watched by nobody: the root is vouched for by its own watch's events about itself,
   * which only the watch queue reports. And only while every directory asked about is watched
   * (else the fallback TTL rules).
   */
  private watchVouches(p: string, st: NodeStat): boolean {
    const watcher = this.watcher;
    if (this.ttlMs !== 0 || this.vouched!.size >= MAX_VOUCHED || watcher === undefined) return false;
    if (st.type === 'dir') {
      if (!watcher.isWatched(p)) return false;
      if (p === '') return watcher.usesQueue;
    } else if (st.nlink !== 1) {
      return false;
    }
    const slash = p.lastIndexOf('/');
    return watcher.isWatched(slash < 0 ? '' : p.slice(0, slash));
  }

  // Any change the layer reports (a host event, its own write) ends what the watch vouched for.
  protected override emit(change: LayerChange): void {
    this.vouched?.clear();
    this.tree.forgetVouched();
    super.emit(change);
  }

  protected override emitAt(layerPath: string, kind: LayerChange['kind']): void {
    this.vouched?.clear();
    this.tree.forgetVouched();
    super.emitAt(layerPath, kind);
  }
}
