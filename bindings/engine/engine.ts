// The engine: the one front door behind the Overlay API. It owns the dentry cache, the entry
// table, redirects, the resolver (the walk and the stale-entry policy), copy-up, change mapping,
// inode numbers and the bookkeeping of its own writes. Lookups return a reused Walked view; the
// namespace (dir.c), inode (inode.c) and listing operations take those views.
import { NO_ENTRY, ROOT_ID, T_DIR } from '../abi.js';
import { createCache, type CacheImpl } from '../cache/create-cache.js';
import type { CacheCapacity, DentryCache } from '../cache/dentry-cache.js';
import { fsError, hasCode } from '../errors.js';
import type { ChangeSource, Layer } from '../layers/layer.js';
import type { Policy } from '../policy.js';
import { checkWholePath, splitPath, type SplitPath } from './args.js';
import { ChangeFeed, type OverlayListener } from './change-feed.js';
import { ChangeMapper } from './change-map.js';
import { CopyUp } from './copy-up.js';
import { EntryTable } from './entry-table.js';
import { HardLinkIndex } from './hard-link-index.js';
import { IndexDir } from '../layers/host/index-dir.js';
import { InodeOps } from './inode.js';
import { InodeNumbers } from './inode-numbers.js';
import { finishIntent } from './intent.js';
import { Namespace } from './namespace.js';
import { OwnWriter, OwnWrites } from './own-writes.js';
import type { MountPoint } from './mount-point.js';
import { Listings } from './readdir.js';
import { entryPath, RedirectIndex } from './redirects.js';
import { MAX_STALE_RETRIES, Resolver } from './resolver.js';
import { statMemoFor, type StatMemo } from './stat-memo.js';
import { release, subscribeWeakly, type OverlayResources } from './subscriptions.js';
import { Walked } from './walked.js';

/** The view parentOf() walks into, apart from the ones operations hold. */
const PARENT_SLOT = 2;

export interface EngineOptions {
  layers: (Layer | undefined)[];
  policy: Policy;
  redirectDir: boolean;
  metacopy: boolean;
  /** index=on (engine/hard-link-index.ts). */
  index?: boolean;
  cache?: { capacity?: Partial<CacheCapacity> | number; impl?: CacheImpl };
  clock?: () => number;
  mountPoint?: MountPoint;
}

/** The cache's counters and the engine's (see docs/engine.md). */
export interface EngineCounters {
  hits: number;
  misses: number;
  negativeHits: number;
  revalidations: number;
  expired: number;
  changed: number;
  estale: number;
  relookups: number;
  evictions: number;
  entries: number;
  bytes: number;
}

export class Engine {
  /** Index 0 is the upper (undefined when read-only), i + 1 is lowers[i]. */
  readonly layers: (Layer | undefined)[];
  /** The upper as the engine writes to it (own writes are skipped by its listeners). */
  readonly upper: Layer | undefined;
  readonly namespace: Namespace;
  readonly inode: InodeOps;
  readonly listings: Listings;
  private readonly cache: DentryCache;
  /** Final stat answers by path (engine/stat-memo.ts); undefined on the TS cache and with index=on. */
  readonly statMemo: StatMemo | undefined;
  private readonly table: EntryTable;
  private readonly redirects: RedirectIndex;
  private readonly resolver: Resolver;
  private readonly inodes: InodeNumbers;
  /** Held here: the layers' listeners reach it only through a WeakRef (engine/subscriptions.ts). */
  private readonly changes: ChangeMapper;
  /** Overlay.subscribe's listeners (engine/change-feed.ts). */
  private readonly feed: ChangeFeed;
  private readonly resources: OverlayResources;
  /** The counters at close(); undefined while open. */
  private closedStats: EngineCounters | undefined;
  /** The views lookups fill: one per path an operation holds at once, and parentOf's. */
  private readonly views: [Walked, Walked, Walked];
  /** The view a read walks into (slot 0), for retryRead. */
  private readonly readViews: readonly Walked[];
  /** The layers' change sources, each once (Layer.changeSource): read at every operation's start. */
  private readonly sources: readonly ChangeSource[];

