// The (parent, name) → id hash table: open addressing with linear probing over a power-of-two
// array of u32 slots. A slot holds the id (+1, so 0 is empty) in its low `idBits` bits and the
// key hash's own high bits above them as a fingerprint: a probe reads one cache line of slots and
// opens only records whose fingerprint matches (a false match costs one record, ~1 in 2^12 at 1e6).
// Deletion shifts the rest of the probe run back (no tombstones). The array doubles when the load
// passes 3/4; `idBits` widens (rebuilding) when ids outgrow it. Rebuilds read the hash stored in
// each record, never the names.
import { rec, NONE, O_HASH, O_NAME_LEN, O_PARENT, recordName } from './dentry';
import { namesEqual } from './names';
import { allocPages, freePages, pagesFor } from './pages';

// @ts-ignore: decorator
@inline const MIN_BUCKETS: u32 = 256;
/** Ids up to 2^MIN_ID_BITS - 2 at first; wider only when needed (more fingerprint bits meanwhile). */
// @ts-ignore: decorator
@inline const MIN_ID_BITS: u32 = 16;

let buckets: usize = 0;
let bucketMask: u32 = 0;
/** Low bits of a slot holding id + 1; the bits above are the hash's (the fingerprint). */
let idMask: u32 = 0;
let linked: u32 = 0;
/** Grow when `linked` passes this (3/4 of the slots). */
let growAt: u32 = 0;

export function initTable(): void {
  allocBuckets(MIN_BUCKETS);
  idMask = maskOf(MIN_ID_BITS);
  linked = 0;
}

/** Arrays of a page or more come from pages.ts (linear memory grows by their size only). */
// @ts-ignore: decorator
@inline const PAGE_BYTES: usize = 65536;

function allocBuckets(count: u32): void {
  let bytes = <usize>count << 2;
  buckets = bytes >= PAGE_BYTES ? allocPages(pagesFor(bytes)) : heap.alloc(bytes);
  memory.fill(buckets, 0, <usize>count << 2);
  bucketMask = count - 1;
  growAt = count - (count >> 2);
}

function freeBuckets(at: usize, count: u32): void {
  let bytes = <usize>count << 2;
  if (bytes >= PAGE_BYTES) freePages(at, pagesFor(bytes));
  else heap.free(at);
}

export function releaseTable(): void {
  if (buckets) freeBuckets(buckets, bucketMask + 1);
  buckets = 0;
  bucketMask = 0;
  linked = 0;
}

export function bucketCount(): u32 {
  return buckets ? bucketMask + 1 : 0;
}

export function linkedCount(): u32 {
  return linked;
}

/** Bits of a slot that hold the id (test hook for the widening rule). */
export function idBitCount(): u32 {
  return <u32>popcnt<u32>(idMask);
}

// @ts-ignore: decorator
@inline function maskOf(bits: u32): u32 {
  return bits >= 32 ? 0xffffffff : (<u32>1 << bits) - 1;
}

// @ts-ignore: decorator
@inline function slotAt(i: u32): usize {
  return buckets + (<usize>i << 2);
}

/** The id keyed (parent, name) with this hash, or NONE. Stale entries are found too. */
export function tableFind(parent: u32, name: usize, len: i32, hash: u32): u32 {
  let fingerprint = hash & ~idMask;
  let i = hash & bucketMask;
  for (;;) {
    let slot = load<u32>(slotAt(i));
    if (slot == 0) return NONE;
    if ((slot & ~idMask) == fingerprint) {
      let id = (slot & idMask) - 1;
      let r = rec(id);
      if (
        load<u32>(r, O_PARENT) == parent &&
        <i32>load<u8>(r, O_NAME_LEN) == len &&
        namesEqual(recordName(r), name, len)
      ) return id;
    }
    i = (i + 1) & bucketMask;
  }
  return unreachable();
}

/** Put record `id` (hash `hash`) in the first empty slot of its probe run. */
function place(id: u32, hash: u32): void {
  let i = hash & bucketMask;
  while (load<u32>(slotAt(i)) != 0) i = (i + 1) & bucketMask;
  store<u32>(slotAt(i), (hash & ~idMask) | (id + 1));
}

/** Add record `id` (its hash already stored). */
export function tableLink(id: u32): void {
  linked++;
  let count = bucketMask + 1;
  if (linked > growAt) count <<= 1;
  if (id + 1 > idMask || count != bucketMask + 1) {
    // id + 1 must fit the id bits: widen by as many bits as it takes (fingerprints get shorter).
    let bits = <u32>popcnt<u32>(idMask);
    while (bits < 32 && id + 1 > maskOf(bits)) bits++;
    rebuild(count, bits);
  }
  place(id, load<u32>(rec(id), O_HASH));
}

/** Remove record `id` from the table (it must be linked), shifting its probe run back. */
export function tableUnlink(id: u32): void {
  let hash = load<u32>(rec(id), O_HASH);
  let i = hash & bucketMask;
  let want = id + 1;
  for (;;) {
    let slot = load<u32>(slotAt(i));
    assert(slot != 0, 'unlink of an entry not in the table');
    if ((slot & idMask) == want) break;
    i = (i + 1) & bucketMask;
  }
  // Backward shift: each later slot of the run moves into the hole unless its home lies in
  // (hole, itself], where moving it would put it before its home.
  let hole = i;
  let j = i;
  for (;;) {
    j = (j + 1) & bucketMask;
    let slot = load<u32>(slotAt(j));
    if (slot == 0) break;
    let home = load<u32>(rec((slot & idMask) - 1), O_HASH) & bucketMask;
    if (((j - home) & bucketMask) >= ((j - hole) & bucketMask)) {
      store<u32>(slotAt(hole), slot);
      hole = j;
    }
  }
  store<u32>(slotAt(hole), 0);
  linked--;
}

/** Move every linked id into a new array of `count` slots with `bits` id bits. */
function rebuild(count: u32, bits: u32): void {
  let oldBuckets = buckets;
  let oldCount = bucketMask + 1;
  let oldIdMask = idMask;
  allocBuckets(count);
  idMask = maskOf(bits);
  for (let b: u32 = 0; b < oldCount; b++) {
    let slot = load<u32>(oldBuckets + (<usize>b << 2));
    if (slot == 0) continue;
    let id = (slot & oldIdMask) - 1;
    place(id, load<u32>(rec(id), O_HASH));
  }
  freeBuckets(oldBuckets, oldCount);
}
