// The lookup loop: walk a path through the dentry cache; where the walk stops, resolve that one
// component from the layers (lookup.ts), insert it, and resume. Expired, changed and dead entries
// meet the policy here — the one place it is applied — so every operation revalidates the same
// way. The answer leaves as a Walked view; the cache's raw result slots never leave this file.
import {
  MAX_SYMLINKS, NO_ENTRY, RES_FLAGS, ROOT_ID, RES_HANDLE, RES_ID, RES_INDEX, RES_LAST, RES_LAYER, RES_PARENT, RES_TYPE,
  T_NONE, WALK_CHANGED, WALK_ENAMETOOLONG, WALK_EXPIRED, WALK_FOLLOW, WALK_FOUND, WALK_MISS,
  WALK_NEGATIVE, WALK_NOTDIR, WALK_SYMLINK,
} from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import { fsError, hasCode } from '../errors.js';
import type { Policy } from '../policy.js';
import type { Walked } from './walked.js';
import { CacheClock } from './cache-clock.js';
import type { EntryTable } from './entry-table.js';
import { LookupData, lookupName, lookupRoot, type LayerStack } from './lookup.js';
import type { MountPoint } from './mount-point.js';
import type { RedirectIndex } from './redirects.js';

/**
 * A walk that met this many disturbances (see Resolver.disturbed) in a row, and RETRY_BUDGET_MS
 * more, gives up with EAGAIN: a layer that changes or re-enters the overlay on every lookup has
 * no answer to cache.
 */
export const MAX_RESTARTS = 8;
/** fill()/revalidate()/… outcome: the walk's state can no longer be trusted; walk again. */
const RESTART = -2;
/** revalidate() outcome: the expired entry's objects changed; the policy treats it as changed. */
const DIFFERENT = -3;
/**
 * fill()/…/readlink outcome: a layer found the object behind a cached entry dead (ESTALE: it was
 * replaced or removed under us). The entry is dropped; the walk starts again, as after a change.
 */
const DEAD = -4;
/** guarded()'s answer when the layer call failed with ESTALE of its own. */
const LAYER_STALE: unique symbol = Symbol('layer object dead');
/**
 * An operation whose layer calls meet dead objects this many times in a row gives up with EAGAIN
 * (relaxed; strict fails the first time with ESTALE): see Resolver.afterLayerStale.
 */
export const MAX_STALE_RETRIES = 16;
/**
 * Past those counts an operation keeps retrying this long before it gives up with EAGAIN. A host
 * replacing a file in a loop can win the race between a lookup and the layer call that uses its
 * answer many times in a row when this process is slow (a loaded machine; each attempt is several
 * host calls): a count alone made relaxed fail with EAGAIN about one run in two there
 * (tests/relaxed-replace). A layer whose objects die every time still ends in EAGAIN, not a hang.
 */
const RETRY_BUDGET_MS = 100;

/**
 * Retry bookkeeping past a count limit: the deadline to keep (set by the first retry past the
 * limit; the clock is read only past it), or -1 when the budget is spent.
 */
function retryDeadline(count: number, limit: number, deadline: number): number {
  if (count <= limit) return deadline;
  const now = performance.now();
  if (count === limit + 1) return now + RETRY_BUDGET_MS;
  return now > deadline ? -1 : deadline;
}

/** The engine's own counters; the cache counts hits, misses, expired, changed, evictions. */
export interface EngineCounters {
  /** Expired entries checked against their layers. */
  revalidations: number;
  /** Operations failed with ESTALE by the policy. */
  estale: number;
  /** Stale entries dropped and looked up again (under every policy: strict does it before failing). */
  relookups: number;
}

export class Resolver {
  readonly counters: EngineCounters = { revalidations: 0, estale: 0, relookups: 0 };
  /** One lookup struct per nesting level: a layer may re-enter the overlay during a lookup. */
  private readonly scratch: LookupData[] = [];
  private nesting = 0;
  private readonly clock: CacheClock;
  /**
   * Some answer has been given a deadline (sticky). Until then no cached entry has one, and a
   * walk needs no clock read (≈ 50 ns of performance.now() per walk).
   */
  private timed = false;
  /**
   * Bumped by everything that can invalidate a walk in progress from outside it: a change
   * notification (the answer being looked up may predate it), another walk started while this
   * one is stopped in a layer call (re-entrancy: the cache's walk state is shared), a clear().
   */
  private events = 0;
  /** afterLayerStale's retry deadline, for the operation retrying now (see retryDeadline). */
  private staleDeadline = 0;
  /** The ESTALE errors the policy made (a layer's own ESTALE is not one of them). */
  private readonly policyErrors = new WeakSet<object>();

