// The whole-path front tables (front.ts, fingerprint-table.ts): a repeated walk is answered from
// one with the same effects as the component walk, and never after anything that could change the
// answer. The exact table's own rules (sets, deadlines) are checked with the other one off.
import { counters, expire, frontHits, frontTable, invalidate, refresh, remove, update } from '../index';
import {
  C_HITS, C_NEGATIVE_HITS, RES_ID, RES_INDEX, RES_LAST, RES_NAME_LEN, RES_NAME_OFF, RES_PARENT, ROOT_ID,
  T_DIR, T_FILE, T_NONE, T_SYMLINK, WALK_FOLLOW, WALK_FOUND, WALK_NEGATIVE, WALK_SYMLINK,
} from '../abi';
import { setHashMask } from '../hash';
import { setPrintsEnabled } from '../fingerprint-table';
import { dropCache, freshCache, insertStr, res, walkStr } from './helpers';

function counter(slot: i32): f64 {
  return load<f64>(counters() + (<usize>slot << 3));
}

let a = 0, b = 0, c = 0, miss = 0, link = 0;
function tree(): void {
  a = insertStr(ROOT_ID, 'a', T_DIR);
  b = insertStr(a, 'b', T_DIR);
  c = insertStr(b, 'c', T_FILE, 100);
  miss = insertStr(b, 'missing', T_NONE);
  link = insertStr(a, 'link', T_SYMLINK);
}

/** Walk `path` once; true if the front table answered it. */
function isFront(path: string): bool {
  let before = frontHits();
  walkStr(path);
  return frontHits() == before + 1;
}

/** Walk `path` twice; true if the second walk came from the front table. */
function secondIsFront(path: string, now: u32 = 1, opts: i32 = 0): bool {
  walkStr(path, now, opts);
  let before = frontHits();
  walkStr(path, now, opts);
  return frontHits() == before + 1;
}

describe('front table', () => {
  beforeEach(() => { freshCache(); tree(); });
  afterEach(() => dropCache());

  it('answers a repeated walk with the same result and counters', () => {
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    let hits = counter(C_HITS);
    let before = frontHits();
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    expect(frontHits()).toBe(before + 1);
    expect(res(RES_ID)).toBe(c);
    expect(res(RES_PARENT)).toBe(b);
    expect(res(RES_INDEX)).toBe(2);
    expect(res(RES_NAME_OFF)).toBe(5);
    expect(res(RES_NAME_LEN)).toBe(1);
    expect(res(RES_LAST)).toBe(1);
    expect(counter(C_HITS)).toBe(hits + 3);
  });

  it('answers a repeated negative, counting one negative hit', () => {
    walkStr('/a/b/missing');
    let neg = counter(C_NEGATIVE_HITS);
    let hits = counter(C_HITS);
    expect(secondIsFront('/a/b/missing')).toBe(true);
    expect(walkStr('/a/b/missing')).toBe(WALK_NEGATIVE);
    expect(counter(C_NEGATIVE_HITS)).toBe(neg + 3);
    expect(counter(C_HITS)).toBe(hits + 6);
  });

  it('is stale after invalidate, expire, refresh, update or remove anywhere', () => {
    walkStr('/a/b/c');
    expect(isFront('/a/b/c')).toBe(true);
    invalidate(miss);
    expect(isFront('/a/b/c')).toBe(false);
    // ...and answers again once the component walk stored it anew.
    expect(isFront('/a/b/c')).toBe(true);
    expire(link);
    expect(isFront('/a/b/c')).toBe(false);
    expect(isFront('/a/b/c')).toBe(true);
    refresh(link, 0);
    expect(isFront('/a/b/c')).toBe(false);
    expect(isFront('/a/b/c')).toBe(true);
    update(miss, T_NONE, 0, 0, 0, 0);
    expect(isFront('/a/b/c')).toBe(false);
    expect(isFront('/a/b/c')).toBe(true);
    remove(link);
    expect(isFront('/a/b/c')).toBe(false);
    expect(isFront('/a/b/c')).toBe(true);
  });

  it('survives a new entry: no stored answer depends on it', () => {
    walkStr('/a/b/c');
    insertStr(b, 'd', T_FILE);
    let before = frontHits();
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    expect(frontHits()).toBe(before + 1);
  });

  it('never answers at or after the smallest deadline on the path', () => {
    walkStr('/a/b/c', 50);
    let before = frontHits();
    walkStr('/a/b/c', 99);
    expect(frontHits()).toBe(before + 1);
    walkStr('/a/b/c', 100);
    expect(frontHits()).toBe(before + 1);
  });

  it('keeps walk options apart and never stores "." / ".." or followed paths', () => {
    expect(walkStr('/a/link')).toBe(WALK_FOUND);
    let before = frontHits();
    expect(walkStr('/a/link', 1, WALK_FOLLOW)).toBe(WALK_SYMLINK);
    expect(frontHits()).toBe(before);
    expect(secondIsFront('/a/./b/c')).toBe(false);
    expect(secondIsFront('/a/b/../b/c')).toBe(false);
  });

  it('keeps two paths of one set; a third takes the second place, one newcomer in eight', () => {
    setHashMask(0);
    freshCache();
    setPrintsEnabled(false);
    tree();
    walkStr('/a/b/c');
    walkStr('/a/b/missing');
    expect(isFront('/a/b/c')).toBe(true);
    expect(isFront('/a/b/missing')).toBe(true);
    for (let i = 0; i < 8; i++) expect(isFront('/a/b')).toBe(false);
    expect(isFront('/a/b')).toBe(true);
    expect(isFront('/a/b/c')).toBe(true);
    expect(isFront('/a/b/missing')).toBe(false);
    setHashMask(0xffffffff);
    setPrintsEnabled(true);
  });

  it('can be switched off (answers unchanged)', () => {
    frontTable(false);
    expect(secondIsFront('/a/b/c')).toBe(false);
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
    frontTable(true);
    expect(secondIsFront('/a/b/c')).toBe(true);
  });
});
