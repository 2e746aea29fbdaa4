import { alive, counters, expire, insert, insertStopped, invalidate, refresh, remove, resume, stoppedNameLength } from '../index';
import {
  C_CHANGED, C_EVICTIONS, C_EXPIRED, C_HITS, C_MISSES, C_NEGATIVE_HITS, F_WHITEOUT, NO_ENTRY,
  RES_FLAGS, RES_HANDLE, RES_ID, RES_INDEX, RES_LAST, RES_NAME_LEN, RES_NAME_OFF, RES_PARENT,
  RES_STATUS, RES_TYPE, ROOT_ID, T_DIR, T_FILE, T_NONE, T_OTHER, T_SYMLINK, WALK_CHANGED,
  WALK_EINVAL, WALK_ENAMETOOLONG, WALK_EXPIRED, WALK_FOLLOW, WALK_FOUND, WALK_MISS, WALK_NEGATIVE,
  WALK_NOTDIR, WALK_SYMLINK,
} from '../abi';
import { dropCache, followStr, freshCache, insertStr, lookupPathStr, put, res, stoppedIs, walkStr } from './helpers';

function counter(slot: i32): f64 {
  return load<f64>(counters() + (<usize>slot << 3));
}

// A small tree: /a (dir) /a/b (dir) /a/b/c (file, handle 42) /a/gone (whiteout) /a/link -> b,
// /file, /dev (T_OTHER).
let a = 0, b = 0, c = 0, gone = 0, link = 0, file = 0;
function tree(): void {
  a = insertStr(ROOT_ID, 'a', T_DIR);
  b = insertStr(a, 'b', T_DIR);
  c = insert(b, put('c'), T_FILE, 0, 1, 2, 42, 0);
  gone = insert(a, put('gone'), T_NONE, F_WHITEOUT, 0, 0, 0, 0);
  link = insertStr(a, 'link', T_SYMLINK);
  file = insertStr(ROOT_ID, 'file', T_FILE);
  insertStr(ROOT_ID, 'dev', T_OTHER);
}

