// The fingerprint table (fingerprint-table.ts): every path whose walk ended on its last component,
// found or negative, with no deadline on the way, is answered from one slot — exactly as the
// component walk answers it — and never after anything that could change the answer.
import { counters, frontTable, invalidate, remove } from '../index';
import {
  C_HITS, C_NEGATIVE_HITS, RES_FLAGS, RES_HANDLE, RES_ID, RES_INDEX, RES_LAST, RES_LAYER, RES_LOWEST,
  RES_NAME_LEN, RES_NAME_OFF, RES_PARENT, RES_SLOTS, RES_STATUS, RES_TYPE, ROOT_ID, T_DIR, T_FILE, T_NONE,
  T_SYMLINK, WALK_FOLLOW, WALK_FOUND, WALK_MISS, WALK_NEGATIVE, WALK_SYMLINK,
} from '../abi';
import { pinPrintBuckets, printDrops, printHits, printMoves, setPrintMask } from '../fingerprint-table';
import { dropCache, freshCache, insertStr, putNumbered, res, walkStr } from './helpers';
import { insert, walk } from '../index';

function counter(slot: i32): f64 {
  return load<f64>(counters() + (<usize>slot << 3));
}

let a = 0, b = 0, c = 0, miss = 0, link = 0, slow = 0;
function tree(): void {
  a = insertStr(ROOT_ID, 'a', T_DIR);
  b = insertStr(a, 'b', T_DIR);
  c = insertStr(b, 'c', T_FILE);
  miss = insertStr(b, 'missing', T_NONE);
  link = insertStr(a, 'link', T_SYMLINK);
  slow = insertStr(a, 'slow', T_FILE, 100);
}

/** Walk `path`; true if the fingerprint table answered. */
function fromPrints(path: string, opts: i32 = 0): bool {
  let before = printHits();
  walkStr(path, 1, opts);
  return printHits() == before + 1;
}

/** The result record and the counters after walking `path`. */
function answerOf(path: string): StaticArray<f64> {
  let out = new StaticArray<f64>(RES_SLOTS + 2);
  let hits = counter(C_HITS);
  let negatives = counter(C_NEGATIVE_HITS);
  walkStr(path);
  for (let i = 0; i < RES_SLOTS; i++) out[i] = <f64>res(i);
  out[RES_SLOTS] = counter(C_HITS) - hits;
  out[RES_SLOTS + 1] = counter(C_NEGATIVE_HITS) - negatives;
  return out;
}

function expectSameAnswer(path: string): void {
  walkStr(path);
  let before = printHits();
  let fromTable = answerOf(path);
  expect(printHits()).toBe(before + 1, path);
  frontTable(false);
  let walked = answerOf(path);
  frontTable(true);
  for (let i = 0; i < RES_SLOTS + 2; i++) expect(fromTable[i]).toBe(walked[i], `${path}: slot ${i}`);
}

