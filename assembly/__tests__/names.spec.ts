import { allocName, freeName, nameArenaBytes, nameBlockBytes, namesEqual, releaseNames } from '../names';
import { dropCache, freshCache } from './helpers';

describe('name arena', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('rounds blocks up to 8 bytes', () => {
    expect(nameBlockBytes(1)).toBe(8);
    expect(nameBlockBytes(8)).toBe(8);
    expect(nameBlockBytes(9)).toBe(16);
    expect(nameBlockBytes(255)).toBe(256);
  });

  it('hands out disjoint, 8-byte-spaced blocks', () => {
    let a = allocName(3);
    let b = allocName(8);
    let c = allocName(9);
    expect(b - a).toBe(8);
    expect(c - b).toBe(8);
    let d = allocName(1);
    expect(d - c).toBe(16);
  });

  it('reuses a freed block of the same class, most recent first', () => {
    let a = allocName(5);
    let b = allocName(7);
    allocName(6);
    freeName(a, 5);
    freeName(b, 7);
    expect(allocName(1)).toBe(b);
    expect(allocName(8)).toBe(a);
    // Another class does not take them.
    let c = allocName(2);
    freeName(c, 2);
    expect(allocName(12)).not.toBe(c);
  });

  it('keeps the largest class (255 bytes) apart from what follows it', () => {
    // Class 32 is the last free-list head: freeing a 255-byte name must not touch other state.
    let a = allocName(255);
    let b = allocName(255);
    expect(b - a).toBe(256);
    freeName(a, 255);
    expect(allocName(250)).toBe(a);
  });

  it('takes a new 64 KiB chunk when one is full, and gives all back on release', () => {
    expect(nameArenaBytes()).toBe(0);
    for (let i = 0; i < 255; i++) allocName(255); // 255 * 256 fits a chunk after its header
    expect(nameArenaBytes()).toBe(65536);
    allocName(255);
    expect(nameArenaBytes()).toBe(131072);
    releaseNames();
    expect(nameArenaBytes()).toBe(0);
  });

  it('compares names byte by byte across the 8-byte fast path', () => {
    let a = allocName(20);
    let b = allocName(20);
    for (let i = 0; i < 20; i++) {
      store<u8>(a + i, <u8>(65 + i));
      store<u8>(b + i, <u8>(65 + i));
    }
    expect(namesEqual(a, b, 20)).toBe(true);
    store<u8>(b + 19, 0);
    expect(namesEqual(a, b, 20)).toBe(false);
    expect(namesEqual(a, b, 19)).toBe(true);
    store<u8>(b + 3, 0);
    expect(namesEqual(a, b, 19)).toBe(false);
  });
});