  constructor(
    readonly cache: DentryCache,
    readonly layers: LayerStack,
    readonly table: EntryTable,
    readonly redirects: RedirectIndex,
    readonly policy: Policy,
    readonly followRedirects: boolean,
    readonly followMetacopy: boolean,
    source: () => number,
    /** Absolute link targets under it resolve inside the overlay (engine/mount-point.ts). */
    private readonly mount?: MountPoint,
  ) {
    this.clock = new CacheClock(source, () => this.clearAll());
    this.installRoot();
  }

  /** Cache time (engine/cache-clock.ts): whole milliseconds from 1; deadline 1 is past. */
  now(): number { return this.clock.now(); }

  /** Forget everything cached but the root (the layers' roots are looked up again). */
  clearAll(): void {
    // A walk stopped in a layer call (which got here) must not resume on removed entries.
    this.disturbed();
    this.cache.clear();
    this.table.clear();
    this.redirects.clear();
    this.installRoot();
  }

  /** Something outside the walk in progress changed what it relies on (see `events`). */
  disturbed(): void {
    this.events++;
  }

  /** The disturbance count: equal before and after a layer call means nothing got in between. */
  mark(): number {
    return this.events;
  }

  installRoot(): void {
    const d = new LookupData();
    lookupRoot(this.layers, d);
    this.cache.setRoot(d.flags, d.layer, d.lowest, d.handle);
    this.table.setRoot(d);
  }

  /** Deadline for an answer that consulted layers 0..lowest (0: never expires). */
  deadline(lowest: number, now: number): number {
    // Smallest TTL among layers 0..lowest, read now: a layer's TTL may change (DirLayer falls
    // back to one when a directory cannot be watched).
    let ttl = 0;
    for (let i = 0; i <= lowest && i < this.layers.length; i++) {
      const t = this.layers[i]?.ttlMs ?? 0;
      if (t > 0 && (ttl === 0 || t < ttl)) ttl = t;
    }
    if (ttl === 0) return 0;
    if (!this.timed) {
      // The first deadline: the walk that asks may have run on the untimed clock.
      this.timed = true;
      now = this.clock.now();
    }
    return this.clock.deadline(now, ttl);
  }

  /**
   * Walk `path` to its entry, or to the negative entry of a missing last component, into `into`;
   * every other outcome throws a Node-style error for `syscall` naming `ePath` (and `eDest`).
   *
   * When the policy makes a stale entry an error, the walk still replaces every stale entry on
   * the path with a fresh answer before failing, once, with ESTALE: the next operation on the
   * same path then sees the new state, however many entries on it had changed. A found entry
   * whose layer object died without the layer telling us is stale the same way.
   */
  lookup(path: string, follow: boolean, syscall: string, ePath: string, eDest: string | undefined, into: Walked): Walked {
    let stale = false;
    let disturbances = 0;
    let deadline = 0;
    for (let attempt = 0; ; attempt++) {
      let status: number;
      try {
        status = this.run(path, follow, true, syscall, ePath, eDest, into);
      } catch (err) {
        if (stale && !hasCode(err, 'ESTALE')) throw this.estale(syscall, ePath, eDest);
        throw err;
      }
      const r = this.cache.result;
      into.peeked = undefined;
      let alive = true;
      if (status === WALK_FOUND && attempt <= 2) {
        const mark = this.events;
        alive = this.isLive(r[RES_LAYER], r[RES_HANDLE], into);
        // Something got in during the layer call: the result record may be another walk's now.
        if (this.events !== mark) {
          deadline = retryDeadline(++disturbances, MAX_RESTARTS, deadline);
          if (deadline < 0) throw fsError('EAGAIN', syscall, ePath, eDest);
          attempt--;
          continue;
        }
      }
      if (alive) {
        if (stale) throw this.estale(syscall, ePath, eDest);
        return this.view(status, into);
      }
      if (this.staleHandle(r[RES_ID])) stale = true;
    }
  }