describe('fingerprint table', () => {
  beforeEach(() => { freshCache(); tree(); });
  afterEach(() => dropCache());

  it('answers found, negative, trailing-slash and doubled-slash paths as the walk does', () => {
    expectSameAnswer('/a/b/c');
    expectSameAnswer('/a/b/missing');
    expectSameAnswer('/a/b/');
    expectSameAnswer('/a/b//');
    expectSameAnswer('//a///b//c');
    expectSameAnswer('/a');
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
    expect(res(RES_PARENT)).toBe(b);
    expect(res(RES_INDEX)).toBe(2);
    expect(res(RES_NAME_OFF)).toBe(5);
    expect(res(RES_NAME_LEN)).toBe(1);
    expect(res(RES_LAST)).toBe(1);
    expect(walkStr('/a/b/missing')).toBe(WALK_NEGATIVE);
  });

  it('leaves deadlines and negatives met before the last component to the exact table', () => {
    walkStr('/a/slow');
    expect(fromPrints('/a/slow')).toBe(false);
    walkStr('/a/b/missing/x');
    expect(fromPrints('/a/b/missing/x')).toBe(false);
    expect(walkStr('/a/b/missing/x')).toBe(WALK_NEGATIVE);
    expect(res(RES_LAST)).toBe(0);
  });

  it('is stale after any change, answers again once walked, and survives a new entry', () => {
    walkStr('/a/b/c');
    expect(fromPrints('/a/b/c')).toBe(true);
    invalidate(miss);
    expect(fromPrints('/a/b/c')).toBe(false);
    expect(fromPrints('/a/b/c')).toBe(true);
    insertStr(b, 'd', T_FILE);
    expect(fromPrints('/a/b/c')).toBe(true);
    remove(link);
    expect(fromPrints('/a/b/c')).toBe(false);
  });

  it('keeps walk options apart', () => {
    expect(walkStr('/a/link')).toBe(WALK_FOUND);
    expect(fromPrints('/a/link')).toBe(true);
    expect(walkStr('/a/link', 1, WALK_FOLLOW)).toBe(WALK_SYMLINK);
    expect(fromPrints('/a/link', WALK_FOLLOW)).toBe(false);
    expect(res(RES_STATUS)).toBe(WALK_SYMLINK);
  });

  it('never answers for another path with the same fingerprint but another last name', () => {
    setPrintMask(0);
    walkStr('/a/b/c');
    expect(fromPrints('/a/b/missing')).toBe(false);
    expect(res(RES_STATUS)).toBe(WALK_NEGATIVE);
    expect(res(RES_ID)).toBe(miss);
    setPrintMask(0xffffffffffffffff);
  });

  it('moves an occupant to its other bucket, and drops one only when every way is full', () => {
    pinPrintBuckets(1);
    walkStr('/a/b/c');
    walkStr('/a/b/missing');
    walkStr('/a/b');
    expect(printDrops()).toBe(0);
    walkStr('/a');
    expect(printDrops()).toBe(1);
    let answered = 0;
    if (fromPrints('/a/b/c')) answered++;
    if (fromPrints('/a/b/missing')) answered++;
    if (fromPrints('/a/b')) answered++;
    if (fromPrints('/a')) answered++;
    expect(answered).toBe(3);
    // 72 paths in 32 buckets (96 ways): two choices alone overflow; moving occupants places all.
    pinPrintBuckets(32);
    let drops = printDrops();
    for (let i = 0; i < 72; i++) insert(a, putNumbered('f', i), T_FILE, 0, 0, 0, i, 0);
    for (let i = 0; i < 72; i++) walk(<usize>putNumbered('/a/f', i), 1, 0);
    expect(printMoves()).toBeGreaterThan(0);
    expect(printDrops()).toBe(drops);
    let before = printHits();
    for (let i = 0; i < 72; i++) walk(<usize>putNumbered('/a/f', i), 1, 0);
    expect(printHits()).toBe(before + 72);
    pinPrintBuckets(0);
  });

  it('forgets what a cache stored when the instance is made a new cache', () => {
    walkStr('/a/b/c');
    expect(fromPrints('/a/b/c')).toBe(true);
    // Same stamp, same ids, the same last name under another parent: only an empty table is right.
    freshCache();
    let x = insertStr(ROOT_ID, 'x', T_DIR);
    let y = insertStr(x, 'y', T_DIR);
    insertStr(y, 'c', T_FILE);
    walkStr('/x/y/c');
    expect(walkStr('/a/b/c')).toBe(WALK_MISS);
  });

  it('grows with what it holds and loses no path doing so', () => {
    // 2600 files under /a: past 0.8 of the first segment's 3072 slots the table grows in place.
    let n = 2600;
    for (let i = 0; i < n; i++) insert(a, putNumbered('f', i), T_FILE, 0, 0, 0, i, 0);
    for (let i = 0; i < n; i++) walk(<usize>putNumbered('/a/f', i), 1, 0);
    expect(printDrops()).toBe(0);
    let before = printHits();
    for (let i = 0; i < n; i++) {
      expect(walk(<usize>putNumbered('/a/f', i), 1, 0)).toBe(WALK_FOUND);
      expect(res(RES_HANDLE)).toBe(i);
    }
    expect(printHits()).toBe(before + n);
  });
});
