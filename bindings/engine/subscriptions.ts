// An overlay's subscriptions to its layers, held so that they do not keep the overlay alive: each
// listener reaches the change mapper through a WeakRef, and once the overlay is collected a
// FinalizationRegistry unsubscribes and gives the dentry cache back (a WASM instance is pooled).
// The listeners are made here, outside the Overlay class, on purpose: a closure made inside an
// Overlay method shares that method's context, `this` included, and would pin the overlay to
// every layer it ever used. A listener skips the overlay's own writes (engine/own-writes.ts).
import type { DentryCache } from '../cache/dentry-cache.js';
import type { Layer, LayerChange } from '../layers/layer.js';
import type { ChangeFeed } from './change-feed.js';
import type { ChangeMapper } from './change-map.js';
import type { LayerStack } from './lookup.js';
import type { OwnWrites } from './own-writes.js';
import type { StatMemo } from './stat-memo.js';

/** What an overlay holds on to until close() or collection. Must not reference the overlay. */
export interface OverlayResources {
  readonly unsubscribe: (() => void)[];
  readonly cache: DentryCache;
  released: boolean;
}

const finalizer = new FinalizationRegistry<OverlayResources>((resources) => release(resources));

/** Subscribe `changes` to every layer of the stack on behalf of `owner` (weakly, see above). */
export function subscribeWeakly(owner: object, layers: LayerStack, changes: ChangeMapper, cache: DentryCache, own: OwnWrites,
  feed: ChangeFeed, memo?: StatMemo): OverlayResources {
  const ref = new WeakRef(changes);
  const feedRef = new WeakRef(feed);
  const memoRef = memo === undefined ? undefined : new WeakRef(memo);
  const resources: OverlayResources = { unsubscribe: [], cache, released: false };
  layers.forEach((layer, index) => {
    if (layer !== undefined) resources.unsubscribe.push(layer.subscribe(listener(ref, feedRef, memoRef, index, layer, own)));
  });
  finalizer.register(owner, resources, resources);
  return resources;
}

/** Unsubscribe and give the cache back, once (close(), or the owner was collected). */
export function release(resources: OverlayResources): void {
  if (resources.released) return;
  resources.released = true;
  finalizer.unregister(resources);
  for (const off of resources.unsubscribe.splice(0)) off();
  resources.cache.dispose();
}

function listener(ref: WeakRef<ChangeMapper>, feedRef: WeakRef<ChangeFeed>, memoRef: WeakRef<StatMemo> | undefined, index: number,
  layer: Layer, own: OwnWrites): (change: LayerChange) => void {
  return (change) => {
    // Own writes too: the kept stat answers hold attributes, which the mapper leaves alone.
    memoRef?.deref()?.changed();
    const mine = own.writing === layer;
    if (!mine) ref.deref()?.apply(index, change);
    // After the cache took it in: the overlay's subscribers (Overlay.subscribe) see own writes too.
    feedRef.deref()?.layerChanged(index, change, mine);
  };
}