  constructor(owner: object, options: EngineOptions) {
    this.layers = options.layers;
    const upper = this.layers[0];
    // Writes go through OwnWriter, so that this engine's listeners skip what they notify.
    const own = new OwnWrites();
    this.upper = upper !== undefined && upper.writable ? new OwnWriter(upper, own) : undefined;
    this.inodes = new InodeNumbers(upper);
    // A change a killed writer left half done is finished before anything is looked up.
    if (this.upper !== undefined) finishIntentQuietly(this.upper);
    // index=on over DirLayers keeps the kernel's on-disk index (ENOTSUP without file handles),
    // opened before anything that would need giving back.
    const disk = options.index === true ? IndexDir.open(this.layers) : undefined;
    this.cache = createCache({ impl: options.cache?.impl, capacity: options.cache?.capacity });
    this.table = new EntryTable(this.cache);
    this.redirects = new RedirectIndex(this.cache, this.table);
    const clock = options.clock ?? (() => performance.now());
    this.resolver = new Resolver(this.cache, this.layers, this.table, this.redirects, options.policy, options.redirectDir, options.metacopy, clock, options.mountPoint);
    const index = new HardLinkIndex(options.index === true, this.layers, disk, (fn) => (this.upper !== undefined ? (this.upper as OwnWriter).asOwn(fn) : fn()));
    const copyUp = new CopyUp(this.layers, this.cache, this.table, this.inodes, options.metacopy, this.upper, index);
    this.listings = new Listings(this.layers, this.cache, this.table, this.resolver);
    const parts = { layers: this.layers, upper: this.upper, cache: this.cache, table: this.table, resolver: this.resolver, copyUp, inodes: this.inodes, index };
    this.inode = new InodeOps(parts);
    this.namespace = new Namespace({ ...parts, redirects: this.redirects, listings: this.listings, lookups: this, redirectDir: options.redirectDir, metacopy: options.metacopy });
    this.changes = new ChangeMapper(this.cache, this.table, this.redirects, this.resolver);
    this.feed = new ChangeFeed(this.cache, this.redirects);
    // index=on joins names whose attributes live in the index: not kept (conservative).
    this.statMemo = options.index === true ? undefined : statMemoFor(this.cache, this.layers);
    this.resources = subscribeWeakly(owner, this.layers, this.changes, this.cache, own, this.feed, this.statMemo);
    if (disk !== undefined) this.resources.unsubscribe.push(() => disk.close());
    this.views = [new Walked(this.cache), new Walked(this.cache), new Walked(this.cache)];
    this.readViews = [this.views[0]];
    this.sources = [...new Set(this.layers.map((l) => l?.changeSource).filter((c) => c !== undefined))] as ChangeSource[];
  }

  /**
   * Take in every change the layers can report now (a host change made before this operation
   * began): called first by every operation — never between the walks of one, whose views a
   * change could end.
   */
  catchUp(): void {
    const sources = this.sources;
    for (let i = 0; i < sources.length; i++) sources[i]!.deliver();
  }

  /**
   * After a read failed: rethrows `err` unless it is a layer's ESTALE (an object replaced between
   * the walk and the layer call) and the read is to run again — relaxed never fails on it; strict
   * fails with ESTALE naming `ePath`. `attempt` counts the runs so far (Resolver.afterLayerStale).
   */
  retryRead(err: unknown, attempt: number, syscall: string, ePath: string): void {
    this.resolver.afterLayerStale(err, attempt, this.readViews, syscall, ePath);
  }

  /** A read, run again (or ESTALE under strict) after a layer's ESTALE: see retryRead. */
  reading<T>(syscall: string, path: string, op: () => T): T {
    this.catchUp();
    for (let attempt = 0; ; attempt++) {
      try {
        return op();
      } catch (err) {
        this.retryRead(err, attempt, syscall, path);
      }
    }
  }

  /**
   * reading() for a write: every view it walked (both paths, the parent) is suspect. A write a
   * layer refused that way changed nothing (its journal undid its steps).
   */
  writing<T>(syscall: string, path: string, dest: string | undefined, op: () => T): T {
    this.catchUp();
    for (let attempt = 0; ; attempt++) {
      try {
        return op();
      } catch (err) {
        this.resolver.afterLayerStale(err, attempt, this.views, syscall, path, dest);
      }
    }
  }

  get closed(): boolean {
    return this.closedStats !== undefined;
  }

  /** Stop listening to the layers and give the cache back; every lookup is EBADF afterwards. */
  close(): void {
    if (this.closedStats !== undefined) return;
    this.closedStats = this.stats();
    this.statMemo?.close();
    this.feed.clear();
    release(this.resources);
  }

  /**
   * Walk `path` (following a final symlink when `follow`): the entry, or a negative view when the
   * last component does not exist. `slot` picks one of the reused views (0 unless an operation
   * holds several paths at once).
   */
  lookup(path: string, follow: boolean, syscall: string, ePath: string = path, eDest?: string, slot = 0): Walked {
    if (this.closedStats !== undefined) throw fsError('EBADF', syscall, ePath, eDest);
    return this.resolver.lookup(path, follow, syscall, ePath, eDest, this.views[slot]);
  }

  /** The entry a path names, or ENOENT. */
  existing(path: string, follow: boolean, syscall: string, ePath: string = path, eDest?: string, slot = 0): Walked {
    if (this.closedStats !== undefined) throw fsError('EBADF', syscall, ePath, eDest);
    const w = this.resolver.lookup(path, follow, syscall, ePath, eDest, this.views[slot]);
    if (!w.found) throw fsError('ENOENT', syscall, ePath, eDest);
    return w;
  }