  /** alive(h), or for a layer that can peek its stat record, that record (kept in the view). */
  private isLive(L: number, h: number, into: Walked): boolean {
    const layer = this.layers[L]!;
    // Kept even for a watched DirLayer: its events arrive asynchronously, and this check is what
    // makes a host change visible to the very next call (tests/dir-layer-overlay.test.ts).
    if (layer.peekStat === undefined) return layer.alive(h);
    into.peeked = layer.peekStat(h);
    return into.peeked !== undefined;
  }

  private view(status: number, into: Walked): Walked {
    const r = this.cache.result;
    const id = r[RES_ID];
    into.found = status === WALK_FOUND;
    into.id = id;
    into.parent = r[RES_PARENT];
    into.gen = this.table.gen[id] ?? 0;
    into.type = r[RES_TYPE];
    into.flags = r[RES_FLAGS];
    into.layer = r[RES_LAYER];
    into.handle = r[RES_HANDLE];
    into.last = r[RES_LAST] === 1;
    into.index = r[RES_INDEX];
    return into;
  }

  /**
   * Walk `path` only to replace the stale entries on it, answering nothing and counting no
   * ESTALE: an operation on two paths that fails on one flushes the other too.
   */
  flush(path: string): void {
    try {
      this.run(path, false, false, 'lstat', path);
    } catch {
      // Only the side effect matters.
    }
  }

  /** A stale entry was met and replaced: the operation fails with ESTALE (counted once). */
  private estale(syscall: string, ePath: string, eDest?: string): Error {
    this.counters.estale++;
    const err = fsError('ESTALE', syscall, ePath, eDest);
    this.policyErrors.add(err);
    return err;
  }

  /** A layer's ESTALE: one of its objects died under an operation (not the policy's error). */
  isLayerStale(err: unknown): boolean {
    return hasCode(err, 'ESTALE') && !this.policyErrors.has(err as object);
  }

  /**
   * An operation failed because a layer found an object dead between the walk and the layer
   * call (a host process replaced a file). `err` is rethrown unless it is such an ESTALE; then
   * the entries the operation walked are dropped — the entry, on a repeat its parent, then the
   * whole cache — and under relaxed the caller runs the operation again (EAGAIN after
   * MAX_STALE_RETRIES in a row and RETRY_BUDGET_MS more); under strict it fails once with ESTALE
   * naming its own path.
   */
  afterLayerStale(err: unknown, attempt: number, views: readonly Walked[], syscall: string, ePath: string, eDest?: string): void {
    if (!this.isLayerStale(err)) throw err;
    this.counters.relookups++;
    const strict = this.policy.onChanged === 'estale';
    const level = strict ? 1 : attempt;
    if (level >= 2 || !views.every((w) => this.dropWalked(w, level))) this.clearAll();
    if (strict) throw this.estale(syscall, ePath, eDest);
    this.staleDeadline = retryDeadline(attempt, MAX_STALE_RETRIES - 1, this.staleDeadline);
    if (this.staleDeadline < 0) throw fsError('EAGAIN', syscall, ePath, eDest);
  }

  /** Drop a walked entry (level 0) or its parent (1); false when the view no longer names it. */
  private dropWalked(w: Walked, level: number): boolean {
    if (w.id === NO_ENTRY || !this.table.same(w.id, w.gen) || this.cache.parent(w.id) !== w.parent) return false;
    const id = level === 0 ? w.id : w.parent;
    if (id === ROOT_ID || id === NO_ENTRY) return false;
    this.cache.remove(id);
    this.disturbed();
    return true;
  }

