import { allocSlot, rec, writeRecord, NONE, O_NEXT } from '../dentry';
import { allocName } from '../names';
import { bucketCount, linkedCount, tableFind, tableLink, tableUnlink } from '../table';
import { T_FILE } from '../abi';
import { dropCache, freshCache } from './helpers';

/** A record keyed (parent, "n<i>") with a hash the test chooses; returns its id. */
function add(parent: u32, i: i32, hash: u32): u32 {
  let id = allocSlot();
  let name = allocName(4);
  store<u32>(name, <u32>i);
  writeRecord(id, parent, 0, hash, name, 4, T_FILE, 0, 0, 0, 0, 0);
  tableLink(id);
  return id;
}

let key: usize = 0;
function find(parent: u32, i: i32, hash: u32): u32 {
  if (!key) key = allocName(4);
  store<u32>(key, <u32>i);
  return tableFind(parent, key, 4, hash);
}

describe('hash table', () => {
  beforeEach(() => { freshCache(); key = 0; });
  afterEach(() => dropCache());

  it('finds what was linked and forgets what was unlinked', () => {
    let a = add(0, 1, 0x1234);
    let b = add(0, 2, 0x5678);
    expect(find(0, 1, 0x1234)).toBe(a);
    expect(find(0, 2, 0x5678)).toBe(b);
    expect(find(0, 3, 0x1234)).toBe(NONE);
    expect(find(1, 1, 0x1234)).toBe(NONE); // other parent
    expect(linkedCount()).toBe(2);
    tableUnlink(a);
    expect(find(0, 1, 0x1234)).toBe(NONE);
    expect(find(0, 2, 0x5678)).toBe(b);
    expect(linkedCount()).toBe(1);
  });

  it('keeps colliding keys apart in one chain and unlinks head, middle and tail', () => {
    // Same hash for all: one chain of 5, newest at the head.
    let ids = new StaticArray<u32>(5);
    for (let i = 0; i < 5; i++) ids[i] = add(0, i, 7);
    for (let i = 0; i < 5; i++) expect(find(0, i, 7)).toBe(ids[i]);
    let chain = 0;
    let id = load<u32>(rec(ids[4]), O_NEXT);
    while (id != NONE) { chain++; id = load<u32>(rec(id), O_NEXT); }
    expect(chain).toBe(4);
    tableUnlink(ids[4]); // head
    tableUnlink(ids[2]); // middle
    tableUnlink(ids[0]); // tail
    expect(find(0, 4, 7)).toBe(NONE);
    expect(find(0, 2, 7)).toBe(NONE);
    expect(find(0, 0, 7)).toBe(NONE);
    expect(find(0, 1, 7)).toBe(ids[1]);
    expect(find(0, 3, 7)).toBe(ids[3]);
  });

  it('doubles when entries pass buckets and still finds every key', () => {
    let start = bucketCount();
    expect(start).toBe(256);
    for (let i = 0; i < 5000; i++) add(<u32>(i & 3), i, <u32>i * 2654435761);
    expect(bucketCount()).toBe(8192);
    let wrong = 0;
    for (let i = 0; i < 5000; i++) if (find(<u32>(i & 3), i, <u32>i * 2654435761) != <u32>(i + 1)) wrong++;
    expect(wrong).toBe(0);
  });

  it('rehashes colliding chains intact', () => {
    for (let i = 0; i < 600; i++) add(0, i, 99);
    expect(bucketCount()).toBe(1024);
    let wrong = 0;
    for (let i = 0; i < 600; i++) if (find(0, i, 99) != <u32>(i + 1)) wrong++;
    expect(wrong).toBe(0);
  });
});
