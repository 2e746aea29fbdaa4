// Name arena: name bytes live in 64 KiB chunks (one page each, pages.ts), handed out in 8-byte size classes
// (1..32 classes: names are 1..NAME_MAX bytes). A freed block goes on its class's LIFO free list,
// its first 4 bytes holding the next free block, so memory is reused without a general allocator.
import { NAME_ALIGN, NAME_MAX } from './abi';
import { allocPages, freePages } from './pages';

// @ts-ignore: decorator
@inline const CHUNK_BYTES: usize = 65536;
// @ts-ignore: decorator
@inline const CHUNK_HEADER: usize = 8; // u32 previous chunk (chain for release), 4 bytes padding
// @ts-ignore: decorator
@inline const CLASSES: i32 = (NAME_MAX + NAME_ALIGN - 1) / NAME_ALIGN + 1; // 1..32 used, 0 not

/** Free-list heads, one u32 block pointer per size class (0 = empty). */
const freeHeads: usize = memory.data(CLASSES * 4);

let lastChunk: usize = 0;
let bump: usize = 0;
let bumpEnd: usize = 0;
/** Bytes held in chunks (for memory reports). */
let chunkBytes: usize = 0;

/** Bytes a name of `len` bytes occupies (and is accounted for): len rounded up to NAME_ALIGN. */
// @ts-ignore: decorator
@inline export function nameBlockBytes(len: i32): i32 {
  return (len + (NAME_ALIGN - 1)) & ~(NAME_ALIGN - 1);
}

/** A block for `len` (1..NAME_MAX) bytes. */
export function allocName(len: i32): usize {
  let cls = nameBlockBytes(len) >> 3;
  let headAt = freeHeads + (<usize>cls << 2);
  let block = <usize>load<u32>(headAt);
  if (block) {
    store<u32>(headAt, load<u32>(block));
    return block;
  }
  let size = <usize>(cls << 3);
  if (bump + size > bumpEnd) {
    let chunk = allocPages(1);
    store<u32>(chunk, <u32>lastChunk);
    lastChunk = chunk;
    chunkBytes += CHUNK_BYTES;
    // The chunk's tail that cannot hold this block is simply left unused (< 256 bytes).
    bump = chunk + CHUNK_HEADER;
    bumpEnd = chunk + CHUNK_BYTES;
  }
  block = bump;
  bump += size;
  return block;
}

export function freeName(block: usize, len: i32): void {
  let headAt = freeHeads + (<usize>(nameBlockBytes(len) >> 3) << 2);
  store<u32>(block, load<u32>(headAt));
  store<u32>(headAt, <u32>block);
}

/** Give every chunk back to the heap and forget all free lists. */
export function releaseNames(): void {
  let chunk = lastChunk;
  while (chunk) {
    let prev = <usize>load<u32>(chunk);
    freePages(chunk, 1);
    chunk = prev;
  }
  lastChunk = 0;
  bump = 0;
  bumpEnd = 0;
  chunkBytes = 0;
  memory.fill(freeHeads, 0, CLASSES * 4);
}

export function nameArenaBytes(): usize {
  return chunkBytes;
}

/** Byte-wise equality of two name blocks of `len` bytes, 8 bytes at a time. */
export function namesEqual(a: usize, b: usize, len: i32): bool {
  let i = 0;
  while (i + 8 <= len) {
    if (load<u64>(a + <usize>i) != load<u64>(b + <usize>i)) return false;
    i += 8;
  }
  while (i < len) {
    if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
    i++;
  }
  return true;
}
