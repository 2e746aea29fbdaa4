// Cache operations on entries by id or by (parent, name bytes): the contract's insert (replace,
// then make room, then create), remove, clear, in-place updates, stamps, field reads and peeks.
// Ids arrive from JS as i32; a negative or out-of-range id is simply not live.
import { F_PUBLIC_MASK, NAME_MAX, NO_ENTRY, ROOT_ID, T_DIR, T_NONE } from './abi';
import {
  rec, isLive, F_CHANGED, F_EXPIRED, NONE,
  O_DEADLINE, O_FLAGS, O_HANDLE, O_LAYER, O_LOWEST, O_NAME_LEN, O_PARENT, O_TYPE, recordName,
} from './dentry';
import { countEviction, resetCounters } from './counters';
import { clearEntries, createEntry, entryBytes, freeEntry, initEntries, releaseEntries } from './entries';
import { evictUntilFits, resetEpoch, resetHand } from './evict';
import { hashKey } from './hash';
import { linkedToParent, reachable } from './revalidate';
import { tableFind } from './table';
import { frontChanged, initFront, releaseFront } from './front';
import { initPrints, releasePrints } from './fingerprint-table';

// @ts-ignore: decorator
@inline const SLASH: u8 = 0x2f;
// @ts-ignore: decorator
@inline const DOT: u8 = 0x2e;

let ready = false;

/** (Re)create an empty cache holding only the root, with these capacity bounds. */
export function initCache(capacityEntries: f64, capacityBytes: f64): void {
  if (ready) releaseEntries();
  resetCounters(capacityEntries, capacityBytes);
  initEntries();
  resetHand();
  resetEpoch();
  initFront();
  initPrints();
  ready = true;
}

/** Give every block back to the heap (a spec's teardown; RTRACE then shows no leak). */
export function releaseCache(): void {
  if (ready) releaseEntries();
  releaseFront();
  releasePrints();
  ready = false;
}

/** A name the cache can hold: 1..NAME_MAX bytes, not "." or "..", no '/' and no NUL. */
export function validName(name: usize, len: i32): bool {
  if (len < 1 || len > NAME_MAX) return false;
  let c0 = load<u8>(name);
  if (c0 == 0x2e && (len == 1 || (len == 2 && load<u8>(name, 1) == 0x2e))) return false;
  for (let i = 0; i < len; i++) {
    let c = load<u8>(name + <usize>i);
    if (c == 0x2f || c == 0) return false;
  }
  return true;
}

/**
 * Insert (parent, name) with these fields. An existing entry with the key is removed first
 * (an unreachable one counts as an eviction), then CLOCK makes room (never taking `parent`).
 * NO_ENTRY if the parent is not a live directory or the name is not valid.
 */
export function insertKey(
  parent: i32, name: usize, len: i32,
  type: i32, flags: i32, layer: i32, lowest: i32, handle: i32, deadline: u32,
): i32 {
  let p = <u32>parent;
  if (!isLive(p) || <i32>load<u8>(rec(p), O_TYPE) != T_DIR || !validName(name, len)) return NO_ENTRY;
  let hash = hashKey(p, name, len);
  let existing = tableFind(p, name, len, hash);
  if (existing != NONE) {
    if (!linkedToParent(existing)) countEviction();
    freeEntry(existing);
  }
  evictUntilFits(entryBytes(len), p);
  return <i32>createEntry(p, name, len, hash, type, <u32>(flags & F_PUBLIC_MASK), layer, lowest, handle, deadline);
}

/** Peek (parent, name) without revalidating or counting: the id, or NO_ENTRY if absent/unreachable. */
export function lookupKey(parent: i32, name: usize, len: i32): i32 {
  let p = <u32>parent;
  if (!isLive(p) || len < 1 || len > NAME_MAX) return NO_ENTRY;
  let id = tableFind(p, name, len, hashKey(p, name, len));
  if (id == NONE || !linkedToParent(id)) return NO_ENTRY;
  return <i32>id;
}

