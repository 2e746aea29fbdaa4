// The fingerprint table: whole path → entry id for every path whose walk ended FOUND or NEGATIVE on
// its last component with no deadline on the way — sized with the cache, so a uniform walk over
// 1e6 entries is answered from one 64-byte bucket (sometimes two) and the entry's record, whatever
// the depth, instead of a bucket and a record per component.
// - No path bytes are kept: a slot holds the path's keyed 128-bit SipHash (siphash.ts) and the id.
//   Everything else a hit reports comes from the record and the path (walk.ts, printHit). A false
//   hit needs two paths with one fingerprint: 2^-128 per pair of paths for anyone without the
//   per-instance random key, and the last name is compared with the record's besides.
// - Validity is front.ts's global stamp: a bucket holds the stamp it was filled under, and is
//   empty unless that is the current one. So a change costs nothing here (one increment there),
//   and a stale bucket is simply reused.
// - Cuckoo placement over two buckets per path (3 ways each): a path goes to its first bucket if
//   there is room, else its second, else it moves an occupant to that one's other bucket (a few
//   times at most; the last one moved is dropped — this is a cache). Load 0.8 stays placeable (a
//   fill of 865k paths dropped 2), and most hits need the first bucket only.
// - Sized with what it holds: past a load of 0.8 it grows by a quarter, in place (segments of one
//   page are added, then every current path moves to its buckets under the new count), up to
//   3/2 slot per cache entry. No old copy is left behind, and no path is lost to a growth.
//
// Bucket (64 bytes, one cache line): 0 u32 stamp | 4 3 × u32 id + 1 (0 = empty way) |
//                                    16 3 × (u64 low, u64 high) fingerprints
import { NONE } from './dentry';
import { allocPages, freePages } from './pages';
import { sipHash128, sipHigh, sipLow } from './siphash';

// @ts-ignore: decorator
@inline const BUCKET_SHIFT: u32 = 6;
// @ts-ignore: decorator
@inline const WAYS: u32 = 3;
// @ts-ignore: decorator
@inline const B_IDS: usize = 4;
// @ts-ignore: decorator
@inline const B_PRINTS: usize = 16;
/** Buckets per segment: one 64 KiB page. */
// @ts-ignore: decorator
@inline const SEGMENT_SHIFT: u32 = 10;
// @ts-ignore: decorator
@inline const SEGMENT_MASK: u32 = (1 << SEGMENT_SHIFT) - 1;
/** Moves per placement before the last moved path is dropped. */
// @ts-ignore: decorator
@inline const MAX_KICKS: u32 = 32;
/** Walk options are folded into the fingerprint (an answer under one option is not another's). */
// @ts-ignore: decorator
@inline const OPTS_TWEAK: u64 = 0x9e3779b97f4a7c15;

/** u32 segment addresses, room for `segmentSlots`, `segmentCount` in use (bucketCount buckets). */
let segments: usize = 0;
let segmentSlots: u32 = 0;
let segmentCount: u32 = 0;
let bucketCount: u32 = 0;
/** Paths placed under liveStamp (0 when it went stale: every bucket is then empty). */
let items: u32 = 0;
/** The stamp (and stamp wraps) the table last stored under: under any other, nothing in it is current. */
let liveStamp: u32 = 0;
let liveWraps: u32 = 0;
let enabled = true;
/** Tests only: every fingerprint is ANDed with this (0: all paths collide). */
let printMask: u64 = 0xffffffffffffffff;
/** Tests only: a fixed bucket count that never grows. */
let pinnedCount: u32 = 0;
/** Which way a kick takes next. */
let rotor: u32 = 0;
let dropped: u64 = 0;
let moved: u64 = 0;
let hits: u64 = 0;
// The fingerprint of the path printPath() saw last.
let printLow: u64 = 0;
let printHigh: u64 = 0;

/** A new cache: what an earlier one stored must never look current (stamps start again at 1). */
export function initPrints(): void {
  for (let i: u32 = 0; i < segmentCount; i++) memory.fill(<usize>load<u32>(segments + (<usize>i << 2)), 0, 1 << 16);
  liveStamp = 0;
  items = 0;
  liveWraps = 0;
  rotor = 0;
  dropped = 0;
  moved = 0;
  hits = 0;
  pinnedCount = 0;
}

export function releasePrints(): void {
  for (let i: u32 = 0; i < segmentCount; i++) freePages(<usize>load<u32>(segments + (<usize>i << 2)), 1);
  if (segments) heap.free(segments);
  segments = 0;
  segmentSlots = 0;
  segmentCount = 0;
  bucketCount = 0;
  items = 0;
}

export function printBytes(): usize {
  return (<usize>segmentCount << 16) + (<usize>segmentSlots << 2);
}

