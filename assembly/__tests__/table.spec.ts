import { allocSlot, writeRecord, NONE } from '../dentry';
import { bucketCount, idBitCount, linkedCount, tableFind, tableLink, tableUnlink } from '../table';
import { T_FILE } from '../abi';
import { dropCache, freshCache } from './helpers';

let key: usize = 0;

/** xorshift32: a seeded sequence for the randomized spec (its seed is in the spec's name). */
let rngState: u32 = 1;
function nextInt(bound: i32): i32 {
  let x = rngState;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rngState = x;
  return <i32>(x % <u32>bound);
}

/** A record keyed (parent, "n<i>" as 4 bytes) with a hash the test chooses; returns its id. */
function add(parent: u32, i: i32, hash: u32): u32 {
  if (!key) key = heap.alloc(4);
  let id = allocSlot();
  store<u32>(key, <u32>i);
  writeRecord(id, parent, 0, hash, key, 4, T_FILE, 0, 0, 0, 0, 0);
  tableLink(id);
  return id;
}

function find(parent: u32, i: i32, hash: u32): u32 {
  if (!key) key = heap.alloc(4);
  store<u32>(key, <u32>i);
  return tableFind(parent, key, 4, hash);
}

describe('hash table', () => {
  beforeEach(() => { freshCache(); key = 0; });
  afterEach(() => { if (key) heap.free(key); key = 0; dropCache(); });

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

  it('keeps colliding keys apart in one probe run and unlinks its first, middle and last', () => {
    // Same hash for all: one run of 5 slots from the same home, fingerprints equal too.
    let ids = new StaticArray<u32>(5);
    for (let i = 0; i < 5; i++) ids[i] = add(0, i, 7);
    for (let i = 0; i < 5; i++) expect(find(0, i, 7)).toBe(ids[i]);
    tableUnlink(ids[0]); // first
    tableUnlink(ids[2]); // middle
    tableUnlink(ids[4]); // last
    expect(find(0, 0, 7)).toBe(NONE);
    expect(find(0, 2, 7)).toBe(NONE);
    expect(find(0, 4, 7)).toBe(NONE);
    expect(find(0, 1, 7)).toBe(ids[1]);
    expect(find(0, 3, 7)).toBe(ids[3]);
  });

  it('shifts back only what may move: runs from different homes that wrap the array end', () => {
    // Homes 254, 255, 0 and 1 in a 256-slot array: runs overlap and wrap around.
    let last = bucketCount() - 1;
    let a = add(0, 1, last - 1);
    let b = add(0, 2, last - 1); // → slot last
    let c = add(0, 3, last);     // → slot 0 (wrapped)
    let d = add(0, 4, 0);        // → slot 1
    let e = add(0, 5, 1);        // → slot 2
    tableUnlink(a);
    expect(find(0, 2, last - 1)).toBe(b);
    expect(find(0, 3, last)).toBe(c);
    expect(find(0, 4, 0)).toBe(d);
    expect(find(0, 5, 1)).toBe(e);
    tableUnlink(c);
    expect(find(0, 2, last - 1)).toBe(b);
    expect(find(0, 4, 0)).toBe(d);
    expect(find(0, 5, 1)).toBe(e);
    expect(find(0, 3, last)).toBe(NONE);
  });

  it('doubles past 3/4 load and still finds every key', () => {
    expect(bucketCount()).toBe(256);
    for (let i = 0; i < 192; i++) add(<u32>(i & 3), i, <u32>i * 2654435761);
    expect(bucketCount()).toBe(256); // 192 = 3/4 of 256: not yet
    add(0, 192, <u32>192 * 2654435761);
    expect(bucketCount()).toBe(512);
    for (let i = 193; i < 5000; i++) add(<u32>(i & 3), i, <u32>i * 2654435761);
    expect(bucketCount()).toBe(8192);
    let wrong = 0;
    for (let i = 0; i < 5000; i++) if (find(<u32>(i & 3), i, <u32>i * 2654435761) != <u32>(i + 1)) wrong++;
    expect(wrong).toBe(0);
  });

  it('rebuilds colliding runs intact', () => {
    for (let i = 0; i < 600; i++) add(0, i, 99);
    expect(bucketCount()).toBe(1024);
    let wrong = 0;
    for (let i = 0; i < 600; i++) if (find(0, i, 99) != <u32>(i + 1)) wrong++;
    expect(wrong).toBe(0);
  });

  it('widens the id bits when ids outgrow them, keeping every key', () => {
    expect(idBitCount()).toBe(16);
    // Ids up to 70000 (> 2^16 - 2): the table must widen once.
    let n = 70000;
    for (let i = 0; i < n; i++) add(0, i, <u32>i * 0x9e3779b1);
    expect(idBitCount()).toBe(17);
    let wrong = 0;
    for (let i = 0; i < n; i++) if (find(0, i, <u32>i * 0x9e3779b1) != <u32>(i + 1)) wrong++;
    expect(wrong).toBe(0);
  });

  it('agrees with a reference set under random links and unlinks (seed 20261127)', () => {
    // Few distinct hash values, so runs are long, collide in fingerprint, and cross each other.
    rngState = 20261127;
    let n = 3000;
    let present = new StaticArray<bool>(n);
    let idOf = new StaticArray<u32>(n);
    let hashOf = new StaticArray<u32>(n);
    for (let i = 0; i < n; i++) hashOf[i] = <u32>nextInt(64) * 0x01000003;
    let wrong = 0;
    for (let step = 0; step < 40000; step++) {
      let k = nextInt(n);
      if (present[k]) {
        tableUnlink(idOf[k]);
        present[k] = false;
      } else {
        // Several ids may share a key's history: the record is rewritten for each link.
        let id = allocSlot();
        store<u32>(key ? key : (key = heap.alloc(4)), <u32>k);
        writeRecord(id, 0, 0, hashOf[k], key, 4, T_FILE, 0, 0, 0, 0, 0);
        tableLink(id);
        idOf[k] = id;
        present[k] = true;
      }
      if (step % 1000 == 999) {
        let count: u32 = 0;
        for (let i = 0; i < n; i++) {
          let got = find(0, i, hashOf[i]);
          if (present[i]) count++;
          if (got != (present[i] ? idOf[i] : NONE)) wrong++;
        }
        if (count != linkedCount()) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });
});
