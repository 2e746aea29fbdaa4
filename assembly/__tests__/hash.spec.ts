import { hashKey } from '../hash';
import { inputAddress } from '../index';
import { dropCache, freshCache, put } from './helpers';

function h(parent: u32, name: string): u32 {
  let len = put(name);
  return hashKey(parent, inputAddress(), len);
}

/** Hash of "f<i>" (decimal) under `parent`, written straight into the input buffer. */
function hNumbered(parent: u32, i: i32): u32 {
  let at = inputAddress();
  store<u8>(at, 0x66);
  let len = 1;
  let digits = 1;
  for (let t = i; t >= 10; t /= 10) digits++;
  for (let d = digits - 1, t = i; d >= 0; d--, t /= 10) store<u8>(at + 1 + d, <u8>(0x30 + t % 10));
  len += digits;
  return hashKey(parent, at, len);
}

describe('hashKey', () => {
  beforeEach(() => freshCache());
  afterEach(() => dropCache());

  it('is deterministic', () => {
    expect(h(3, 'node_modules')).toBe(h(3, 'node_modules'));
  });

  it('depends on the parent and on every byte, tail bytes included', () => {
    let base = h(1, 'index.js');
    expect(h(2, 'index.js')).not.toBe(base);
    expect(h(0, 'index.js')).not.toBe(base);
    expect(h(1, 'index.jS')).not.toBe(base);
    expect(h(1, 'Index.js')).not.toBe(base);
    expect(h(1, 'index.j')).not.toBe(base);
    expect(h(1, 'index.js\u00e9')).not.toBe(base);
    // Names of 1..9 bytes exercise every word/tail split.
    expect(h(1, 'a')).not.toBe(h(1, 'b'));
    expect(h(1, 'abcde')).not.toBe(h(1, 'abcdf'));
    expect(h(1, 'abcdefghi')).not.toBe(h(1, 'abcdefghj'));
    // A zero tail byte must not vanish: "ab" and "ab\0"-like lengths differ by length.
    expect(h(1, 'ab')).not.toBe(h(1, 'abc'));
  });

  it('spreads similar names evenly over the low bits', () => {
    // 8192 names "f0".."f8191" under one parent into 1024 buckets: mean 8 per bucket.
    let counts = new StaticArray<i32>(1024);
    for (let i = 0; i < 8192; i++) counts[<i32>(hNumbered(7, i) & 1023)]++;
    let max = 0;
    let empty = 0;
    for (let b = 0; b < 1024; b++) {
      if (counts[b] > max) max = counts[b];
      if (counts[b] == 0) empty++;
    }
    // A Poisson(8) spread has max ≈ 20 and almost no empty bucket; a weak hash has far worse.
    expect(max).toBeLessThanOrEqual(24);
    expect(empty).toBeLessThanOrEqual(4);
  });

  it('spreads one name over many parents', () => {
    let counts = new StaticArray<i32>(256);
    for (let p: u32 = 0; p < 4096; p++) counts[<i32>(h(p, 'index.js') & 255)]++;
    let max = 0;
    for (let b = 0; b < 256; b++) if (counts[b] > max) max = counts[b];
    expect(max).toBeLessThanOrEqual(36); // mean 16
  });
});
