import {
  alive, clear, counters, expire, flags, handle, init, insert, invalidate, layer, lowest, nameLength,
  parent, refresh, release, remove, setRoot, type, update,
} from '../index';
import {
  C_BYTES, C_ENTRIES, C_EVICTIONS, F_MERGED, F_OPAQUE, NO_ENTRY, ROOT_ID, T_DIR, T_FILE, T_NONE, T_SYMLINK,
} from '../abi';
import { rec, O_FLAGS, F_CHANGED, F_EXPIRED } from '../dentry';
import { dropCache, freshCache, insertStr, lookupStr, lookupPathStr, put, putNumbered } from './helpers';

function counter(slot: i32): f64 {
  return load<f64>(counters() + (<usize>slot << 3));
}

function bits(id: i32): u32 {
  return <u32>load<u16>(rec(<u32>id), O_FLAGS);
}

describe('insert, find, remove', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('inserts under a directory and finds it again', () => {
    let usr = insertStr(ROOT_ID, 'usr', T_DIR);
    let lib = insertStr(usr, 'lib', T_DIR);
    expect(usr).toBe(1);
    expect(lib).toBe(2);
    expect(lookupStr(ROOT_ID, 'usr')).toBe(usr);
    expect(lookupStr(usr, 'lib')).toBe(lib);
    expect(lookupStr(ROOT_ID, 'lib')).toBe(NO_ENTRY);
    expect(lookupPathStr('/usr/lib')).toBe(lib);
    expect(lookupPathStr('//usr//lib/')).toBe(lib);
    expect(lookupPathStr('/usr/./lib')).toBe(NO_ENTRY);
    expect(lookupPathStr('usr/lib')).toBe(NO_ENTRY);
    expect(parent(lib)).toBe(usr);
    expect(parent(ROOT_ID)).toBe(NO_ENTRY);
    expect(nameLength(lib)).toBe(3);
  });

  it('keeps the fields it was given (low byte of flags, layer, lowest)', () => {
    let id = insert(ROOT_ID, put('f'), T_FILE, 0x1ff, 0x102, 0x203, -7, 0);
    expect(type(id)).toBe(T_FILE);
    expect(flags(id)).toBe(0xff);
    expect(layer(id)).toBe(2);
    expect(lowest(id)).toBe(3);
    expect(handle(id)).toBe(-7);
    update(id, T_SYMLINK, F_OPAQUE, 1, 1, 9);
    expect(type(id)).toBe(T_SYMLINK);
    expect(flags(id)).toBe(F_OPAQUE);
    expect(handle(id)).toBe(9);
  });

  it('refuses bad names and parents that are not live directories', () => {
    let file = insertStr(ROOT_ID, 'file', T_FILE);
    expect(insertStr(file, 'x', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, '', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, '.', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, '..', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, 'a/b', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, 'a\0b', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, 'x'.repeat(256), T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, 'x'.repeat(255), T_FILE)).not.toBe(NO_ENTRY);
    expect(insertStr(ROOT_ID, '...', T_FILE)).not.toBe(NO_ENTRY);
    expect(insertStr(999, 'x', T_FILE)).toBe(NO_ENTRY);
    expect(insertStr(-1, 'x', T_FILE)).toBe(NO_ENTRY);
  });

  it('replaces an existing key: old slot freed first, so the new entry takes it', () => {
    let a = insertStr(ROOT_ID, 'a', T_FILE);
    insertStr(ROOT_ID, 'b', T_FILE);
    let again = insertStr(ROOT_ID, 'a', T_NONE);
    expect(again).toBe(a);
    expect(type(again)).toBe(T_NONE);
    expect(counter(C_ENTRIES)).toBe(3);
    expect(counter(C_EVICTIONS)).toBe(0);
  });

  it('accounts 48 bytes per entry plus the name rounded to 8', () => {
    expect(counter(C_ENTRIES)).toBe(1);
    expect(counter(C_BYTES)).toBe(48);
    let a = insertStr(ROOT_ID, 'abc', T_DIR); // 48 + 8
    insertStr(a, 'x'.repeat(17), T_FILE); // 48 + 24
    insertStr(a, '\u00e9\u00e9\u00e9\u00e9', T_FILE); // 8 UTF-8 bytes: 48 + 8
    expect(counter(C_ENTRIES)).toBe(4);
    expect(counter(C_BYTES)).toBe(48 + 56 + 72 + 56);
    remove(a);
    expect(counter(C_ENTRIES)).toBe(3);
    expect(counter(C_BYTES)).toBe(48 + 72 + 56);
  });

  it('remove makes the subtree unreachable at once, and the freed slot is reused', () => {
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    let b = insertStr(a, 'b', T_DIR);
    let c = insertStr(b, 'c', T_FILE);
    expect(alive(c)).toBe(true);
    remove(a);
    expect(alive(a)).toBe(false);
    expect(alive(b)).toBe(false);
    expect(alive(c)).toBe(false);
    // A new directory in a's old slot does not resurrect b under it.
    let a2 = insertStr(ROOT_ID, 'a', T_DIR);
    expect(a2).toBe(a);
    expect(lookupStr(a2, 'b')).toBe(NO_ENTRY);
    expect(alive(b)).toBe(false);
    remove(ROOT_ID);
    expect(alive(ROOT_ID)).toBe(true);
  });

  it('invalidate and expire set marks that refresh clears; the root takes neither', () => {
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    invalidate(a);
    expire(a);
    expect(bits(a) & (F_CHANGED | F_EXPIRED)).toBe(F_CHANGED | F_EXPIRED);
    refresh(a, 10);
    expect(bits(a) & (F_CHANGED | F_EXPIRED)).toBe(0);
    invalidate(ROOT_ID);
    expire(ROOT_ID);
    expect(bits(ROOT_ID) & (F_CHANGED | F_EXPIRED)).toBe(0);
  });

  it('setRoot sets flags but keeps the root a directory', () => {
    setRoot(F_MERGED, 1, 2, 33);
    expect(type(ROOT_ID)).toBe(T_DIR);
    expect(flags(ROOT_ID)).toBe(F_MERGED);
    expect(handle(ROOT_ID)).toBe(33);
    update(ROOT_ID, T_FILE, 0, 0, 0, 0);
    expect(type(ROOT_ID)).toBe(T_DIR);
  });

  it('clear drops all but the root, hands slots out from 1 again, and orphans old ids', () => {
    let a = insertStr(ROOT_ID, 'a', T_DIR);
    let b = insertStr(a, 'b', T_FILE);
    clear();
    expect(counter(C_ENTRIES)).toBe(1);
    expect(counter(C_BYTES)).toBe(48);
    expect(alive(a)).toBe(false);
    expect(type(b)).toBe(T_NONE);
    expect(lookupPathStr('/a/b')).toBe(NO_ENTRY);
    let c = insertStr(ROOT_ID, 'c', T_DIR);
    expect(c).toBe(1);
    expect(lookupStr(c, 'b')).toBe(NO_ENTRY);
  });
});

describe('memory', () => {
  it('is reused: rounds of 20000 inserts and removes do not grow linear memory', () => {
    init(1048576.0, 268435456.0);
    let size: i32 = 0;
    for (let round = 0; round < 4; round++) {
      let dir = insertStr(ROOT_ID, 'dir', T_DIR);
      for (let i = 0; i < 20000; i++) insert(dir, putNumbered('entry-', i), T_FILE, 0, 0, 0, i, 0);
      remove(dir);
      // The orphans are reclaimed by clear; a later round must fit in the same memory.
      clear();
      if (round == 1) size = memory.size();
    }
    expect(memory.size()).toBe(size);
    release();
    __collect();
  });

  it('gives every block back on release (asp --verbose shows no RTrace delta here)', () => {
    init(1000.0, 1000000.0);
    for (let i = 0; i < 3000; i++) insert(ROOT_ID, putNumbered('n', i), T_FILE, 0, 0, 0, 0, 0);
    release();
    __collect();
  });
});
