// Dentry records: fixed 64-byte structs in linear memory, addressed by id (= slot number), each on
// its own 64-byte cache line so a lookup that finds its id in the table touches one more line only.
// Records live in page-aligned chunks of 4096 (pages.ts) so the array grows without moving or doubling; a chunk table
// maps id >> CHUNK_SHIFT to its chunk. Freed slots form a LIFO list through the `hash` field.
// A slot keeps its incarnation and pin epoch across free and reuse (both are slot properties).
//
// Record layout (little-endian):
//  0 u32 parent     id of the directory entry this name was looked up in (NONE for the root)
//  4 u32 parentInc  the parent slot's incarnation when this entry was inserted
//  8 u32 inc        this slot's incarnation, bumped on free: children that remember the old
//                   one are unreachable
// 12 u32 hash       hashKey(parent, name) (live: for table rebuilds and deletion shifts);
//                   next id in the free-slot list (free); NONE ends
// 16 i32 handle     the overlay's handle for its layer data
// 20 u32 deadline   0 = never expires; expired when now >= deadline (unsigned ms)
// 24 u32 pinEpoch   the walk epoch that last pushed this slot on its stack (pinned if current)
// 28 u16 flags      public F_* in the low byte, F_IN_USE/F_CHANGED/F_EXPIRED/F_REFERENCED above
// 30 u8  nameLen    1..NAME_MAX
// 31 u8  type       T_*
// 32 u8  layer
// 33 u8  lowest
// 34 ..63 name      the name bytes inline when nameLen <= NAME_INLINE_MAX (most path components),
//                   else a u32 address of the name's block in the name arena
import { ROOT_ID, T_DIR } from './abi';
import { allocName, freeName } from './names';
import { allocPages, freePages, pagesFor } from './pages';

// @ts-ignore: decorator
@inline export const RECORD_BYTES: usize = 64;
// @ts-ignore: decorator
@inline export const NONE: u32 = 0xffffffff;

// @ts-ignore: decorator
@inline export const O_PARENT: usize = 0;
// @ts-ignore: decorator
@inline export const O_PARENT_INC: usize = 4;
// @ts-ignore: decorator
@inline export const O_INC: usize = 8;
// @ts-ignore: decorator
@inline export const O_HASH: usize = 12;
/** A free slot's link in the free-slot list shares the hash field (a free slot has no key). */
// @ts-ignore: decorator
@inline export const O_NEXT_FREE: usize = 12;
// @ts-ignore: decorator
@inline export const O_HANDLE: usize = 16;
// @ts-ignore: decorator
@inline export const O_DEADLINE: usize = 20;
// @ts-ignore: decorator
@inline export const O_PIN_EPOCH: usize = 24;
// @ts-ignore: decorator
@inline export const O_FLAGS: usize = 28;
// @ts-ignore: decorator
@inline export const O_NAME_LEN: usize = 30;
// @ts-ignore: decorator
@inline export const O_TYPE: usize = 31;
// @ts-ignore: decorator
@inline export const O_LAYER: usize = 32;
// @ts-ignore: decorator
@inline export const O_LOWEST: usize = 33;
/** Inline name bytes, or the u32 address of an arena block for a longer name. */
// @ts-ignore: decorator
@inline export const O_NAME: usize = 34;
/** Names up to this many bytes live in the record itself (the rest of its cache line). */
// @ts-ignore: decorator
@inline export const NAME_INLINE_MAX: i32 = <i32>(RECORD_BYTES - O_NAME);

/** Bookkeeping flag bits, above the public F_* byte. */
// @ts-ignore: decorator
@inline export const F_IN_USE: u32 = 0x100; //     the slot holds an entry
// @ts-ignore: decorator
@inline export const F_CHANGED: u32 = 0x200; //    invalidate()d: walks stop CHANGED here
// @ts-ignore: decorator
@inline export const F_EXPIRED: u32 = 0x400; //    expire()d: walks stop EXPIRED here
// @ts-ignore: decorator
@inline export const F_REFERENCED: u32 = 0x800; // CLOCK's second-chance bit

// @ts-ignore: decorator
@inline const CHUNK_SHIFT: u32 = 12;
// @ts-ignore: decorator
@inline const CHUNK_MASK: u32 = (1 << CHUNK_SHIFT) - 1;
// @ts-ignore: decorator
@inline const CHUNK_BYTES: usize = RECORD_BYTES << CHUNK_SHIFT;

/** u32 chunk addresses (page-aligned), room for `chunkSlots`, `chunkCount` in use. */
let chunkTable: usize = 0;
let chunkSlots: u32 = 0;
let chunkCount: u32 = 0;
/** The next never-used slot (reset by clear): ids below it are live or on the free list. */
let highWater: u32 = 0;
let freeHead: u32 = NONE;

/** Address of record `id` (which must be below chunkCount << CHUNK_SHIFT). */
// @ts-ignore: decorator
@inline export function rec(id: u32): usize {
  return <usize>load<u32>(chunkTable + (<usize>(id >> CHUNK_SHIFT) << 2)) + (<usize>(id & CHUNK_MASK) << 6);
}

/** Slots 0..slotTop()-1 have been handed out since the store was created or cleared. */
// @ts-ignore: decorator
@inline export function slotTop(): u32 {
  return highWater;
}

