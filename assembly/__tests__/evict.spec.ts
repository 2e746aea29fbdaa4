import { alive, counters, init, insert, release, remove, resume, insertStopped } from '../index';
import { C_BYTES, C_ENTRIES, C_EVICTIONS, NO_ENTRY, RES_PARENT, ROOT_ID, T_DIR, T_FILE, WALK_FOUND, WALK_MISS } from '../abi';
import { insertStr, lookupStr, putNumbered, res, walkStr } from './helpers';

function counter(slot: i32): f64 {
  return load<f64>(counters() + (<usize>slot << 3));
}

function fileNumbered(parent: i32, i: i32): i32 {
  return insert(parent, putNumbered('f', i), T_FILE, 0, 0, 0, i, 0);
}

describe('CLOCK eviction', () => {
  afterEach(() => { release(); __collect(); });

  it('keeps entries within the entry bound, sweeping slots in order with a second chance', () => {
    init(5.0, 1e9); // the root and 4 more
    for (let i = 1; i <= 4; i++) expect(fileNumbered(ROOT_ID, i)).toBe(i);
    // Everything is referenced (new entries start referenced): one sweep clears 1..4, the
    // second takes slot 1, and the new entry reuses it.
    expect(fileNumbered(ROOT_ID, 5)).toBe(1);
    expect(counter(C_EVICTIONS)).toBe(1);
    expect(counter(C_ENTRIES)).toBe(5);
    expect(lookupStr(ROOT_ID, 'f1')).toBe(NO_ENTRY);
    // A walk hit sets 3's reference bit again: the hand (now at 2) takes 2, skips 3, ...
    expect(walkStr('/f3')).toBe(WALK_FOUND);
    expect(fileNumbered(ROOT_ID, 6)).toBe(2);
    expect(fileNumbered(ROOT_ID, 7)).toBe(4);
    expect(lookupStr(ROOT_ID, 'f3')).toBe(3);
    expect(counter(C_EVICTIONS)).toBe(3);
  });

  it('keeps accounted bytes within the byte bound', () => {
    // Root 48 + two entries of 48 + 8: 160 bytes. A 20-byte name needs 48 + 24 = 72.
    init(1000.0, 160.0);
    let a = insertStr(ROOT_ID, 'a', T_FILE);
    let b = insertStr(ROOT_ID, 'b', T_FILE);
    expect(counter(C_BYTES)).toBe(160);
    let big = insertStr(ROOT_ID, 'twenty-bytes-name-xx', T_FILE);
    // Both had to go (56 freed is not enough for 72); LIFO: the last freed slot (b) is reused.
    expect(big).toBe(b);
    expect(lookupStr(ROOT_ID, 'a')).toBe(NO_ENTRY);
    expect(counter(C_BYTES)).toBe(48 + 72);
    expect(counter(C_EVICTIONS)).toBe(2);
    expect(a).toBe(1);
  });

  it('reclaims unreachable entries at once, even when referenced', () => {
    init(6.0, 1e9);
    let d = insertStr(ROOT_ID, 'd', T_DIR); // 1
    insertStr(d, 'x', T_FILE); // 2
    insertStr(d, 'y', T_FILE); // 3
    let keep = insertStr(ROOT_ID, 'keep', T_FILE); // 4
    insertStr(ROOT_ID, 'more', T_FILE); // 5
    remove(d); // x and y are orphans now; slot 1 is free
    expect(insertStr(ROOT_ID, 'n1', T_FILE)).toBe(1);
    // Full (6 entries): the hand meets orphan 2 first and frees it without a second chance.
    expect(insertStr(ROOT_ID, 'n2', T_FILE)).toBe(2);
    expect(counter(C_EVICTIONS)).toBe(1);
    expect(alive(keep)).toBe(true);
  });

  it('never takes the root, the insert\'s parent, or what the current walk pinned', () => {
    init(5.0, 1e9);
    let a = insertStr(ROOT_ID, 'a', T_DIR); // 1
    let b = insertStr(a, 'b', T_DIR); // 2
    let other = insertStr(ROOT_ID, 'other', T_FILE); // 3
    let other2 = insertStr(ROOT_ID, 'other2', T_FILE); // 4
    // The walk pins a and b, then stops at the missing c under b.
    expect(walkStr('/a/b/c')).toBe(WALK_MISS);
    expect(res(RES_PARENT)).toBe(b);
    // Full: CLOCK must make room without touching a or b (pinned; b is also the parent).
    let c = insertStopped(T_FILE, 0, 0, 0, 0, 0);
    expect(c).toBe(other);
    expect(alive(a)).toBe(true);
    expect(alive(b)).toBe(true);
    expect(resume(c, 1)).toBe(WALK_FOUND);
    expect(lookupStr(ROOT_ID, 'other2')).toBe(other2);
  });

  it('lets an insert exceed the bound when everything is pinned or kept', () => {
    init(3.0, 1e9);
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    let b = insertStr(a, 'b', T_DIR);
    expect(walkStr('/a/b/c')).toBe(WALK_MISS);
    let c = insertStopped(T_FILE, 0, 0, 0, 0, 0);
    expect(c).toBe(3);
    expect(counter(C_ENTRIES)).toBe(4);
    expect(counter(C_EVICTIONS)).toBe(0);
    expect(alive(b)).toBe(true);
  });

  it('releases the pins of a walk when the next walk starts', () => {
    init(4.0, 1e9);
    let a = insertStr(ROOT_ID, 'a', T_DIR); // 1
    insertStr(a, 'b', T_DIR); // 2
    expect(walkStr('/a/b/c')).toBe(WALK_MISS);
    expect(walkStr('/')).toBe(WALK_FOUND); // new walk: a and b no longer pinned
    insertStr(ROOT_ID, 'z', T_FILE); // 3: full now
    let y = insertStr(ROOT_ID, 'y', T_FILE);
    expect(y).toBe(1); // a (slot 1) went after one sweep cleared the reference bits
    expect(alive(2)).toBe(false); // and b with it (unreachable)
  });
});
