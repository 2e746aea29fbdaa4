// CLOCK eviction, bounded by entries and accounted bytes, and pinning for walks in progress.
// The hand sweeps slots 1..top-1 in order and wraps; per slot: free → skip; the caller's keep
// slot → skip; unreachable → reclaim (an eviction); pinned → skip; referenced → clear, skip;
// otherwise evict. It gives up after two sweeps' worth of steps (everything pinned or kept).
import { rec, isLive, slotTop, F_REFERENCED, O_FLAGS, O_PIN_EPOCH } from './dentry';
import { countEviction, overCapacity } from './counters';
import { freeEntry } from './entries';
import { linkedToParent } from './revalidate';
import { frontChanged } from './front';

let hand: u32 = 1;
/** The current walk's epoch: a slot whose pin epoch equals it is pinned. Starts at 1. */
let epoch: u32 = 1;

export function resetHand(): void {
  hand = 1;
}

export function resetEpoch(): void {
  epoch = 1;
}

/** A new walk begins: everything the previous one pinned is released at once. */
// @ts-ignore: decorator
@inline export function beginEpoch(): void {
  epoch++;
}

// @ts-ignore: decorator
@inline export function pin(id: u32): void {
  store<u32>(rec(id), epoch, O_PIN_EPOCH);
}

/** Evict until one more entry of `need` accounted bytes fits; never touches slot `keep`. */
export function evictUntilFits(need: u64, keep: u32): void {
  let top = slotTop();
  if (top <= 1) return;
  let steps = <u64>top << 1;
  while (overCapacity(need) && steps > 0) {
    steps--;
    if (hand >= top) hand = 1;
    let s = hand++;
    if (s == keep || !isLive(s)) continue;
    if (!linkedToParent(s)) {
      freeEntry(s);
      countEviction();
      continue;
    }
    let r = rec(s);
    if (load<u32>(r, O_PIN_EPOCH) == epoch) continue;
    let flags = <u32>load<u16>(r, O_FLAGS);
    if (flags & F_REFERENCED) {
      // A front-table hit re-sets no reference bits: it may only be trusted while all are still set.
      frontChanged();
      store<u16>(r, <u16>(flags & ~F_REFERENCED), O_FLAGS);
      continue;
    }
    freeEntry(s);
    countEviction();
  }
}
