// Entry lifecycle: an entry is a record + a name block + a hash-table link + its accounting.
// Every entry enters through createEntry and leaves through freeEntry, so the four stay in step.
import { ENTRY_BYTES, ROOT_ID } from './abi';
import {
  allocRoot, allocSlot, freeSlot, rec, releaseRecords, resetSlots, writeRecord,
  NONE, O_INC, O_NAME, O_NAME_LEN,
} from './dentry';
import { accountAdd, accountRemove, accountReset } from './counters';
import { allocName, freeName, nameBlockBytes, releaseNames } from './names';
import { initTable, releaseTable, tableLink, tableUnlink } from './table';

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
  let block = allocName(len);
  memory.copy(block, name, <usize>len);
  writeRecord(id, parent, load<u32>(rec(parent), O_INC), hash, block, len, type, flags, layer, lowest, handle, deadline);
  tableLink(id);
  accountAdd(entryBytes(len));
  return id;
}

/** Free a live entry other than the root. Its descendants become unreachable. */
export function freeEntry(id: u32): void {
  assert(id != ROOT_ID && id != NONE);
  let r = rec(id);
  let len = <i32>load<u8>(r, O_NAME_LEN);
  tableUnlink(id);
  freeName(<usize>load<u32>(r, O_NAME), len);
  freeSlot(id);
  accountRemove(entryBytes(len));
}