describe('walk stop reasons', () => {
  beforeEach(() => { freshCache(); tree(); });
  afterEach(() => dropCache());

  it('FOUND: the final entry, its directory, index, name and fields', () => {
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
    expect(res(RES_STATUS)).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
    expect(res(RES_PARENT)).toBe(b);
    expect(res(RES_INDEX)).toBe(2);
    expect(res(RES_NAME_OFF)).toBe(5);
    expect(res(RES_NAME_LEN)).toBe(1);
    expect(res(RES_TYPE)).toBe(T_FILE);
    expect(res(RES_HANDLE)).toBe(42);
    expect(res(RES_LAST)).toBe(1);
    expect(counter(C_HITS)).toBe(3);
  });

  it('FOUND the root for "/" and for a path that climbs back to it', () => {
    expect(walkStr('/')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(ROOT_ID);
    expect(res(RES_PARENT)).toBe(NO_ENTRY);
    expect(res(RES_INDEX)).toBe(-1);
    expect(walkStr('/a/b/../..')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(ROOT_ID);
    expect(res(RES_INDEX)).toBe(-1);
  });

  it('NEGATIVE on a cached negative entry, with its flags', () => {
    expect(walkStr('/a/gone')).toBe(WALK_NEGATIVE);
    expect(res(RES_ID)).toBe(gone);
    expect(res(RES_FLAGS)).toBe(F_WHITEOUT);
    expect(walkStr('/a/gone/deeper')).toBe(WALK_NEGATIVE);
    expect(res(RES_LAST)).toBe(0);
    expect(counter(C_NEGATIVE_HITS)).toBe(2);
  });

  it('MISS at the first uncached component; insertStopped + resume go on from there', () => {
    expect(walkStr('/a/x/y')).toBe(WALK_MISS);
    expect(res(RES_ID)).toBe(NO_ENTRY);
    expect(res(RES_PARENT)).toBe(a);
    expect(res(RES_INDEX)).toBe(1);
    expect(stoppedIs('x')).toBe(true);
    let x = insertStopped(T_DIR, 0, 0, 0, 0, 0);
    expect(resume(x, 1)).toBe(WALK_MISS);
    expect(res(RES_PARENT)).toBe(x);
    expect(res(RES_INDEX)).toBe(2);
    expect(res(RES_LAST)).toBe(1);
    let y = insertStopped(T_FILE, 0, 0, 0, 7, 0);
    expect(resume(y, 1)).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(y);
    expect(res(RES_HANDLE)).toBe(7);
    expect(counter(C_MISSES)).toBe(2);
    expect(resume(12345, 1)).toBe(-1); // not an entry: the wrapper throws RangeError
  });

  it('EXPIRED when now reaches the deadline or after expire(); refresh clears it', () => {
    let t = insertStr(a, 'ttl', T_FILE, 10);
    expect(walkStr('/a/ttl', 9)).toBe(WALK_FOUND);
    expect(walkStr('/a/ttl', 10)).toBe(WALK_EXPIRED);
    expect(res(RES_ID)).toBe(t);
    refresh(t, 0xfffffff0); // deadlines are unsigned: far in the future, not negative
    expect(walkStr('/a/ttl', 11)).toBe(WALK_FOUND);
    expire(t);
    expect(walkStr('/a/ttl', 0)).toBe(WALK_EXPIRED);
    refresh(t, 0);
    expect(walkStr('/a/ttl', 0xffffffff)).toBe(WALK_FOUND);
    expect(counter(C_EXPIRED)).toBe(2);
  });

  it('CHANGED beats EXPIRED and stops at the invalidated directory', () => {
    invalidate(b);
    expire(b);
    expect(walkStr('/a/b/c')).toBe(WALK_CHANGED);
    expect(res(RES_ID)).toBe(b);
    expect(res(RES_INDEX)).toBe(1);
    expect(counter(C_CHANGED)).toBe(1);
    refresh(b, 0);
    expect(walkStr('/a/b/c')).toBe(WALK_FOUND);
  });

  it('NOTDIR through a non-directory or with a trailing slash', () => {
    expect(walkStr('/file/x')).toBe(WALK_NOTDIR);
    expect(res(RES_ID)).toBe(file);
    expect(res(RES_LAST)).toBe(0);
    expect(walkStr('/file/')).toBe(WALK_NOTDIR);
    expect(res(RES_LAST)).toBe(1);
    expect(walkStr('/file/.')).toBe(WALK_NOTDIR);
    expect(walkStr('/dev/x')).toBe(WALK_NOTDIR);
    expect(walkStr('/file')).toBe(WALK_FOUND);
    expect(walkStr('/dev')).toBe(WALK_FOUND);
  });

  it('SYMLINK when not last, with a trailing slash, or last with WALK_FOLLOW', () => {
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(res(RES_ID)).toBe(link);
    expect(res(RES_PARENT)).toBe(a);
    expect(walkStr('/a/link/')).toBe(WALK_SYMLINK);
    expect(walkStr('/a/link', 1, WALK_FOLLOW)).toBe(WALK_SYMLINK);
    expect(walkStr('/a/link')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(link);
  });

  it('EINVAL for a relative or empty path, a NUL byte, and ".." above the root', () => {
    expect(walkStr('a/b')).toBe(WALK_EINVAL);
    expect(res(RES_INDEX)).toBe(-1);
    expect(res(RES_ID)).toBe(NO_ENTRY);
    expect(walkStr('')).toBe(WALK_EINVAL);
    expect(walkStr('/a/\0b')).toBe(WALK_EINVAL);
    expect(walkStr('/a/b/c\0')).toBe(WALK_EINVAL);
    expect(walkStr('/nothere/\0')).toBe(WALK_EINVAL); // whole-path rules come before lookups
    expect(walkStr('/a/../..')).toBe(WALK_EINVAL);
    expect(res(RES_INDEX)).toBe(2);
    expect(stoppedIs('..')).toBe(true);
  });

  it('ENAMETOOLONG for a path of PATH_MAX bytes (the kernel counts the NUL) or a component over NAME_MAX', () => {
    expect(walkStr('/' + 'z/'.repeat(2048))).toBe(WALK_ENAMETOOLONG); // 4097 bytes
    expect(res(RES_INDEX)).toBe(-1);
    expect(walkStr('/' + 'z/'.repeat(2047) + 'z')).toBe(WALK_ENAMETOOLONG); // 4096 bytes
    expect(walkStr('/' + 'z/'.repeat(2047))).toBe(WALK_MISS); // 4095 bytes is fine
    expect(walkStr('/a/' + 'x'.repeat(256) + '/b')).toBe(WALK_ENAMETOOLONG);
    expect(res(RES_INDEX)).toBe(1);
    expect(res(RES_NAME_LEN)).toBe(256);
    expect(walkStr('/a/' + 'x'.repeat(255))).toBe(WALK_MISS);
    // A 2-byte character makes 128 of them 256 bytes: limits are in bytes.
    expect(walkStr('/a/' + '\u00e9'.repeat(128))).toBe(WALK_ENAMETOOLONG);
  });
});

describe('walk paths', () => {
  beforeEach(() => { freshCache(); tree(); });
  afterEach(() => dropCache());

  it('skips empty components and ".", pops on "..", counting both in RES_INDEX', () => {
    expect(walkStr('//a/./b/../b///c')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
    expect(res(RES_INDEX)).toBe(5); // a . b .. b c
    expect(walkStr('/a/b/..')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(a);
    expect(res(RES_PARENT)).toBe(ROOT_ID);
    expect(res(RES_NAME_LEN)).toBe(0);
    expect(res(RES_INDEX)).toBe(2);
  });

  it('ends on a directory with a trailing slash or "." and reports it', () => {
    expect(walkStr('/a/b/')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(b);
    expect(res(RES_NAME_LEN)).toBe(1);
    expect(res(RES_INDEX)).toBe(1);
    expect(walkStr('/a/b/.')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(b);
    expect(res(RES_PARENT)).toBe(a);
    expect(res(RES_NAME_OFF)).toBe(0);
    expect(res(RES_NAME_LEN)).toBe(0);
  });

  it('follows a relative target from the symlink\'s directory, with the rest after it', () => {
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(followStr('b')).toBe(WALK_FOUND); // a/ + b + /c
    expect(res(RES_ID)).toBe(c);
    expect(res(RES_INDEX)).toBe(1); // indexes restart in the followed buffer
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(followStr('../a/./b')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
  });

  it('follows an absolute target from the root, and refuses an empty one', () => {
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(followStr('/a/b')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(c);
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(followStr('/nowhere')).toBe(WALK_MISS);
    expect(res(RES_PARENT)).toBe(ROOT_ID);
    expect(walkStr('/a/link/c')).toBe(WALK_SYMLINK);
    expect(followStr('')).toBe(WALK_EINVAL);
  });

  it('handles multi-byte UTF-8 names with byte offsets', () => {
    let e = insertStr(ROOT_ID, '\u00e9t\u00e9', T_DIR); // 5 bytes
    let j = insertStr(e, '\u65e5\u672c\u8a9e', T_DIR); // 9 bytes
    let clef = insertStr(j, '\ud834\udd1e', T_FILE); // U+1D11E: 4 bytes
    expect(walkStr('/\u00e9t\u00e9/\u65e5\u672c\u8a9e/\ud834\udd1e')).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(clef);
    expect(res(RES_NAME_OFF)).toBe(1 + 5 + 1 + 9 + 1);
    expect(res(RES_NAME_LEN)).toBe(4);
    expect(walkStr('/\u00e9t\u00e9/\u65e5\u672c\u8a9e/\u00fc')).toBe(WALK_MISS);
    expect(stoppedIs('\u00fc')).toBe(true);
    expect(stoppedNameLength()).toBe(2);
    // "ete" without accents is another name.
    expect(walkStr('/ete')).toBe(WALK_MISS);
    expect(alive(e)).toBe(true);
  });
});

// /d0/d1/.../d9/leaf: the leaf's 8th ancestor is d2 (index 2).
function deepTree(): StaticArray<i32> {
  let ids = new StaticArray<i32>(11);
  let parent = ROOT_ID;
  for (let i = 0; i < 10; i++) {
    parent = insertStr(parent, 'd' + i.toString(), T_DIR);
    ids[i] = parent;
  }
  ids[10] = insertStr(parent, 'leaf', T_FILE);
  return ids;
}
const LEAF: string = '/d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/leaf';

describe('version invalidation of a deep subtree', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());


  it('stops CHANGED at an ancestor 8 levels up, in O(1): nothing below it was touched', () => {
    let ids = deepTree();
    expect(walkStr(LEAF)).toBe(WALK_FOUND);
    invalidate(ids[2]);
    expect(walkStr(LEAF)).toBe(WALK_CHANGED);
    expect(res(RES_ID)).toBe(ids[2]);
    expect(res(RES_INDEX)).toBe(2);
    expect(walkStr('/d0/d1/d2/d3')).toBe(WALK_CHANGED);
    refresh(ids[2], 0);
    expect(walkStr(LEAF)).toBe(WALK_FOUND);
    expect(res(RES_ID)).toBe(ids[10]);
  });

  it('removing the ancestor makes the leaf unreachable: MISS, never CHANGED or EXPIRED', () => {
    let ids = deepTree();
    invalidate(ids[3]);
    expire(ids[9]);
    remove(ids[2]);
    expect(alive(ids[10])).toBe(false);
    expect(alive(ids[1])).toBe(true);
    expect(walkStr(LEAF)).toBe(WALK_MISS);
    expect(res(RES_INDEX)).toBe(2);
    // The overlay re-inserts d2 (it takes the freed slot); its old child d3 is an orphan: the
    // walk reclaims it (an eviction) and misses there instead of reporting it CHANGED.
    let d2 = insertStopped(T_DIR, 0, 0, 0, 0, 0);
    expect(d2).toBe(ids[2]);
    let evictions = counter(C_EVICTIONS);
    expect(resume(d2, 1)).toBe(WALK_MISS);
    expect(res(RES_INDEX)).toBe(3);
    expect(counter(C_EVICTIONS)).toBe(evictions + 1);
    expect(counter(C_CHANGED)).toBe(0);
    expect(alive(ids[3])).toBe(false);
  });
});

describe('pinning during a walk', () => {
  afterEach(() => dropCache());

  it('resolves a 30-level path one miss at a time in a cache of 8 entries', () => {
    freshCache(8.0, 1e9);
    // Fill the cache with unrelated entries first.
    for (let i = 0; i < 7; i++) insertStr(ROOT_ID, 'junk' + i.toString(), T_FILE);
    let path = '';
    for (let i = 0; i < 30; i++) path += '/p' + i.toString();
    let status = walkStr(path);
    let steps = 0;
    while (status == WALK_MISS && steps < 40) {
      let id = insertStopped(res(RES_LAST) ? T_FILE : T_DIR, 0, 0, 0, steps, 0);
      expect(id).not.toBe(NO_ENTRY);
      status = resume(id, 1);
      steps++;
    }
    // Every directory on the walk stayed pinned, so the walk always had its stack: it ends
    // FOUND even though the cache holds 8 entries and the path needs 31.
    expect(status).toBe(WALK_FOUND);
    expect(steps).toBe(30);
    expect(res(RES_HANDLE)).toBe(29);
    expect(res(RES_INDEX)).toBe(29);
    // ...and the chain it built is intact: every level still hangs under its parent.
    expect(alive(res(RES_ID))).toBe(true);
    expect(lookupPathStr(path)).toBe(res(RES_ID));
  });
});
