// The (parent, name) → id hash table: a power-of-two array of u32 chain heads, chained through
// each record's `next` field. It doubles (rehashing from the stored hashes, no name reads) when
// the entry count passes the bucket count, so chains average under one entry.
import { rec, NONE, O_HASH, O_NEXT, O_PARENT, O_NAME, O_NAME_LEN } from './dentry';
import { namesEqual } from './names';

// @ts-ignore: decorator
@inline const MIN_BUCKETS: u32 = 256;

let buckets: usize = 0;
let bucketMask: u32 = 0;
let linked: u32 = 0;

export function initTable(): void {
  allocBuckets(MIN_BUCKETS);
  linked = 0;
}

function allocBuckets(count: u32): void {
  buckets = heap.alloc(<usize>count << 2);
  memory.fill(buckets, 0xff, <usize>count << 2);
  bucketMask = count - 1;
}

export function releaseTable(): void {
  if (buckets) heap.free(buckets);
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

/** The id keyed (parent, name) with this hash, or NONE. Stale entries are found too. */
export function tableFind(parent: u32, name: usize, len: i32, hash: u32): u32 {
  let id = load<u32>(buckets + (<usize>(hash & bucketMask) << 2));
  while (id != NONE) {
    let r = rec(id);
    if (
      load<u32>(r, O_HASH) == hash &&
      load<u32>(r, O_PARENT) == parent &&
      <i32>load<u8>(r, O_NAME_LEN) == len &&
      namesEqual(<usize>load<u32>(r, O_NAME), name, len)
    ) return id;
    id = load<u32>(r, O_NEXT);
  }
  return NONE;
}

/** Add record `id` (its hash already stored) at the head of its chain. */
export function tableLink(id: u32): void {
  let r = rec(id);
  let head = buckets + (<usize>(load<u32>(r, O_HASH) & bucketMask) << 2);
  store<u32>(r, load<u32>(head), O_NEXT);
  store<u32>(head, id);
  linked++;
  if (linked > bucketMask + 1) grow();
}

/** Remove record `id` from its chain (it must be linked). */
export function tableUnlink(id: u32): void {
  let r = rec(id);
  let at = buckets + (<usize>(load<u32>(r, O_HASH) & bucketMask) << 2);
  let cur = load<u32>(at);
  while (cur != id) {
    assert(cur != NONE, 'unlink of an entry not in the table');
    at = rec(cur) + O_NEXT;
    cur = load<u32>(at);
  }
  store<u32>(at, load<u32>(r, O_NEXT));
  linked--;
}

/** Double the bucket array and move every chain over. */
function grow(): void {
  let oldBuckets = buckets;
  let oldCount = bucketMask + 1;
  allocBuckets(oldCount << 1);
  for (let b: u32 = 0; b < oldCount; b++) {
    let id = load<u32>(oldBuckets + (<usize>b << 2));
    while (id != NONE) {
      let r = rec(id);
      let next = load<u32>(r, O_NEXT);
      let head = buckets + (<usize>(load<u32>(r, O_HASH) & bucketMask) << 2);
      store<u32>(r, load<u32>(head), O_NEXT);
      store<u32>(head, id);
      id = next;
    }
  }
  heap.free(oldBuckets);
}
