import { expire, invalidate, refresh, remove } from '../index';
import { ROOT_ID, T_DIR, T_FILE } from '../abi';
import { rec } from '../dentry';
import { judgeStamps, linkedToParent, reachable, V_CHANGED, V_EXPIRED, V_VALID } from '../revalidate';
import { dropCache, freshCache, insertStr } from './helpers';

function stamps(id: i32, now: u32): i32 {
  return judgeStamps(rec(<u32>id), now);
}

describe('revalidation stamps', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('is valid with no deadline at any time', () => {
    let id = insertStr(ROOT_ID, 'f', T_FILE, 0);
    expect(stamps(id, 0)).toBe(V_VALID);
    expect(stamps(id, 0xffffffff)).toBe(V_VALID);
  });

  it('expires when now >= deadline, compared unsigned', () => {
    let id = insertStr(ROOT_ID, 'f', T_FILE, 0x80000000);
    expect(stamps(id, 0x7fffffff)).toBe(V_VALID);
    expect(stamps(id, 0x80000000)).toBe(V_EXPIRED);
    expect(stamps(id, 0xffffffff)).toBe(V_EXPIRED);
  });

  it('expire() expires whatever the clock says; changed beats expired', () => {
    let id = insertStr(ROOT_ID, 'f', T_FILE, 0);
    expire(id);
    expect(stamps(id, 0)).toBe(V_EXPIRED);
    invalidate(id);
    expect(stamps(id, 0)).toBe(V_CHANGED);
    refresh(id, 5);
    expect(stamps(id, 4)).toBe(V_VALID);
    expect(stamps(id, 5)).toBe(V_EXPIRED);
  });
});

describe('reachability', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('follows incarnations up the parent chain', () => {
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    let b = insertStr(a, 'b', T_DIR);
    let c = insertStr(b, 'c', T_FILE);
    expect(reachable(<u32>c)).toBe(true);
    remove(b);
    // c's own link is broken; a is untouched.
    expect(linkedToParent(<u32>c)).toBe(false);
    expect(reachable(<u32>c)).toBe(false);
    expect(reachable(<u32>a)).toBe(true);
    // b's slot reused under the root: c still remembers b's old incarnation.
    let b2 = insertStr(ROOT_ID, 'b2', T_DIR);
    expect(b2).toBe(b);
    expect(reachable(<u32>c)).toBe(false);
  });

  it('sees a grandchild of a removed directory as unreachable though its own link holds', () => {
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    let b = insertStr(a, 'b', T_DIR);
    let c = insertStr(b, 'c', T_FILE);
    remove(a);
    expect(linkedToParent(<u32>c)).toBe(true);
    expect(reachable(<u32>c)).toBe(false);
  });

  it('ends at the root, and terminates on a slot cycle made by reuse', () => {
    expect(reachable(ROOT_ID)).toBe(true);
    let a = insertStr(ROOT_ID, 'a', T_DIR); // 1
    let b = insertStr(a, 'b', T_DIR); // 2
    remove(a);
    let c = insertStr(b, 'c', T_DIR); // takes slot 1: 1 -> 2 -> 1 by ids
    expect(c).toBe(a);
    expect(reachable(<u32>c)).toBe(false);
  });
});