  /**
   * The walk loop. A stale entry the policy makes an error is replaced like any other and the
   * walk goes on; at its end, or at an error on the way, the walk fails with ESTALE (once) if
   * `failStale` — so the next operation on the path sees the new state.
   */
  private run(path: string, follow: boolean, failStale: boolean, syscall: string, ePath: string, eDest?: string, into?: Walked): number {
    const cache = this.cache;
    const policy = this.policy;
    const now = this.timed ? this.clock.tick() : 1;
    const opts = follow ? WALK_FOLLOW : 0;
    this.events++;
    let mark = this.events;
    let status = cache.walk(path, now, opts);
    if (into !== undefined) into.pure = status === WALK_FOUND || status === WALK_NEGATIVE;
    let links = 0;
    let stale = false;
    let deadline = 0;
    try {
      for (let restarts = 0; ;) {
        switch (status) {
          case WALK_FOUND:
          case WALK_NEGATIVE:
            if (stale && failStale) {
              stale = false;
              throw this.estale(syscall, ePath, eDest);
            }
            return status;
          case DEAD:
          case RESTART:
            // A layer object died under the walk (a change like any other: strict fails at the
            // end), or a layer call let something in: walk again from the top (stale entries
            // the interruption marked meet the policy like any others).
            if (status === DEAD && policy.onChanged === 'estale') stale = true;
            deadline = retryDeadline(++restarts, MAX_RESTARTS, deadline);
            if (deadline < 0) throw fsError('EAGAIN', syscall, ePath, eDest);
            this.events++;
            mark = this.events;
            status = cache.walk(path, now, opts);
            links = 0;
            break;
          case WALK_MISS:
            status = this.fill(now, mark, syscall, ePath, eDest);
            break;
          case WALK_EXPIRED:
            this.counters.revalidations++;
            if (policy.onExpired === 'estale') {
              stale = true;
              status = this.requery(now, mark, syscall, ePath, eDest);
              break;
            }
            status = this.revalidate(now, mark, syscall, ePath, eDest);
            if (status !== DIFFERENT) break;
            if (policy.onChanged === 'estale') stale = true;
            status = this.requery(now, mark, syscall, ePath, eDest);
            break;
          case WALK_CHANGED:
            if (policy.onChanged === 'estale') stale = true;
            status = this.requery(now, mark, syscall, ePath, eDest);
            break;
          case WALK_SYMLINK: {
            if (++links > MAX_SYMLINKS) throw fsError('ELOOP', syscall, ePath, eDest);
            const r = cache.result;
            const target = this.guarded(mark, () => this.layers[r[RES_LAYER]]!.readlink(r[RES_HANDLE]));
            if (target === undefined) { status = RESTART; break; }
            if (target === LAYER_STALE) { status = this.dead(r[RES_ID]); break; }
            if (target === '') throw fsError('ENOENT', syscall, ePath, eDest);
            status = cache.follow(this.mount === undefined ? target : this.mount.map(target), now);
            break;
          }
          case WALK_NOTDIR:
            throw fsError('ENOTDIR', syscall, ePath, eDest);
          case WALK_ENAMETOOLONG:
            throw fsError('ENAMETOOLONG', syscall, ePath, eDest);
          default:
            throw fsError('EINVAL', syscall, ePath, eDest);
        }
      }
    } catch (err) {
      if (stale && failStale) throw this.estale(syscall, ePath, eDest);
      throw err;
    }
  }

  /**
   * Resolve `name` in directory entry `parent` from the layers, into this nesting level's struct
   * (read it before the next layer call).
   */
  lookupChild(parent: number, name: string): LookupData {
    const level = this.nesting;
    const d = this.scratch[level] ??= new LookupData();
    this.nesting = level + 1;
    try {
      lookupName(this.layers, this.table.realsOf(parent), name, this.followRedirects, this.followMetacopy, d);
    } finally {
      this.nesting = level;
    }
    return d;
  }

  /**
   * Run a layer call; undefined when something got in meanwhile (see `events`), in which case
   * its answer — or its error, which may come from state changed under it — is not to be used.
   */
  private guarded<T>(mark: number, call: () => T): T | undefined | typeof LAYER_STALE {
    let value: T;
    try {
      value = call();
    } catch (err) {
      if (this.events !== mark) return undefined;
      if (this.isLayerStale(err)) return LAYER_STALE;
      throw err;
    }
    return this.events === mark ? value : undefined;
  }

  /** A layer found the object behind entry `id` dead: drop it (the root: everything); walk again. */
  private dead(id: number): number {
    this.counters.relookups++;
    if (id === ROOT_ID) this.clearAll();
    else this.cache.remove(id);
    return DEAD;
  }

