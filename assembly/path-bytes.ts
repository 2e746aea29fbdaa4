// Scans over path bytes, eight at a time where it pays (paths are ~70 bytes; names ~10).

// @ts-ignore: decorator
@inline const ONES: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline const HIGHS: u64 = 0x8080808080808080;
// @ts-ignore: decorator
@inline const LOWS: u64 = 0x7f7f7f7f7f7f7f7f;
// @ts-ignore: decorator
@inline const SLASHES: u64 = 0x2f2f2f2f2f2f2f2f;

/** True if the path has a NUL byte (the classic has-zero-byte test). */
export function hasNul(p: usize, len: usize): bool {
  let i: usize = 0;
  while (i + 8 <= len) {
    let w = load<u64>(p + i);
    if ((w - ONES) & ~w & HIGHS) return true;
    i += 8;
  }
  while (i < len) {
    if (load<u8>(p + i) == 0) return true;
    i++;
  }
  return false;
}

/** The high bit of each byte of `w` that is '/', exactly (no borrow between bytes). */
// @ts-ignore: decorator
@inline function slashBits(w: u64): u64 {
  let x = w ^ SLASHES;
  return ~(((x & LOWS) + LOWS) | x) & HIGHS;
}

/**
 * Components (runs of non-slash bytes) that start before `end` in the `end` bytes at `p`, which
 * start with '/': the walk's RES_INDEX of a component starting at `end`.
 */
export function componentsBefore(p: usize, end: usize): i32 {
  let n: i32 = 0;
  // Bit 7 of byte k: byte k is '/'. A component starts where a slash is followed by a non-slash.
  let carry: u64 = 0;
  let i: usize = 0;
  while (i + 8 <= end) {
    let s = slashBits(load<u64>(p + i));
    n += <i32>popcnt<u64>(((s << 8) | carry) & ~s & HIGHS);
    carry = s >> 56;
    i += 8;
  }
  let prevSlash = carry != 0;
  while (i < end) {
    let slash = load<u8>(p + i) == 0x2f;
    if (prevSlash && !slash) n++;
    prevSlash = slash;
    i++;
  }
  return n;
}