/** True if `id` is a slot that currently holds an entry. */
// @ts-ignore: decorator
@inline export function isLive(id: u32): bool {
  return id < highWater && (<u32>load<u16>(rec(id), O_FLAGS) & F_IN_USE) != 0;
}

/** Take a slot for a new entry: the most recently freed one, else the next never-used one. */
export function allocSlot(): u32 {
  let id = freeHead;
  if (id != NONE) {
    freeHead = load<u32>(rec(id), O_NEXT_FREE);
    return id;
  }
  id = highWater;
  let chunk = id >> CHUNK_SHIFT;
  if (chunk == chunkCount) {
    if (chunkCount == chunkSlots) {
      let slots = chunkSlots ? chunkSlots << 1 : 16;
      chunkTable = chunkTable ? heap.realloc(chunkTable, <usize>slots << 2) : heap.alloc(<usize>slots << 2);
      chunkSlots = slots;
    }
    // Whole pages: aligned to the line (and far beyond), and linear memory grows by just this.
    let base = allocPages(pagesFor(CHUNK_BYTES));
    // Fresh records start zeroed: incarnation 0, not in use.
    memory.fill(base, 0, CHUNK_BYTES);
    store<u32>(chunkTable + (<usize>chunk << 2), <u32>base);
    chunkCount++;
  }
  // A never-used slot (or one handed out again after clear) has never been pinned by this epoch.
  store<u32>(rec(id), 0, O_PIN_EPOCH);
  highWater = id + 1;
  return id;
}

/** Return a slot to the free list; its new incarnation orphans every entry below it. */
export function freeSlot(id: u32): void {
  let r = rec(id);
  store<u32>(r, load<u32>(r, O_INC) + 1, O_INC);
  store<u16>(r, 0, O_FLAGS);
  store<u32>(r, freeHead, O_NEXT_FREE);
  freeHead = id;
}

/** Address of the name bytes of the record at `r` (inline or in the arena). */
// @ts-ignore: decorator
@inline export function recordName(r: usize): usize {
  return <i32>load<u8>(r, O_NAME_LEN) <= NAME_INLINE_MAX ? r + O_NAME : <usize>load<u32>(r, O_NAME);
}

/** Give back the arena block of the record's name, if it has one (names are never shared). */
export function dropRecordName(r: usize): void {
  let len = <i32>load<u8>(r, O_NAME_LEN);
  if (len > NAME_INLINE_MAX) freeName(<usize>load<u32>(r, O_NAME), len);
}

/** Fill a freshly allocated slot, copying the `nameLen` name bytes at `name` into it (or the arena). */
export function writeRecord(
  id: u32, parent: u32, parentInc: u32, hash: u32, name: usize, nameLen: i32,
  type: i32, flags: u32, layer: i32, lowest: i32, handle: i32, deadline: u32,
): void {
  let r = rec(id);
  store<u32>(r, parent, O_PARENT);
  store<u32>(r, parentInc, O_PARENT_INC);
  store<u32>(r, hash, O_HASH);
  store<i32>(r, handle, O_HANDLE);
  store<u32>(r, deadline, O_DEADLINE);
  store<u16>(r, <u16>(flags | F_IN_USE | F_REFERENCED), O_FLAGS);
  store<u8>(r, <u8>nameLen, O_NAME_LEN);
  store<u8>(r, <u8>type, O_TYPE);
  store<u8>(r, <u8>layer, O_LAYER);
  store<u8>(r, <u8>lowest, O_LOWEST);
  if (nameLen <= NAME_INLINE_MAX) {
    memory.copy(r + O_NAME, name, <usize>nameLen);
  } else {
    let block = allocName(nameLen);
    memory.copy(block, name, <usize>nameLen);
    store<u32>(r, <u32>block, O_NAME);
  }
}

/**
 * Empty every slot but the root: live slots get a new incarnation (nothing that remembered the
 * old one may match again), then slots are handed out from 1 again. Chunks are kept; arena name
 * blocks are not given back one by one (the caller drops the whole arena).
 */
export function resetSlots(): void {
  for (let id: u32 = 1; id < highWater; id++) {
    let r = rec(id);
    if (<u32>load<u16>(r, O_FLAGS) & F_IN_USE) store<u32>(r, load<u32>(r, O_INC) + 1, O_INC);
    store<u16>(r, 0, O_FLAGS);
  }
  highWater = 1;
  freeHead = NONE;
}

/** Forget every record and give the chunks back (to the page list: memory never shrinks). */
export function releaseRecords(): void {
  for (let i: u32 = 0; i < chunkCount; i++) freePages(<usize>load<u32>(chunkTable + (<usize>i << 2)), pagesFor(CHUNK_BYTES));
  if (chunkTable) heap.free(chunkTable);
  chunkTable = 0;
  chunkSlots = 0;
  chunkCount = 0;
  highWater = 0;
  freeHead = NONE;
}

/** Bytes the record store holds (chunks and chunk table). */
export function recordStoreBytes(): usize {
  return <usize>chunkCount * CHUNK_BYTES + (<usize>chunkSlots << 2);
}

/** The root always takes slot 0 of a fresh store: a directory with no name and no parent. */
export function allocRoot(): void {
  let id = allocSlot();
  assert(id == ROOT_ID);
  writeRecord(id, NONE, 0, 0, 0, 0, T_DIR, 0, 0, 0, 0, 0);
}
