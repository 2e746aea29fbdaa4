// trustWatch (DirLayerOptions): a cached stat of a file in a watched directory makes no host call
// while the watch vouches for it; any change the layer reports ends every vouched record.
import type { Handle, LayerChange, NodeStat } from '../layer.js';
import { HostFileContent } from './file-content.js';
import { statIfSame } from './host-probe.js';

/** trustWatch: records vouched for at most (past it, hits pay their lstat until the next change). */
const MAX_VOUCHED = 65536;

export abstract class HostVouchedStats extends HostFileContent {
  abstract readonly ttlMs: number;
  /** trustWatch: stat records vouched for by a watch, until the layer reports any change. */
  protected vouched: Map<Handle, NodeStat> | undefined;

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
        if (this.vouched !== undefined && this.watchVouches(p, answer)) this.vouched.set(h, answer);
        return answer;
      }
    }
    return undefined;
  }

  /**
   * trustWatch: `h`'s record changes only with a notice (an event, or the layer's own write) —
   * what the engine's stat memo (Layer.vouches, where the engine has it) needs to skip the peek.
   * By default never: there the very next call must see a host change before its event arrives.
   */
  vouches(h: Handle): boolean {
    return this.vouched?.has(h) === true;
  }

  /**
   * Will an event report any change of this object? Its directory's watch reports its entry's
   * changes (inotify) — not a change made through another hard link. A directory's attributes
   * also change with its entries: vouched only when its own watch reports those too (the root's
   * parent is not watched). And only while every directory asked about is watched (else the
   * fallback TTL rules).
   */
  private watchVouches(p: string, st: NodeStat): boolean {
    if (this.ttlMs !== 0 || this.vouched!.size >= MAX_VOUCHED || this.watcher === undefined) return false;
    if (st.type === 'dir' ? p === '' || !this.watcher.isWatched(p) : st.nlink !== 1) return false;
    const slash = p.lastIndexOf('/');
    return this.watcher.isWatched(slash < 0 ? '' : p.slice(0, slash));
  }

  // Any change the layer reports (a host event, its own write) ends what the watch vouched for.
  protected override emit(change: LayerChange): void {
    this.vouched?.clear();
    super.emit(change);
  }

  protected override emitAt(layerPath: string, kind: LayerChange['kind']): void {
    this.vouched?.clear();
    super.emitAt(layerPath, kind);
  }
}
