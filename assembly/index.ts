// The module's only export surface. JS writes strings into the input buffer (inputAddress(),
// inputCapacity(), reserveInput()) and passes their byte length; walks fill the result record at
// resultAddress(); counters() fills the f64 counter record and returns its address. Ids are i32,
// times and deadlines unsigned 32-bit milliseconds.
import { ROOT_ID, T_DIR } from './abi';
import {
  clearCache, entryAlive, entryFlags, entryHandle, entryLayer, entryLowest, entryNameAddress,
  entryNameLength, entryParent, entryType, expireEntry, initCache, insertKey, invalidateEntry,
  lookupKey, lookupPathKey, refreshEntry, releaseCache, removeEntry, updateEntry,
} from './cache';
import { fillCounters } from './counters';
import { recordStoreBytes } from './dentry';
import { nameArenaBytes } from './names';
import { frontBytes, frontChanged, frontHitCount, frontState, setFrontEnabled } from './front';
import { printBytes, setPrintsEnabled } from './fingerprint-table';
import { setSipKey } from './siphash';
import { bucketCount } from './table';
import {
  initInput, inputAddress as inputAt, inputCapacity as inputRoom, releaseInput,
  reserveInput as reserveInputBytes, resultRecord,
} from './transfer';
import {
  followLink, initWalk, insertStopped as insertStoppedComponent, pathAddress as pathAt,
  releaseWalk, resumeWalk, settleFrontHit, stoppedNameAddress as stoppedAt, stoppedNameLength as stoppedLength, walkPath,
} from './walk';

/** (Re)create the cache: only the root, these bounds, counters at zero. */
export function init(capacityEntries: f64, capacityBytes: f64): void {
  initCache(capacityEntries, capacityBytes);
  initInput();
  initWalk();
}

/** Give every heap block back (tests; an instance is otherwise dropped whole). */
export function release(): void {
  releaseWalk();
  releaseInput();
  releaseCache();
}

export function inputAddress(): usize { return inputAt(); }
export function inputCapacity(): usize { return inputRoom(); }
export function reserveInput(bytes: usize): usize { return reserveInputBytes(bytes); }
export function resultAddress(): usize { return resultRecord; }
export function pathAddress(): usize { return pathAt(); }
export function stoppedNameAddress(): usize { return stoppedAt(); }
export function stoppedNameLength(): i32 { return stoppedLength(); }

export function walk(len: usize, now: u32, opts: i32): i32 { return walkPath(len, now, opts); }
/** -1 if `id` is not a live entry. */
export function resume(id: i32, now: u32): i32 { return resumeWalk(id, now); }
export function follow(len: usize, now: u32): i32 { return followLink(len, now); }

export function insertStopped(type: i32, flags: i32, layer: i32, lowest: i32, handle: i32, deadline: u32): i32 {
  return insertStoppedComponent(type, flags, layer, lowest, handle, deadline);
}
// Calls that may free entries or evict first settle a front-table hit's walk stack (walk.ts).
export function insert(parent: i32, len: i32, type: i32, flags: i32, layer: i32, lowest: i32, handle: i32, deadline: u32): i32 {
  settleFrontHit();
  return insertKey(parent, inputAt(), len, type, flags, layer, lowest, handle, deadline);
}
export function lookup(parent: i32, len: i32): i32 { return lookupKey(parent, inputAt(), len); }
export function lookupPath(len: usize): i32 { return lookupPathKey(inputAt(), len); }
export function update(id: i32, type: i32, flags: i32, layer: i32, lowest: i32, handle: i32): void {
  updateEntry(id, type, flags, layer, lowest, handle);
}
export function setRoot(flags: i32, layer: i32, lowest: i32, handle: i32): void {
  updateEntry(ROOT_ID, T_DIR, flags, layer, lowest, handle);
}
export function invalidate(id: i32): void { invalidateEntry(id); }
export function expire(id: i32): void { expireEntry(id); }
export function refresh(id: i32, deadline: u32): void { refreshEntry(id, deadline); }
export function remove(id: i32): void { settleFrontHit(); removeEntry(id); }
export function clear(): void { settleFrontHit(); clearCache(); }

export function type(id: i32): i32 { return entryType(id); }
export function flags(id: i32): i32 { return entryFlags(id); }
export function layer(id: i32): i32 { return entryLayer(id); }
export function lowest(id: i32): i32 { return entryLowest(id); }
export function handle(id: i32): i32 { return entryHandle(id); }
export function parent(id: i32): i32 { return entryParent(id); }
export function nameAddress(id: i32): usize { return entryNameAddress(id); }
export function nameLength(id: i32): i32 { return entryNameLength(id); }
export function alive(id: i32): bool { return entryAlive(id); }

export function counters(): usize { return fillCounters(); }

/** The whole-path front tables on or off (on by default; answers are the same either way). */
export function frontTable(on: bool): void {
  setPrintsEnabled(on);
  setFrontEnabled(on);
}
/**
 * Key the path fingerprints (fingerprint-table.ts) with 128 random bits, as four u32 words: the
 * embedder calls it once per cache, after init. What was stored under the old key goes stale.
 */
export function frontKey(a: u32, b: u32, c: u32, d: u32): void {
  setSipKey((<u64>b << 32) | <u64>a, (<u64>d << 32) | <u64>c);
  frontChanged();
}
/** The front table's state words (front.ts), read by the JS wrapper without a call. */
export function frontStateAddress(): usize { return frontState; }
/** Walks answered by the front tables since init. */
export function frontHits(): f64 { return <f64>frontHitCount(); }

/** Bytes the cache's structures hold on the heap (records, name arena, buckets). */
export function structureBytes(): f64 {
  return <f64>recordStoreBytes() + <f64>nameArenaBytes() + <f64>bucketCount() * 4 + <f64>frontBytes() + <f64>printBytes();
}

