// The whole-path front table: path bytes → the answer of the last full walk of that path (FOUND or
// NEGATIVE), so a repeated walk costs one hash of the path and one slot (two cache lines) instead
// of a probe and a record per component. Since the fingerprint table (fingerprint-table.ts, which
// covers the cache) it keeps only what that one cannot: answers with a deadline on the way, and
// negatives met before the last component. It owns the global stamp both are validated by. It is invisible in the contract: a hit reproduces what
// the component walk would do — the result record, the counters, the walk's state (the stack and
// its pins are rebuilt only if something asks for them, see walk.ts) — and is trusted only while
// nothing that could change that answer has happened since it was stored:
// - every such change (invalidate, expire, refresh, update, any freed entry, CLOCK clearing a
//   reference bit) bumps one global stamp, so a slot is valid iff its stamp is the current one:
//   a hit compares one word whatever the depth, invalidation stays O(1), and only a stale stamp
//   pays the component walk, which stores the answer again under the current stamp;
// - a new entry changes no stored answer (every component of a stored path was cached), so
//   inserts keep the table; deadlines are kept as the smallest on the path and compared to `now`.
// Two-way sets of 256-byte slots holding the path itself (compared byte for byte: no false hit),
// paths up to FRONT_PATH_MAX bytes (direct-mapped, a cycle over 6k paths in 16k slots hit 70 %:
// colliding paths evicted each other; two-way, 90 %). The table grows with the cache up to
// FRONT_MAX_SLOTS.
//
// Hot apart from cold: a miss reads only the tag array (8 bytes a slot: stamp, path hash; 256 KiB
// at most, so it stays in the CPU caches); only a tag match opens the slot.
// Tag (8 bytes):  0 u32 stamp   the global stamp when stored (0 = empty)
//                 4 u32 hash    hash of the path bytes
// Slot layout (little-endian, 256 bytes):
//  8 u16 len       path length in bytes
// 10 u8  status    WALK_FOUND or WALK_NEGATIVE
// 11 u8  bits      bit 0: RES_LAST; bits 1..: the walk options it was stored under
// 12 u32 id        RES_ID
// 16 u32 parent    RES_PARENT
// 20 i32 index     RES_INDEX
// 24 u16 nameOff   RES_NAME_OFF
// 26 u16 nameLen   RES_NAME_LEN
// 28 u32 deadline  smallest non-zero deadline on the path (0 = none)
// 32 ..  path      the path bytes
import { allocPages, freePages, pagesFor } from './pages';
import { hashKey } from './hash';

// @ts-ignore: decorator
@inline const SLOT_BYTES: usize = 256;
// @ts-ignore: decorator
@inline const SLOT_SHIFT: u32 = 8;
// @ts-ignore: decorator
@inline const T_STAMP: usize = 0;
// @ts-ignore: decorator
@inline const T_HASH: usize = 4;
// @ts-ignore: decorator
@inline export const O_PLEN: usize = 8;
// @ts-ignore: decorator
@inline export const O_STATUS: usize = 10;
// @ts-ignore: decorator
@inline export const O_BITS: usize = 11;
// @ts-ignore: decorator
@inline export const O_ID: usize = 12;
// @ts-ignore: decorator
@inline export const O_PARENT_ID: usize = 16;
// @ts-ignore: decorator
@inline export const O_INDEX: usize = 20;
// @ts-ignore: decorator
@inline export const O_NAME_OFF: usize = 24;
// @ts-ignore: decorator
@inline export const O_NAME_LENGTH: usize = 26;
// @ts-ignore: decorator
@inline export const O_MIN_DEADLINE: usize = 28;
// @ts-ignore: decorator
@inline const O_PATH: usize = 32;
/** Longer paths are always walked. */
// @ts-ignore: decorator
@inline export const FRONT_PATH_MAX: usize = SLOT_BYTES - O_PATH;
// @ts-ignore: decorator
@inline const FRONT_MIN_SLOTS: u32 = 256;
/**
 * 4 MiB (+ 128 KiB of tags): a hot working set of ~1.5e4 paths, like the JS path memo in front of
 * it; 32k slots cost 8.6 B per entry at 1e6 entries, past the 64 B budget of issue 2.
 */
// @ts-ignore: decorator
@inline const FRONT_MAX_SLOTS: u32 = 16384;
/** The path hash is hashKey's with a parent no entry can have. */
// @ts-ignore: decorator
@inline const PATH_SEED: u32 = 0xfffffffe;

