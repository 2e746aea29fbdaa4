// SipHash-2-4-128 (siphash.ts) against the reference implementation's published vectors: key
// 00 01 .. 0f, message 00 01 .. (n-1), the 16 output bytes read as two little-endian u64.
import { setSipKey, sipHash128, sipHigh, sipLow } from '../siphash';
import { componentsBefore } from '../path-bytes';
import { put } from './helpers';
import { inputAddress } from '../index';

const REFERENCE_K0: u64 = 0x0706050403020100;
const REFERENCE_K1: u64 = 0x0f0e0d0c0b0a0908;

function hashCounting(n: i32): void {
  let at = heap.alloc(64);
  for (let i = 0; i < n; i++) store<u8>(at + <usize>i, <u8>i);
  sipHash128(at, <usize>n);
  heap.free(at);
}

function check(n: i32, low: u64, high: u64): void {
  hashCounting(n);
  expect(sipLow()).toBe(low, `low word, ${n} bytes`);
  expect(sipHigh()).toBe(high, `high word, ${n} bytes`);
}

describe('siphash', () => {
  it('gives the reference vectors (empty, a partial block, whole blocks, both)', () => {
    setSipKey(REFERENCE_K0, REFERENCE_K1);
    check(0, 0xe6a825ba047f81a3, 0x930255c71472f66d);
    check(1, 0x44af996bd8c187da, 0x45fc229b11597634);
    check(7, 0x53c1dbd8beebf1a1, 0x3982f01fa64ab8c0);
    check(8, 0x61f55862baa9623b, 0xb49714f364e2830f);
    check(15, 0x11a8b03399e99354, 0xd9c3cf970fec087e);
    check(63, 0x4a83502f77d15051, 0x7cbd3f979a063e50);
  });

  it('depends on the key', () => {
    setSipKey(REFERENCE_K0, REFERENCE_K1);
    hashCounting(15);
    let low = sipLow();
    setSipKey(REFERENCE_K0 ^ 1, REFERENCE_K1);
    hashCounting(15);
    expect(sipLow()).not.toBe(low);
    setSipKey(REFERENCE_K0, REFERENCE_K1);
  });
});

describe('componentsBefore', () => {
  it('counts the components that start before an offset, across word boundaries', () => {
    let len = <usize>put('//node_modules/a//bb/c.js/');
    let p = inputAddress();
    expect(componentsBefore(p, 0)).toBe(0);
    expect(componentsBefore(p, 2)).toBe(0);
    expect(componentsBefore(p, 3)).toBe(1);
    expect(componentsBefore(p, 15)).toBe(1);
    expect(componentsBefore(p, 16)).toBe(2);
    expect(componentsBefore(p, 19)).toBe(3);
    expect(componentsBefore(p, 21)).toBe(3);
    expect(componentsBefore(p, 22)).toBe(4);
    expect(componentsBefore(p, len)).toBe(4);
  });
});
