import {
  allocSlot, dropRecordName, freeSlot, isLive, rec, recordName, resetSlots, slotTop, writeRecord,
  NAME_INLINE_MAX, NONE, O_INC, O_NAME, O_PIN_EPOCH, O_TYPE, RECORD_BYTES,
} from '../dentry';
import { nameArenaBytes } from '../names';
import { T_DIR, T_FILE } from '../abi';
import { dropCache, freshCache } from './helpers';

function take(): u32 {
  let id = allocSlot();
  writeRecord(id, 0, 0, 0, 0, 1, T_FILE, 0, 0, 0, 0, 0);
  return id;
}

describe('dentry records', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('is one 64-byte cache line a record, each on a line boundary', () => {
    expect(RECORD_BYTES).toBe(64);
    expect(rec(0) & 63).toBe(0);
    for (let i = 1; i < 5000; i++) take();
    let misaligned = 0;
    for (let i: u32 = 0; i < 5000; i++) if (rec(i) & 63) misaligned++;
    expect(misaligned).toBe(0);
  });

  it('keeps names up to NAME_INLINE_MAX bytes in the record, longer ones in the arena', () => {
    expect(NAME_INLINE_MAX).toBe(30);
    let src = heap.alloc(255);
    for (let i = 0; i < 255; i++) store<u8>(src + <usize>i, <u8>(0x61 + i % 26));
    let arenaBefore = nameArenaBytes();
    let short = allocSlot();
    writeRecord(short, 0, 0, 0, src, NAME_INLINE_MAX, T_FILE, 0, 0, 0, 0, 0);
    expect(recordName(rec(short))).toBe(rec(short) + O_NAME);
    expect(memory.compare(recordName(rec(short)), src, <usize>NAME_INLINE_MAX)).toBe(0);
    expect(nameArenaBytes()).toBe(arenaBefore); // nothing taken from the arena
    let long = allocSlot();
    writeRecord(long, 0, 0, 0, src, NAME_INLINE_MAX + 1, T_FILE, 0, 0, 0, 0, 0);
    let at = recordName(rec(long));
    expect(at == rec(long) + O_NAME).toBe(false);
    expect(memory.compare(at, src, <usize>(NAME_INLINE_MAX + 1))).toBe(0);
    let full = allocSlot();
    writeRecord(full, 0, 0, 0, src, 255, T_FILE, 0, 0, 0, 0, 0);
    expect(memory.compare(recordName(rec(full)), src, 255)).toBe(0);
    // A freed long name's block is reused by the next name of its size class.
    dropRecordName(rec(long));
    let again = allocSlot();
    writeRecord(again, 0, 0, 0, src, NAME_INLINE_MAX + 2, T_FILE, 0, 0, 0, 0, 0);
    expect(recordName(rec(again))).toBe(at);
    heap.free(src);
  });

  it('starts with the root in slot 0 and hands out slots in order', () => {
    expect(isLive(0)).toBe(true);
    expect(slotTop()).toBe(1);
    expect(take()).toBe(1);
    expect(take()).toBe(2);
    expect(slotTop()).toBe(3);
  });

  it('reuses the most recently freed slot first and bumps its incarnation', () => {
    let a = take();
    let b = take();
    take();
    let incA = load<u32>(rec(a), O_INC);
    freeSlot(a);
    freeSlot(b);
    expect(isLive(a)).toBe(false);
    expect(load<u32>(rec(a), O_INC)).toBe(incA + 1);
    expect(take()).toBe(b);
    expect(take()).toBe(a);
    expect(take()).toBe(4);
  });

  it('grows past one 4096-record chunk with addresses that never move', () => {
    let first = rec(1);
    for (let i = 1; i < 10000; i++) take();
    expect(rec(1)).toBe(first);
    expect(isLive(9999)).toBe(true);
    expect(rec(4097) - rec(4096)).toBe(<usize>RECORD_BYTES);
  });

  it('resetSlots empties every slot but the root, keeping incarnations', () => {
    let a = take();
    let b = take();
    freeSlot(b); // b already bumped once
    let incA = load<u32>(rec(a), O_INC);
    let incB = load<u32>(rec(b), O_INC);
    store<u32>(rec(a), 77, O_PIN_EPOCH);
    resetSlots();
    expect(isLive(a)).toBe(false);
    expect(isLive(0)).toBe(true);
    expect(load<u32>(rec(a), O_INC)).toBe(incA + 1);
    expect(load<u32>(rec(b), O_INC)).toBe(incB);
    // Handed out again from 1, with a clean pin epoch.
    expect(take()).toBe(1);
    expect(load<u32>(rec(1), O_PIN_EPOCH)).toBe(0);
  });

  it('marks the root a directory with no parent', () => {
    expect(load<u8>(rec(0), O_TYPE)).toBe(<u8>T_DIR);
    expect(load<u32>(rec(0), 0)).toBe(NONE);
  });
});
