// Hash of a dentry key (parent id, name bytes): a multiply-xorshift over 4-byte little-endian
// words with a final avalanche, so the table can use the low bits as the bucket index.

// Odd 32-bit multipliers with well-spread bits (golden ratio and two avalanche constants).
// @ts-ignore: decorator
@inline const K_PARENT: u32 = 0x9e3779b1;
// @ts-ignore: decorator
@inline const K_WORD: u32 = 0x85ebca77;
// @ts-ignore: decorator
@inline const K_ROUND: u32 = 0x27d4eb2f;
// @ts-ignore: decorator
@inline const K_FINAL1: u32 = 0x7feb352d;
// @ts-ignore: decorator
@inline const K_FINAL2: u32 = 0x846ca68b;

/** Test hook: every hash is ANDed with this, so a spec can force collisions (0 = one chain). */
let hashMask: u32 = 0xffffffff;

export function setHashMask(mask: u32): void {
  hashMask = mask;
}

// @ts-ignore: decorator
@inline function mixWord(h: u32, w: u32): u32 {
  return rotl<u32>(h ^ (w * K_WORD), 15) * K_ROUND;
}

/** Hash of `len` name bytes at `ptr` under directory `parent`. Unaligned loads are fine in WASM. */
export function hashKey(parent: u32, ptr: usize, len: i32): u32 {
  let h: u32 = ((parent + 1) * K_PARENT) ^ <u32>len;
  let i = 0;
  while (i + 4 <= len) {
    h = mixWord(h, load<u32>(ptr + <usize>i));
    i += 4;
  }
  // 0..3 trailing bytes, packed little-endian like a short word.
  let tail: u32 = 0;
  let shift: u32 = 0;
  while (i < len) {
    tail |= (<u32>load<u8>(ptr + <usize>i)) << shift;
    shift += 8;
    i++;
  }
  if (shift) h = mixWord(h, tail);
  h ^= h >> 16;
  h *= K_FINAL1;
  h ^= h >> 15;
  h *= K_FINAL2;
  h ^= h >> 16;
  return h & hashMask;
}
