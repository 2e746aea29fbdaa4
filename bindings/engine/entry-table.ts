// Per-entry data the cache record has no room for, in TS arrays indexed by entry id, so memory
// stays bounded by the cache capacity: a slot's data is reset whenever the overlay inserts an
// entry into it (every insert goes through `onInsert`). `gen` tells a reused slot from the entry
// that was there before.
import { ROOT_ID } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { LookupData } from './lookup.js';
import type { Listing } from './readdir.js';

export class EntryTable {
  /** Bumped on every insert into the slot. */
  readonly gen: number[] = [];
  /**
   * (layer, handle) pairs of the real objects (LookupData.reals) when there is more than one;
   * undefined: just the entry's own layer and handle.
   */
  readonly reals: (number[] | undefined)[] = [];
  /** Redirect pairs met by the lookup (see LookupData.redirects). */
  readonly redirects: ((number | string)[] | undefined)[] = [];
  /** The merged listing of a directory, until something in it changes. */
  readonly listings: (Listing | undefined)[] = [];
  /** Stable inode number, computed on first stat (0: not yet). */
  readonly inos: number[] = [];

  private readonly single = [0, 0];

  constructor(private readonly cache: DentryCache) {}

  onInsert(id: number, d: LookupData): void {
    this.gen[id] = (this.gen[id] ?? 0) + 1;
    this.reals[id] = d.reals.length > 2 ? d.reals.slice() : undefined;
    this.redirects[id] = d.redirects?.slice();
    this.listings[id] = undefined;
    this.inos[id] = 0;
  }

  /** The root's data: set once, survives cache.clear(). */
  setRoot(d: LookupData): void {
    this.gen[ROOT_ID] = (this.gen[ROOT_ID] ?? 0) + 1;
    this.reals[ROOT_ID] = d.reals.slice();
    this.redirects[ROOT_ID] = undefined;
    this.listings[ROOT_ID] = undefined;
    this.inos[ROOT_ID] = 0;
  }

  /**
   * The real objects of entry `id`, top-down (a directory's merged directories). For a single
   * one this is a shared scratch array: read it before the next call.
   */
  realsOf(id: number): readonly number[] {
    const reals = this.reals[id];
    if (reals !== undefined) return reals;
    this.single[0] = this.cache.layer(id);
    this.single[1] = this.cache.handle(id);
    return this.single;
  }

  /** The entry now has these real objects (a copy-up added an upper one). */
  setReals(id: number, reals: number[]): void {
    this.reals[id] = reals.length > 2 ? reals : undefined;
    this.listings[id] = undefined;
    this.inos[id] = 0;
  }

  dropListing(id: number): void {
    if (id < this.listings.length) this.listings[id] = undefined;
  }

  forgetIno(id: number): void {
    if (id < this.inos.length) this.inos[id] = 0;
  }

  /** After cache.clear(): nothing but the root's data is worth keeping. */
  clear(): void {
    this.reals.length = 1;
    this.redirects.length = 1;
    this.listings.length = 1;
    this.listings[ROOT_ID] = undefined;
    this.inos.length = 1;
    // `gen` is kept: slots handed out again must not match an old (id, gen) pair.
  }

  /** True while (id, gen) still names the entry that was there when gen was read. */
  same(id: number, gen: number): boolean {
    return this.gen[id] === gen && this.cache.alive(id);
  }
}