  /** Look `name` up again in `parent` and cache the fresh answer (after the overlay wrote it). */
  relookup(parent: number, name: string): number {
    const mark = this.events;
    const d = this.guarded(mark, () => this.lookupChild(parent, name));
    // Disturbed (or the parent died): the answer may be older than a change. Caching nothing is always right.
    if (d === undefined || d === LAYER_STALE) { this.forget(parent, name); return NO_ENTRY; }
    if (d.broken || d.refused) { this.forget(parent, name); return NO_ENTRY; }
    const id = this.cache.insert(parent, name, d.type, d.flags, d.layer, d.lowest, d.handle, this.deadline(d.lowest, this.clock.now()));
    if (id !== NO_ENTRY) this.noteInsert(id, d);
    return id;
  }

  /** Drop a cached answer quietly (the overlay changed it and will not re-look it up now). */
  forget(parent: number, name: string): void {
    const id = this.cache.lookup(parent, name);
    if (id !== NO_ENTRY) this.cache.remove(id);
  }

  /**
   * A found entry's layer object died without a notification: drop it (the caller walks again).
   * True when the policy wants the operation to fail with ESTALE once that walk is done.
   */
  private staleHandle(id: number): boolean {
    this.cache.remove(id);
    this.counters.relookups++;
    return this.policy.onChanged === 'estale';
  }

  private noteInsert(id: number, d: LookupData): void {
    this.table.onInsert(id, d);
    if (d.redirects !== undefined) this.redirects.note(id);
  }

  private fill(now: number, mark: number, syscall: string, ePath: string, eDest?: string): number {
    const cache = this.cache;
    const parent = cache.result[RES_PARENT];
    const name = cache.stoppedName();
    const d = this.guarded(mark, () => this.lookupChild(parent, name));
    if (d === undefined) return RESTART;
    if (d === LAYER_STALE) return this.dead(parent);
    // A metacopy file without its data (or refused: metacopy off) is not cached: every walk to it
    // fails, as in the kernel.
    if (d.broken) throw fsError('EIO', syscall, ePath, eDest);
    if (d.refused) throw fsError('EPERM', syscall, ePath, eDest);
    const id = cache.insertStopped(d.type, d.flags, d.layer, d.lowest, d.handle, this.deadline(d.lowest, now));
    if (id === NO_ENTRY) throw fsError('EIO', syscall, ePath, eDest);
    this.noteInsert(id, d);
    return cache.resume(id, now);
  }

  /** An expired entry: kept if the layers give the same objects, else DIFFERENT. */
  private revalidate(now: number, mark: number, syscall: string, ePath: string, eDest?: string): number {
    const cache = this.cache;
    const id = cache.result[RES_ID];
    const parent = cache.result[RES_PARENT];
    const name = cache.stoppedName();
    const d = this.guarded(mark, () => this.lookupChild(parent, name));
    if (d === undefined) return RESTART;
    if (d === LAYER_STALE) return this.dead(parent);
    if (this.sameAnswer(id, d)) {
      // Same objects: the entry stays. A directory's listing is re-read, though: the layer no
      // longer vouched for it either.
      cache.refresh(id, this.deadline(d.lowest, now));
      this.table.dropListing(id);
      return cache.resume(id, now);
    }
    // A negative entry relied on no real object: a name that appeared is simply looked up.
    if (cache.type(id) === T_NONE) return this.requery(now, mark, syscall, ePath, eDest);
    return DIFFERENT;
  }

  /** Drop the entry the walk stopped at (its cached descendants become unreachable) and look the name up again. */
  private requery(now: number, mark: number, syscall: string, ePath: string, eDest?: string): number {
    this.counters.relookups++;
    this.cache.remove(this.cache.result[RES_ID]);
    return this.fill(now, mark, syscall, ePath, eDest);
  }

  private sameAnswer(id: number, d: LookupData): boolean {
    const cache = this.cache;
    if (cache.type(id) !== d.type || cache.flags(id) !== d.flags || cache.layer(id) !== d.layer ||
      cache.lowest(id) !== d.lowest || cache.handle(id) !== d.handle) return false;
    if (d.reals.length <= 2) return this.table.reals[id] === undefined;
    const reals = this.table.realsOf(id);
    if (reals.length !== d.reals.length) return false;
    for (let i = 0; i < reals.length; i++) if (reals[i] !== d.reals[i]) return false;
    return true;
  }
}