/**
 * Read by the JS wrapper without a call (its path memo, bindings/cache/path-memo.ts), u32 words:
 * [0] the stamp, [1] 1 if the last walk's answer is one the table may keep (whether or not it
 * did), [2] that answer's smallest deadline, [3] how many times the stamp wrapped.
 */
export const frontState: usize = memory.data(16, 16);

let slots: usize = 0;
let tags: usize = 0;
let slotCount: u32 = 0;
let stamp: u32 = 1;
let enabled = true;
/** The stamp of the last store: under any other, no slot is current (and probes are skipped). */
let heldStamp: u32 = 0;
/** Walks answered from the table since init (specs and benchmarks check it is used). */
let hitCount: u64 = 0;
/** Stores that met a full set (see frontStore). */
let conflicts: u32 = 0;
// A probe that misses costs a hash of the path and a store attempt: with fewer than one hit in
// eight probes over a window (a working set far bigger than the table), the table rests.
let tries: u32 = 0;
let windowHits: u32 = 0;
let resting: u32 = 0;
// @ts-ignore: decorator
@inline const WINDOW: u32 = 4096;
// @ts-ignore: decorator
@inline const REST: u32 = 32768;

/** Whether this walk consults (and fills) the table. */
export function frontActive(): bool {
  if (resting == 0) return enabled;
  resting--;
  return false;
}

// @ts-ignore: decorator
@inline function countProbe(hit: bool): void {
  if (hit) windowHits++;
  if (++tries < WINDOW) return;
  if (windowHits * 8 < tries) resting = REST;
  tries = 0;
  windowHits = 0;
}
// @ts-ignore: decorator
@inline const ADMIT_EVERY: u32 = 8;

export function frontHitCount(): u64 {
  return hitCount;
}

/** A walk answered by the fingerprint table counts as a front-table hit too. */
// @ts-ignore: decorator
@inline export function countFrontHit(): void {
  hitCount++;
}

export function initFront(): void {
  if (!slots) allocSlots(FRONT_MIN_SLOTS);
  else memory.fill(tags, 0, <usize>slotCount << 3);
  stamp = 1;
  heldStamp = 0;
  memory.fill(frontState, 0, 16);
  store<u32>(frontState, stamp);
  hitCount = 0;
  conflicts = 0;
  tries = 0;
  windowHits = 0;
  resting = 0;
}

export function releaseFront(): void {
  if (slots) {
    freePages(slots, pagesFor(<usize>slotCount << SLOT_SHIFT));
    freePages(tags, pagesFor(<usize>slotCount << 3));
  }
  slots = 0;
  tags = 0;
  slotCount = 0;
}

function allocSlots(count: u32): void {
  slots = allocPages(pagesFor(<usize>count << SLOT_SHIFT));
  tags = allocPages(pagesFor(<usize>count << 3));
  memory.fill(tags, 0, <usize>count << 3);
  slotCount = count;
}

export function frontBytes(): usize {
  return slotCount == 0 ? 0 : <usize>(pagesFor(<usize>slotCount << SLOT_SHIFT) + pagesFor(<usize>slotCount << 3)) << 16;
}

/** The last walk's answer may (1) or may not (0) be kept; `deadline` as in the slot. */
// @ts-ignore: decorator
@inline export function frontKeepable(yes: bool, deadline: u32): void {
  store<u32>(frontState, yes ? 1 : 0, 4);
  store<u32>(frontState, deadline, 8);
}

/** Off: every walk is a component walk (benchmarks compare the two; answers are the same). */
export function setFrontEnabled(on: bool): void {
  enabled = on;
  frontChanged();
}

/** The global stamp, and how many times it wrapped (the fingerprint table shares them). */
// @ts-ignore: decorator
@inline export function frontStamp(): u32 {
  return stamp;
}

// @ts-ignore: decorator
@inline export function frontWraps(): u32 {
  return load<u32>(frontState, 12);
}

/** True if some slot may be current: only then is a probe worth its hash. */
// @ts-ignore: decorator
@inline export function frontHolds(): bool {
  return enabled && heldStamp == stamp;
}

/** Something that may change a stored answer happened: every slot is stale at once. */
// @ts-ignore: decorator
@inline export function frontChanged(): void {
  stamp++;
  if (stamp == 0) {
    // 2^32 changes later an old slot's stamp could come back: start from empty instead.
    memory.fill(tags, 0, <usize>slotCount << 3);
    stamp = 1;
    store<u32>(frontState, load<u32>(frontState, 12) + 1, 12);
  }
  store<u32>(frontState, stamp);
}

// @ts-ignore: decorator
@inline export function frontHash(p: usize, len: usize): u32 {
  return hashKey(PATH_SEED, p, <i32>len);
}