/** Paths a placement had to drop (every bucket on its cuckoo path full) since init. */
export function printDrops(): u64 {
  return dropped;
}

/** Occupants moved to their other bucket since init (specs check placement uses it). */
export function printMoves(): u64 {
  return moved;
}

/** Walks this table answered since init (specs check which table answered). */
export function printHits(): u64 {
  return hits;
}

/** The walk used a hit (printFind's answer checked out). */
// @ts-ignore: decorator
@inline export function countPrintHit(): void {
  hits++;
}

export function setPrintsEnabled(on: bool): void {
  enabled = on;
}

export function printsEnabled(): bool {
  return enabled;
}

/** Tests only: `count` buckets (≤ one segment) from now on (0: sized with the cache again); empties it. */
export function pinPrintBuckets(count: u32): void {
  releasePrints();
  liveStamp = 0;
  pinnedCount = count;
  if (count) {
    addSegments(1);
    bucketCount = count;
  }
}

/** Tests only: AND every fingerprint with `mask` (0 makes every path collide with every other). */
export function setPrintMask(mask: u64): void {
  printMask = mask;
}

/** Append `n` zeroed segments (stamp 0 is never current: zeroed buckets are empty). */
function addSegments(n: u32): void {
  let have = segmentCount;
  if (have + n > segmentSlots) {
    let slots = segmentSlots ? segmentSlots : 16;
    while (slots < have + n) slots <<= 1;
    segments = segments ? heap.realloc(segments, <usize>slots << 2) : heap.alloc(<usize>slots << 2);
    segmentSlots = slots;
  }
  for (let i: u32 = 0; i < n; i++) {
    let page = allocPages(1);
    memory.fill(page, 0, 1 << 16);
    store<u32>(segments + (<usize>(have + i) << 2), <u32>page);
  }
  segmentCount = have + n;
  bucketCount = segmentCount << SEGMENT_SHIFT;
}

/** Fingerprint the `len`-byte path at `p` walked with options `opts` (kept for find and store). */
export function printPath(p: usize, len: usize, opts: i32): void {
  sipHash128(p, len);
  printLow = (sipLow() ^ (<u64>opts * OPTS_TWEAK)) & printMask;
  printHigh = sipHigh() & printMask;
}

/** True if the table may hold something current under this stamp: only then is a probe worth it. */
// @ts-ignore: decorator
@inline export function printsLive(stamp: u32, wraps: u32): bool {
  return enabled && liveStamp == stamp && liveWraps == wraps;
}

// Two buckets per path from the fingerprint's low word, each by multiply-shift (any count works).
// @ts-ignore: decorator
@inline function firstOf(low: u64): u32 {
  return <u32>(((low & 0xffffffff) * <u64>bucketCount) >> 32);
}

// @ts-ignore: decorator
@inline function secondOf(low: u64): u32 {
  return <u32>(((low >> 32) * <u64>bucketCount) >> 32);
}

// @ts-ignore: decorator
@inline function bucketAt(i: u32): usize {
  return <usize>load<u32>(segments + (<usize>(i >> SEGMENT_SHIFT) << 2)) + (<usize>(i & SEGMENT_MASK) << BUCKET_SHIFT);
}

// @ts-ignore: decorator
@inline function printAt(b: usize, way: u32): usize {
  return b + B_PRINTS + (<usize>way << 4);
}

// @ts-ignore: decorator
@inline function idAt(b: usize, way: u32): usize {
  return b + B_IDS + (<usize>way << 2);
}

/** The way of bucket `b` holding this fingerprint under `stamp`, or WAYS. */
// @ts-ignore: decorator
@inline function wayOf(b: usize, stamp: u32, low: u64, high: u64): u32 {
  if (load<u32>(b) != stamp) return WAYS;
  for (let w: u32 = 0; w < WAYS; w++) {
    let f = printAt(b, w);
    if (load<u64>(f) == low && load<u64>(f, 8) == high && load<u32>(idAt(b, w)) != 0) return w;
  }
  return WAYS;
}

/** The entry id stored for the last printPath() under `stamp`, or NONE (call when printsLive). */
export function printFind(stamp: u32): u32 {
  let low = printLow;
  let high = printHigh;
  // The second bucket only if the first has not got it (asking for both lines at once measured
  // no faster: most paths sit in their first bucket).
  let a = bucketAt(firstOf(low));
  let w = wayOf(a, stamp, low, high);
  if (w < WAYS) return load<u32>(idAt(a, w)) - 1;
  let b = bucketAt(secondOf(low));
  w = wayOf(b, stamp, low, high);
  if (w < WAYS) return load<u32>(idAt(b, w)) - 1;
  return NONE;
}

