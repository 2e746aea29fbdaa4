// SipHash-2-4 with its 128-bit output (Aumasson & Bernstein), keyed per instance: the path
// fingerprint of the fingerprint table (fingerprint-table.ts). A PRF: without the key, no one can
// craft two paths with one fingerprint, and two paths share one by chance with probability 2^-128.
// The key comes from the embedder (crypto.getRandomValues in the JS wrapper, setSipKey); until
// then a fixed key is used, which only specs rely on.
// The result is left in two globals (a function returns one value): read it with sipLow/sipHigh.

// @ts-ignore: decorator
@inline const C0: u64 = 0x736f6d6570736575;
// @ts-ignore: decorator
@inline const C1: u64 = 0x646f72616e646f6d;
// @ts-ignore: decorator
@inline const C2: u64 = 0x6c7967656e657261;
// @ts-ignore: decorator
@inline const C3: u64 = 0x7465646279746573;

// The reference key 00 01 .. 0f (so specs can check the published vectors).
let k0: u64 = 0x0706050403020100;
let k1: u64 = 0x0f0e0d0c0b0a0908;

let outLow: u64 = 0;
let outHigh: u64 = 0;

export function setSipKey(key0: u64, key1: u64): void {
  k0 = key0;
  k1 = key1;
}

// The state lives in locals (module globals would be loaded and stored around every operation),
// so the round is written out where it runs, three times.

/** SipHash-2-4-128 of the `len` bytes at `p` under the current key (sipLow/sipHigh). */
export function sipHash128(p: usize, len: usize): void {
  let v0 = k0 ^ C0;
  let v1 = k1 ^ C1 ^ 0xee;
  let v2 = k0 ^ C2;
  let v3 = k1 ^ C3;
  // The last block: 0..7 trailing bytes, little-endian, and the length's low byte on top.
  let whole = len & ~<usize>7;
  let last: u64 = (<u64>len) << 56;
  for (let i: usize = 0; i < (len & 7); i++) last |= (<u64>load<u8>(p + whole + i)) << (<u64>i << 3);
  for (let at: usize = 0; at <= whole; at += 8) {
    let m = at < whole ? load<u64>(p + at) : last;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
      v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
      v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
      v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
    }
    v0 ^= m;
  }
  v2 ^= 0xee;
  for (let r = 0; r < 4; r++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  outLow = v0 ^ v1 ^ v2 ^ v3;
  v1 ^= 0xdd;
  for (let r = 0; r < 4; r++) {
    v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
    v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  }
  outHigh = v0 ^ v1 ^ v2 ^ v3;
}

/** The first 8 bytes of the last sipHash128 output (little-endian), */
// @ts-ignore: decorator
@inline export function sipLow(): u64 {
  return outLow;
}

/** …and the last 8. */
// @ts-ignore: decorator
@inline export function sipHigh(): u64 {
  return outHigh;
}
