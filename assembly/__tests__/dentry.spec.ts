import { allocSlot, freeSlot, isLive, rec, resetSlots, slotTop, writeRecord, NONE, O_INC, O_PIN_EPOCH, RECORD_BYTES } from '../dentry';
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

  it('is 44 bytes a record', () => {
    expect(RECORD_BYTES).toBe(44);
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
    expect(load<u8>(rec(0), 39)).toBe(<u8>T_DIR);
    expect(load<u32>(rec(0), 0)).toBe(NONE);
  });
});
