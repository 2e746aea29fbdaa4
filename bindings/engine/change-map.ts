// Change detection: a LayerChange (a layer-relative directory and name) is mapped onto the cached
// entries it can affect, which are then marked — never walked: marking a directory makes every
// cached descendant fail through it, so each change costs O(path length), not O(subtree).
// - An entry that never consulted the changed layer (layer > its `lowest`) is left alone.
// - A negative entry relied on no real object: it is dropped quietly (the next lookup is a miss).
// - A positive entry is invalidated (the policy decides at the next walk), or expired for 'expire'.
//   A directory's whole subtree expiring (name '') is forgotten, quietly: an expiry is never an
//   error, and what is below can no longer be trusted either (its watch ended, events were lost).
// - The changed name's directory loses its cached listing.
// - 'data'/'meta' changes affect nothing cached — contents and attributes are read from the
//   layers — except where the data comes from: a file entry's real objects end at the first file
//   below that is not metacopy, and a data write (or an xattr change) turns that on or off. Such an
//   entry is dropped quietly: the object is the same, only the lookup's metacopy chain moved.
import { NO_ENTRY, ROOT_ID, T_FILE, T_NONE } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { LayerChange } from '../layers/layer.js';
import type { EntryTable } from './entry-table.js';
import { joinPath, type RedirectIndex } from './redirects.js';

export class ChangeMapper {
  constructor(
    private readonly cache: DentryCache,
    private readonly table: EntryTable,
    private readonly redirects: RedirectIndex,
    /** Told of every change first: a lookup in progress may have read the layer before it. */
    private readonly walks: { disturbed(): void; clearAll(): void },
  ) {}

  apply(layer: number, change: LayerChange): void {
    this.walks.disturbed();
    const named = change.name !== '';
    const path = named ? joinPath(change.dir, change.name) : change.dir;
    const kind = change.kind;
    if (kind === 'data' || kind === 'meta') {
      // Attributes are never cached, but an origin xattr decides the inode number we remember,
      // and the metacopy mark decides which object holds a file's data.
      this.contentChanged(path, layer, kind);
      this.redirects.translate(layer, path, (p) => this.contentChanged(p, layer, kind));
      return;
    }
    // The same path in the overlay, unless a redirected directory on the way looks elsewhere.
    if (kind === 'expire' && !named) {
      this.forget(layer, path);
      this.redirects.translate(layer, path, (overlayPath) => this.forget(layer, overlayPath));
      return;
    }
    if (!this.redirects.shadows(layer, path)) {
      this.mark(layer, path, change.kind);
      if (named) this.dropListing(layer, change.dir);
    }
    this.redirects.translate(layer, path, (overlayPath, inside) => {
      this.mark(layer, overlayPath, change.kind);
      if (inside && named) this.dropListing(layer, parentOf(overlayPath));
    });
  }

  private mark(layer: number, path: string, kind: LayerChange['kind']): void {
    const id = this.cache.lookupPath(path);
    if (id === NO_ENTRY || layer > this.cache.lowest(id)) return;
    this.table.dropListing(id);
    if (kind === 'expire') this.cache.expire(id);
    else if (this.cache.type(id) === T_NONE) this.cache.remove(id);
    else this.cache.invalidate(id);
  }

  /** Drop the entry at `path` and everything cached below it (the root: everything). */
  private forget(layer: number, path: string): void {
    const id = this.cache.lookupPath(path);
    if (id === NO_ENTRY || layer > this.cache.lowest(id)) return;
    if (id === ROOT_ID) this.walks.clearAll();
    else this.cache.remove(id);
  }

  private dropListing(layer: number, dirPath: string): void {
    const id = this.cache.lookupPath(dirPath);
    if (id !== NO_ENTRY && layer <= this.cache.lowest(id)) this.table.dropListing(id);
  }

  private contentChanged(path: string, layer: number, kind: 'data' | 'meta'): void {
    const id = this.cache.lookupPath(path);
    if (id === NO_ENTRY || layer > this.cache.lowest(id)) return;
    // A data write clears a metacopy mark (a full file's answer cannot change); an xattr change
    // may set or clear it on any file.
    const chain = this.table.reals[id] !== undefined;
    if (this.cache.type(id) === T_FILE && (chain || kind === 'meta')) this.cache.remove(id);
    else if (kind === 'meta') this.table.forgetIno(id);
  }
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
