// Merged directory listings (docs/semantics.md fact 9): each name once, the topmost entry winning (its
// type), whiteouts never listed. A listing is cached per directory entry (EntryTable.listings)
// until a change in that directory drops it; an expiring layer gives it a deadline too.
import type { DentryCache } from '../cache/dentry-cache.js';
import { WHITEOUT, type Handle } from '../layers/layer.js';
import type { EntryTable } from './entry-table.js';
import type { LayerStack } from './lookup.js';
import type { Resolver } from './resolver.js';
import { Dirent } from './stats.js';

export interface Listing {
  /** Visible names, sorted by UTF-16 code units (a stable order for every overlay). */
  readonly names: string[];
  /** Where each name's topmost object lives: layer index and handle, parallel to `names`. */
  readonly layers: Uint8Array;
  readonly handles: Int32Array;
  /** Type bits of each name's mode (S_IFMT), filled on the first readdir withFileTypes. */
  modes: Int32Array | undefined;
  /** Type bits the layers gave with the names (listEntries), -1 where unknown. */
  readonly knownModes: Int32Array | undefined;
  /** 0: valid until dropped; else the cache clock time it expires at. */
  readonly deadline: number;
}

/** Merge the listings of a directory's real directories ((layer, handle) pairs, top-down). */
export function mergeListing(layers: LayerStack, dirs: readonly number[], deadline: number): Listing {
  const seen = new Set<string>();
  const found: { name: string; layer: number; handle: Handle; mode: number }[] = [];
  let anyKnown = false;
  for (let k = 0; k < dirs.length; k += 2) {
    const layer = layers[dirs[k]]!;
    const dir = dirs[k + 1];
    // A layer that lists with handles and types in one pass saves a lookup and a stat per name.
    const entries = layer.listEntries?.(dir);
    if (entries !== undefined) {
      for (let i = 0; i < entries.names.length; i++) {
        const name = entries.names[i];
        if (seen.has(name)) continue;
        seen.add(name);
        const h = entries.handles[i];
        if (h !== WHITEOUT && h > 0) found.push({ name, layer: dirs[k], handle: h, mode: entries.modes[i] });
      }
      anyKnown = true;
      continue;
    }
    for (const name of layer.list(dir)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const h = layer.lookup(dir, name);
      if (h === WHITEOUT || h <= 0) continue;
      found.push({ name, layer: dirs[k], handle: h, mode: -1 });
    }
  }
  found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const n = found.length;
  const listing: Listing = {
    names: new Array<string>(n),
    layers: new Uint8Array(n),
    handles: new Int32Array(n),
    modes: undefined,
    knownModes: anyKnown ? new Int32Array(n) : undefined,
    deadline,
  };
  for (let i = 0; i < n; i++) {
    listing.names[i] = found[i].name;
    listing.layers[i] = found[i].layer;
    listing.handles[i] = found[i].handle;
    if (listing.knownModes !== undefined) listing.knownModes[i] = found[i].mode;
  }
  return listing;
}

/** Fill in the type bits of every listed name (one stat per name, once per listing). */
export function listingModes(layers: LayerStack, listing: Listing): Int32Array {
  if (listing.modes !== undefined) return listing.modes;
  const modes = new Int32Array(listing.names.length);
  for (let i = 0; i < modes.length; i++) {
    const known = listing.knownModes?.[i] ?? -1;
    modes[i] = known >= 0 ? known : layers[listing.layers[i]]!.stat(listing.handles[i]).mode & 0o170000;
  }
  listing.modes = modes;
  return modes;
}

/** The listing cache: a directory entry's merged listing, read once until something drops it. */
export class Listings {
  constructor(
    private readonly layers: LayerStack,
    private readonly cache: DentryCache,
    private readonly table: EntryTable,
    private readonly resolver: Resolver,
  ) {}

  /** The merged listing of directory entry `id`. */
  of(id: number): Listing {
    const now = this.resolver.now();
    let listing = this.table.listings[id];
    if (listing === undefined || (listing.deadline !== 0 && now >= listing.deadline)) {
      const gen = this.table.gen[id];
      const mark = this.resolver.mark();
      listing = mergeListing(this.layers, this.table.realsOf(id).slice(), this.resolver.deadline(this.cache.lowest(id), now));
      // Cached only if nothing got in while the layers were read: a change notified meanwhile
      // already dropped the listing it would have made stale.
      if (this.resolver.mark() === mark && this.table.same(id, gen)) this.table.listings[id] = listing;
    }
    return listing;
  }

  isEmpty(id: number): boolean {
    return this.of(id).names.length === 0;
  }

  /** readdir: the names (a copy), or Dirents naming `path` as their parent. */
  readdir(id: number, path: string, withFileTypes: boolean): string[] | Dirent[] {
    const listing = this.of(id);
    if (!withFileTypes) return listing.names.slice();
    const modes = listingModes(this.layers, listing);
    return listing.names.map((name, i) => new Dirent(name, path, modes[i]));
  }
}

/**
 * `listing` with one name changed in place of a rebuild (a write through the overlay changed it):
 * `at` is where the name's topmost object now lives, undefined when the name is no longer visible.
 * O(n) array copies instead of re-reading every layer (a 1e5-name directory rebuilt after each
 * write cost seconds). Type bits known before are kept; the changed name's are looked up on demand.
 */
export function listingWithName(listing: Listing, name: string, at: { layer: number; handle: Handle } | undefined): Listing {
  const names = listing.names;
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid] < name) lo = mid + 1;
    else hi = mid;
  }
  const present = lo < names.length && names[lo] === name;
  const known = listing.modes ?? listing.knownModes;
  if (at === undefined && !present) return listing;
  const n = names.length + (at === undefined ? -1 : present ? 0 : 1);
  const out: Listing = {
    names: new Array<string>(n),
    layers: new Uint8Array(n),
    handles: new Int32Array(n),
    modes: undefined,
    knownModes: new Int32Array(n),
    deadline: listing.deadline,
  };
  let j = 0;
  const copy = (i: number) => {
    out.names[j] = names[i];
    out.layers[j] = listing.layers[i];
    out.handles[j] = listing.handles[i];
    out.knownModes![j] = known?.[i] ?? -1;
    j++;
  };
  for (let i = 0; i < lo; i++) copy(i);
  if (at !== undefined) {
    out.names[j] = name;
    out.layers[j] = at.layer;
    out.handles[j] = at.handle;
    out.knownModes![j] = -1;
    j++;
  }
  for (let i = present ? lo + 1 : lo; i < names.length; i++) copy(i);
  return out;
}