/** Put (fingerprint, id + 1) in bucket `b` if it has room (a stale bucket is emptied first). */
function tryPut(b: usize, stamp: u32, low: u64, high: u64, id1: u32): bool {
  if (load<u32>(b) != stamp) {
    store<u32>(b, stamp);
    store<u64>(b, 0, B_IDS);
    store<u32>(b, 0, B_IDS + 8);
  }
  for (let w: u32 = 0; w < WAYS; w++) {
    if (load<u32>(idAt(b, w)) == 0) {
      store<u64>(printAt(b, w), low);
      store<u64>(printAt(b, w), high, 8);
      store<u32>(idAt(b, w), id1);
      return true;
    }
  }
  return false;
}

/**
 * Place a path not in the table: its first bucket, its second, or displace an occupant of the
 * first to that one's other bucket, and so on; false if the last one displaced was dropped.
 */
function place(stamp: u32, low: u64, high: u64, id1: u32): bool {
  let at = bucketAt(firstOf(low));
  if (tryPut(at, stamp, low, high, id1) || tryPut(bucketAt(secondOf(low)), stamp, low, high, id1)) return true;
  for (let k: u32 = 0; k < MAX_KICKS; k++) {
    let v = rotor;
    rotor = rotor == WAYS - 1 ? 0 : rotor + 1;
    let f = printAt(at, v);
    let vLow = load<u64>(f);
    let vHigh = load<u64>(f, 8);
    let vId1 = load<u32>(idAt(at, v));
    moved++;
    store<u64>(f, low);
    store<u64>(f, high, 8);
    store<u32>(idAt(at, v), id1);
    low = vLow;
    high = vHigh;
    id1 = vId1;
    let first = bucketAt(firstOf(low));
    at = first == at ? bucketAt(secondOf(low)) : first;
    if (tryPut(at, stamp, low, high, id1)) return true;
  }
  dropped++;
  return false;
}

/**
 * Keep `id` as the answer for the last printPath() under `stamp`/`wraps`, the cache holding
 * `entries` live entries.
 */
export function printStore(id: u32, stamp: u32, wraps: u32, entries: u64): void {
  if (!enabled) return;
  if (liveWraps != wraps) {
    // 2^32 changes later an old bucket's stamp could come back: start from empty instead.
    for (let i: u32 = 0; i < segmentCount; i++) memory.fill(<usize>load<u32>(segments + (<usize>i << 2)), 0, 1 << 16);
    liveWraps = wraps;
    liveStamp = 0;
  }
  if (liveStamp != stamp) {
    liveStamp = stamp;
    items = 0;
  }
  if (bucketCount == 0) addSegments(1);
  let low = printLow;
  let high = printHigh;
  let a = bucketAt(firstOf(low));
  let b = bucketAt(secondOf(low));
  // Already there (this answer was stored earlier under this stamp)?
  let w = wayOf(a, stamp, low, high);
  if (w < WAYS) { store<u32>(idAt(a, w), id + 1); return; }
  w = wayOf(b, stamp, low, high);
  if (w < WAYS) { store<u32>(idAt(b, w), id + 1); return; }
  if (place(stamp, low, high, id + 1)) items++;
  if (pinnedCount == 0 && <u64>items * 5 > <u64>bucketCount * WAYS * 4) grow(stamp, entries);
}

/** A quarter more buckets (at most 3/2 slot per entry); every current path moves to its new place. */
function grow(stamp: u32, entries: u64): void {
  let old = bucketCount;
  let limit = (entries * 3 / 2 + WAYS - 1) / WAYS;
  if (<u64>old >= limit) return;
  let want = <u64>old + (<u64>old >> 2);
  if (want > limit) want = limit;
  let add = <u32>((want - <u64>old + SEGMENT_MASK) >> SEGMENT_SHIFT);
  if (add == 0) add = 1;
  addSegments(add);
  // In place: a path already where the new count puts it stays; any other is taken out and
  // placed again (it may displace paths not yet visited, which are then where they belong).
  let lost = dropped;
  for (let i: u32 = 0; i < bucketCount; i++) {
    let bk = bucketAt(i);
    if (load<u32>(bk) != stamp) continue;
    for (let w: u32 = 0; w < WAYS; w++) {
      let id1 = load<u32>(idAt(bk, w));
      if (id1 == 0) continue;
      let f = printAt(bk, w);
      let low = load<u64>(f);
      if (i < old && firstOf(low) != i && secondOf(low) != i) {
        store<u32>(idAt(bk, w), 0);
        place(stamp, low, load<u64>(f, 8), id1);
      }
    }
  }
  items -= <u32>(dropped - lost);
}