  /**
   * Whole-path checks, then the walk of the parent directory (ENOENT/ENOTDIR unless it is one):
   * the path cut at its last component. The parent's own view is not handed out: the last
   * component's view names it (`parent`).
   */
  parentOf(path: string, syscall: string, ePath: string = path, eDest?: string): SplitPath {
    checkWholePath(path, syscall, ePath, eDest);
    const sp = splitPath(path);
    const dir = this.lookup(sp.parent, true, syscall, ePath, eDest, PARENT_SLOT);
    if (!dir.found) throw fsError('ENOENT', syscall, ePath, eDest);
    if (dir.type !== T_DIR) throw fsError('ENOTDIR', syscall, ePath, eDest);
    // A last '..' that would climb above the root is refused like any other (the contract's EINVAL).
    if (sp.last === '..' && dir.id === ROOT_ID) throw fsError('EINVAL', syscall, ePath, eDest);
    return sp;
  }

  /** The last component of a path whose parent was walked, never followed. */
  lookupLast(sp: SplitPath, syscall: string, ePath: string, eDest?: string, slot = 0): Walked {
    return this.lookup(sp.bare, false, syscall, ePath, eDest, slot);
  }

  /**
   * Whether `path` names something. Never throws: under a strict policy a stale entry is still
   * counted and dropped, and the answer comes from the fresh state (a plain `false` for an object
   * that exists would be a silently wrong answer).
   */
  exists(path: string): boolean {
    this.catchUp();
    const memo = this.statMemo;
    const known = memo === undefined ? -1 : memo.answer(path, true);
    if (known >= 0) return memo!.found(known);
    // As many tries as a read gets (Resolver.afterLayerStale): with 4, a host replacing the file in
    // a loop made strict answer false for an existing file under load (tests/relaxed-replace).
    // EAGAIN (a walk disturbed by change events MAX_RESTARTS times in a row) is such a moment
    // too: answering false there failed that test under relaxed, about one run in three.
    for (let attempt = 0; attempt < MAX_STALE_RETRIES; attempt++) {
      try {
        return this.lookup(path, true, 'access').found;
      } catch (err) {
        if (!hasCode(err, 'ESTALE') && !hasCode(err, 'EAGAIN')) return false;
      }
    }
    return false;
  }

  /** An operation on two paths fails with ESTALE once: both paths are flushed of stale entries. */
  onBothPaths(a: string, b: string, op: () => void): void {
    try {
      op();
    } catch (err) {
      if (hasCode(err, 'ESTALE')) {
        this.resolver.flush(a);
        this.resolver.flush(b);
      }
      throw err;
    }
  }

  /** Listen to changes of the merged view (engine/change-feed.ts); EBADF once closed. */
  subscribe(listener: OverlayListener): () => void {
    if (this.closedStats !== undefined) throw fsError('EBADF', 'watch');
    return this.feed.subscribe(listener);
  }

  /** The overlay path of a walked entry (symlinks resolved). */
  pathOf(w: Walked): string {
    return entryPath(this.cache, w.id);
  }

  readlink(w: Walked): string {
    return this.layers[w.layer]!.readlink(w.handle);
  }

  stats(): EngineCounters {
    if (this.closedStats !== undefined) return { ...this.closedStats };
    const c = this.cache.counters();
    const e = this.resolver.counters;
    const m = this.statMemo;
    return {
      hits: c.hits + (m?.hits ?? 0), misses: c.misses, negativeHits: c.negativeHits + (m?.negativeHits ?? 0), revalidations: e.revalidations,
      expired: c.expired, changed: c.changed, estale: e.estale, relookups: e.relookups,
      evictions: c.evictions, entries: c.entries, bytes: c.bytes,
    };
  }

  /** Forget what is cached for `path` (and below it), or everything. */
  invalidate(path: string | undefined): void {
    if (this.closedStats !== undefined) return;
    const id = path === undefined ? ROOT_ID : this.cache.lookupPath(path);
    if (id === ROOT_ID) {
      this.resolver.clearAll();
      return;
    }
    // A walk stopped in a layer call (which called this) must not resume on a removed entry.
    this.resolver.disturbed();
    if (id === NO_ENTRY) return;
    const parent = this.cache.parent(id);
    this.cache.remove(id);
    this.table.dropListing(parent);
  }
}

/**
 * finishIntent, never failing the open: a layer that cannot be written now (another writer holds
 * it) keeps the record, and the next open finishes it.
 */
function finishIntentQuietly(upper: Layer): void {
  try {
    finishIntent(upper);
  } catch {
    // Left for the next open.
  }
}
