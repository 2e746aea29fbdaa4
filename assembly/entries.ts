// Entry lifecycle: an entry is a record (holding its name, or a name block for a long one) + a
// hash-table link + its accounting. Every entry enters through createEntry and leaves through
// freeEntry, so the three stay in step.
import { ENTRY_BYTES, ROOT_ID } from './abi';
import {
  allocRoot, allocSlot, dropRecordName, freeSlot, rec, releaseRecords, resetSlots, writeRecord,
  NONE, O_INC, O_NAME_LEN,
} from './dentry';
import { accountAdd, accountRemove, accountReset } from './counters';
import { nameBlockBytes, releaseNames } from './names';
import { initTable, releaseTable, tableLink, tableUnlink } from './table';
import { frontChanged } from './front';

/** Accounted bytes of an entry whose name has `len` bytes. */
// @ts-ignore: decorator
@inline export function entryBytes(len: i32): u64 {
  return <u64>(ENTRY_BYTES + nameBlockBytes(len));
}

/** Set up an empty store holding only the root. */
export function initEntries(): void {
  allocRoot();
  initTable();
  accountReset(1, <u64>ENTRY_BYTES);
}

/** Give all memory back to the heap (the store must be initialised again before use). */
export function releaseEntries(): void {
  releaseTable();
  releaseNames();
  releaseRecords();
  accountReset(0, 0);
}

/** Drop every entry but the root; chunks are kept for reuse. */
export function clearEntries(): void {
  releaseTable();
  releaseNames();
  resetSlots();
  initTable();
  frontChanged();
  accountReset(1, <u64>ENTRY_BYTES);
}

/**
 * A new entry (parent, name bytes at `name`, `len` of them, 1..NAME_MAX) in the slot the free
 * list gives. The caller has removed any entry with the same key and made room.
 */
export function createEntry(
  parent: u32, name: usize, len: i32, hash: u32,
  type: i32, flags: u32, layer: i32, lowest: i32, handle: i32, deadline: u32,
): u32 {
  let id = allocSlot();
  writeRecord(id, parent, load<u32>(rec(parent), O_INC), hash, name, len, type, flags, layer, lowest, handle, deadline);
  tableLink(id);
  accountAdd(entryBytes(len));
  return id;
}

/** Free a live entry other than the root. Its descendants become unreachable. */
export function freeEntry(id: u32): void {
  assert(id != ROOT_ID && id != NONE);
  // Whatever was found through this entry is gone or unreachable now.
  frontChanged();
  let r = rec(id);
  let len = <i32>load<u8>(r, O_NAME_LEN);
  tableUnlink(id);
  dropRecordName(r);
  freeSlot(id);
  accountRemove(entryBytes(len));
}
