// Overlay.subscribe: changes to the merged view, in overlay paths, for watchers (the fs adapter's
// watch/watchFile). Both sources arrive as layer notifications — changes underneath, which the
// change mapper has already applied to the cache, and the overlay's own writes — and are
// delivered together on a microtask, after the operation that caused them has returned: a
// listener that looks sees the new state. A change in a lower that an upper object hides is
// still reported (a spurious event is harmless to a watcher; a missed one is not).
import { NO_ENTRY, T_DIR, T_NONE } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { LayerChange } from '../layers/layer.js';
import { joinPath, type RedirectIndex } from './redirects.js';

/** A change to the merged view. */
export interface OverlayChange {
  /** The overlay path that changed (a directory itself for opaque/redirect changes). */
  path: string;
  /**
   * What happened, in layer terms; an own copy-up (a new upper object over a visible lower one)
   * is 'replace', since the merged view had the name before.
   */
  kind: LayerChange['kind'];
  /** Which layer changed: 'upper' or the index into `lowers`. */
  layer: 'upper' | number;
  /** True for the overlay's own writes. */
  own: boolean;
}

export type OverlayListener = (change: OverlayChange) => void;

export class ChangeFeed {
  private readonly listeners = new Set<OverlayListener>();
  private queue: OverlayChange[] = [];
  private scheduled = false;

  constructor(private readonly cache: DentryCache, private readonly redirects: RedirectIndex) {}

  subscribe(listener: OverlayListener): () => void {
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  clear(): void {
    this.listeners.clear();
    this.queue = [];
  }

  /** A layer reported `change` (already applied to the cache when it was not `own`). */
  layerChanged(layer: number, change: LayerChange, own: boolean): void {
    if (this.listeners.size === 0) return;
    const named = change.name !== '';
    const path = named ? joinPath(change.dir, change.name) : change.dir;
    let kind = change.kind;
    // Runs inside the write, before the engine updates the entry: a positive entry means the name
    // was visible already, so a new upper object there is a copy-up — of a directory, invisible
    // in the merged view (an ancestor of the object written); of anything else, a change of it.
    if (own && kind === 'create') {
      const type = this.visibleType(path);
      if (type === T_DIR) return;
      if (type !== T_NONE) kind = 'replace';
    }
    const who = layer === 0 ? 'upper' : layer - 1;
    if (!this.redirects.shadows(layer, path)) this.queue.push({ path, kind, layer: who, own });
    this.redirects.translate(layer, path, (overlayPath) => this.queue.push({ path: overlayPath, kind, layer: who, own }));
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** The cached entry's type at `path`, T_NONE when there is none or it is negative. */
  private visibleType(path: string): number {
    const id = this.cache.lookupPath(path);
    return id === NO_ENTRY ? T_NONE : this.cache.type(id);
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const seen = new Set<string>();
    for (const c of batch) {
      const key = `${c.kind}\0${c.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const listener of [...this.listeners]) {
        try {
          listener(c);
        } catch (err) {
          // A throwing listener must not starve the others: report it as an uncaught error would be.
          queueMicrotask(() => { throw err; });
        }
      }
    }
  }
}