function bytesEqual(a: usize, b: usize, len: usize): bool {
  let i: usize = 0;
  while (i + 8 <= len) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < len) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

/** The first slot index of the path's two-way set. */
// @ts-ignore: decorator
@inline function setOf(hash: u32): u32 {
  return hash & (slotCount - 2);
}

// @ts-ignore: decorator
@inline function slotAt(i: u32): usize {
  return slots + (<usize>i << SLOT_SHIFT);
}

// @ts-ignore: decorator
@inline function tagAt(i: u32): usize {
  return tags + (<usize>i << 3);
}

/** True if slot `i` holds this path's answer, current, under these options, at `now`. */
// @ts-ignore: decorator
@inline function holds(i: u32, p: usize, len: usize, hash: u32, opts: i32, now: u32): bool {
  let t = tagAt(i);
  if (load<u32>(t, T_STAMP) != stamp || load<u32>(t, T_HASH) != hash) return false;
  let s = slotAt(i);
  if (<usize>load<u16>(s, O_PLEN) != len || (<i32>load<u8>(s, O_BITS) >> 1) != opts) return false;
  let deadline = load<u32>(s, O_MIN_DEADLINE);
  if (deadline != 0 && now >= deadline) return false;
  return bytesEqual(s + O_PATH, p, len);
}

/** The valid slot holding this path's answer under these options at `now`, or 0. */
export function frontFind(p: usize, len: usize, hash: u32, opts: i32, now: u32): usize {
  if (!enabled || len > FRONT_PATH_MAX) return 0;
  let i = setOf(hash);
  if (!holds(i, p, len, hash, opts, now)) {
    i++;
    if (!holds(i, p, len, hash, opts, now)) {
      countProbe(false);
      return 0;
    }
  }
  countProbe(true);
  hitCount++;
  return slotAt(i);
}

/** Slot `i` may take this path: it is free or stale, or holds a path of the same hash and length. */
// @ts-ignore: decorator
@inline function reusable(i: u32, len: usize, hash: u32): bool {
  let t = tagAt(i);
  return load<u32>(t, T_STAMP) != stamp || (load<u32>(t, T_HASH) == hash && <usize>load<u16>(slotAt(i), O_PLEN) == len);
}

/**
 * Keep the answer of a complete component walk of the `len`-byte path at `p`. The table grows
 * (empty) with the cache: `entries` live entries want as many slots, up to FRONT_MAX_SLOTS.
 */
export function frontStore(
  p: usize, len: usize, hash: u32, opts: i32, entries: u64,
  status: i32, last: bool, id: i32, parent: i32, index: i32, nameOff: i32, nameLen: i32, minDeadline: u32,
): void {
  if (!enabled || len > FRONT_PATH_MAX) return;
  if (<u64>slotCount < entries && slotCount < FRONT_MAX_SLOTS) {
    let count = slotCount;
    while (<u64>count < entries && count < FRONT_MAX_SLOTS) count <<= 1;
    releaseFront();
    allocSlots(count);
  }
  heldStamp = stamp;
  let i = setOf(hash);
  if (!reusable(i, len, hash)) {
    // A free second slot takes it; else it goes first and the first answer moves second, so
    // the one dropped is the one that came in second. (Always dropping the older hit 82 %
    // instead of 90 % on a cycle over 6k paths: a cycle evicts whatever came in last.)
    if (reusable(i + 1, len, hash)) i++;
    else {
      // A full set admits one newcomer in ADMIT_EVERY: a working set bigger than the table then
      // keeps a stable part of itself instead of every walk writing two slots for nothing.
      if ((++conflicts & (ADMIT_EVERY - 1)) != 0) return;
      memory.copy(slotAt(i + 1), slotAt(i), SLOT_BYTES);
      store<u64>(tagAt(i + 1), load<u64>(tagAt(i)));
    }
  }
  let t = tagAt(i);
  store<u32>(t, stamp, T_STAMP);
  store<u32>(t, hash, T_HASH);
  let s = slotAt(i);
  store<u16>(s, <u16>len, O_PLEN);
  store<u8>(s, <u8>status, O_STATUS);
  store<u8>(s, <u8>((opts << 1) | (last ? 1 : 0)), O_BITS);
  store<i32>(s, id, O_ID);
  store<i32>(s, parent, O_PARENT_ID);
  store<i32>(s, index, O_INDEX);
  store<u16>(s, <u16>nameOff, O_NAME_OFF);
  store<u16>(s, <u16>nameLen, O_NAME_LENGTH);
  store<u32>(s, minDeadline, O_MIN_DEADLINE);
  memory.copy(s + O_PATH, p, len);
}