/** Peek the whole `len`-byte path at `p`: no revalidation, no symlinks, no "." or "..". */
export function lookupPathKey(p: usize, len: usize): i32 {
  if (len == 0 || load<u8>(p) != SLASH) return NO_ENTRY;
  let id: i32 = ROOT_ID;
  let i: usize = 0;
  while (i < len) {
    while (i < len && load<u8>(p + i) == SLASH) i++;
    if (i >= len) break;
    let start = i;
    while (i < len && load<u8>(p + i) != SLASH) i++;
    let n = i - start;
    if (load<u8>(p + start) == DOT && (n == 1 || (n == 2 && load<u8>(p + start + 1) == DOT))) return NO_ENTRY;
    if (<i32>load<u8>(rec(<u32>id), O_TYPE) != T_DIR) return NO_ENTRY;
    id = lookupKey(id, p + start, <i32>n);
    if (id == NO_ENTRY) return NO_ENTRY;
  }
  return id;
}

export function removeEntry(id: i32): void {
  if (id == ROOT_ID || !isLive(<u32>id)) return;
  freeEntry(<u32>id);
}

export function clearCache(): void {
  clearEntries();
  resetHand();
}

/** Rewrite the fields of a live entry in place; the root stays a directory. */
export function updateEntry(id: i32, type: i32, flags: i32, layer: i32, lowest: i32, handle: i32): void {
  if (!isLive(<u32>id)) return;
  frontChanged();
  let r = rec(<u32>id);
  if (id != ROOT_ID) store<u8>(r, <u8>type, O_TYPE);
  let kept = <u32>load<u16>(r, O_FLAGS) & ~(<u32>F_PUBLIC_MASK);
  store<u16>(r, <u16>(kept | <u32>(flags & F_PUBLIC_MASK)), O_FLAGS);
  store<u8>(r, <u8>layer, O_LAYER);
  store<u8>(r, <u8>lowest, O_LOWEST);
  store<i32>(r, handle, O_HANDLE);
}

/** Set a bookkeeping bit on a live entry other than the root. */
function markEntry(id: i32, bit: u32): void {
  if (id == ROOT_ID || !isLive(<u32>id)) return;
  frontChanged();
  let r = rec(<u32>id);
  store<u16>(r, <u16>(<u32>load<u16>(r, O_FLAGS) | bit), O_FLAGS);
}

export function invalidateEntry(id: i32): void {
  markEntry(id, F_CHANGED);
}

export function expireEntry(id: i32): void {
  markEntry(id, F_EXPIRED);
}

/** The overlay re-validated the entry: clear changed and expired, set the new deadline. */
export function refreshEntry(id: i32, deadline: u32): void {
  if (!isLive(<u32>id)) return;
  frontChanged();
  let r = rec(<u32>id);
  store<u16>(r, <u16>(<u32>load<u16>(r, O_FLAGS) & ~(F_CHANGED | F_EXPIRED)), O_FLAGS);
  store<u32>(r, deadline, O_DEADLINE);
}

// Field reads: a slot without an entry reads as the contract's defaults.
export function entryType(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u8>(rec(<u32>id), O_TYPE) : T_NONE;
}
export function entryFlags(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u16>(rec(<u32>id), O_FLAGS) & F_PUBLIC_MASK : 0;
}
export function entryLayer(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u8>(rec(<u32>id), O_LAYER) : 0;
}
export function entryLowest(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u8>(rec(<u32>id), O_LOWEST) : 0;
}
export function entryHandle(id: i32): i32 {
  return isLive(<u32>id) ? load<i32>(rec(<u32>id), O_HANDLE) : 0;
}
export function entryParent(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u32>(rec(<u32>id), O_PARENT) : NO_ENTRY;
}
/** Address of the entry's name bytes (0 for the root or no entry); see entryNameLength. */
export function entryNameAddress(id: i32): usize {
  if (!isLive(<u32>id) || id == ROOT_ID) return 0;
  return recordName(rec(<u32>id));
}
export function entryNameLength(id: i32): i32 {
  return isLive(<u32>id) ? <i32>load<u8>(rec(<u32>id), O_NAME_LEN) : 0;
}
export function entryAlive(id: i32): bool {
  return reachable(<u32>id);
}
