// Whole 64 KiB pages for the cache's big structures (record chunks, large bucket arrays, name
// chunks), taken with memory.grow directly. The runtime's allocator grows memory by doubling it,
// which at 1e6 entries left half of linear memory unused; pages grow it by what is asked.
// The runtime only ever adds memory above memory.size(), so it never hands these pages out.
// Freed runs go on a list (first fit, split, adjacent runs merged) and are reused; linear
// memory never shrinks, so they are kept for this instance's next cache too.

// @ts-ignore: decorator
@inline const PAGE_SHIFT: usize = 16;
/** At most this many free runs are remembered (more only after heavy churn of odd sizes). */
// @ts-ignore: decorator
@inline const MAX_RUNS: i32 = 512;

/** Free runs: u32 start page, u32 page count; `runCount` in use, sorted by start page. */
const runs: usize = memory.data(MAX_RUNS * 8, 8);
let runCount: i32 = 0;
/** Pages handed out and not given back (for structureBytes). */
let pagesInUse: usize = 0;

/** Pages needed for `bytes`. */
// @ts-ignore: decorator
@inline export function pagesFor(bytes: usize): u32 {
  return <u32>((bytes + ((1 << PAGE_SHIFT) - 1)) >> PAGE_SHIFT);
}

/** True once the runtime's allocator has claimed its initial memory (it claims up to memory.size()). */
let heapStarted = false;

/** `count` zero-or-garbage pages (the caller initialises them); their byte address. */
export function allocPages(count: u32): usize {
  // Under as-pect's RTrace every access outside a heap block is an error, so there the pages are
  // heap blocks (page-aligned inside, the block's address just below); the run list is not used.
  if (isDefined(ASC_RTRACE)) {
    let block = heap.alloc((<usize>count << PAGE_SHIFT) + (1 << PAGE_SHIFT));
    let at = (block + 16 + ((1 << PAGE_SHIFT) - 1)) & ~((1 << PAGE_SHIFT) - 1);
    store<u32>(at - 4, <u32>block);
    pagesInUse += count;
    return at;
  }
  if (!heapStarted) {
    // The runtime sets its heap up on first use, taking all memory there is then: make that
    // happen before the first grow, or it would take our pages too.
    heap.free(heap.alloc(16));
    heapStarted = true;
  }
  for (let i = 0; i < runCount; i++) {
    let at = runs + (<usize>i << 3);
    let n = load<u32>(at, 4);
    if (n < count) continue;
    let start = load<u32>(at);
    if (n == count) {
      memory.copy(at, at + 8, <usize>(runCount - i - 1) << 3);
      runCount--;
    } else {
      store<u32>(at, start + count);
      store<u32>(at, n - count, 4);
    }
    pagesInUse += count;
    return <usize>start << PAGE_SHIFT;
  }
  let before = memory.grow(<i32>count);
  if (before < 0) unreachable();
  pagesInUse += count;
  return <usize>before << PAGE_SHIFT;
}

/** Give back `count` pages at `addr` (as returned by allocPages). */
export function freePages(addr: usize, count: u32): void {
  pagesInUse -= count;
  if (isDefined(ASC_RTRACE)) {
    heap.free(<usize>load<u32>(addr - 4));
    return;
  }
  let start = <u32>(addr >> PAGE_SHIFT);
  // Insert sorted, then merge with the neighbours it touches.
  let i = 0;
  while (i < runCount && load<u32>(runs + (<usize>i << 3)) < start) i++;
  let at = runs + (<usize>i << 3);
  if (i > 0) {
    let prev = at - 8;
    if (load<u32>(prev) + load<u32>(prev, 4) == start) {
      store<u32>(prev, load<u32>(prev, 4) + count, 4);
      if (i < runCount && load<u32>(prev) + load<u32>(prev, 4) == load<u32>(at)) {
        store<u32>(prev, load<u32>(prev, 4) + load<u32>(at, 4), 4);
        memory.copy(at, at + 8, <usize>(runCount - i - 1) << 3);
        runCount--;
      }
      return;
    }
  }
  if (i < runCount && start + count == load<u32>(at)) {
    store<u32>(at, start);
    store<u32>(at, load<u32>(at, 4) + count, 4);
    return;
  }
  // A full list drops the run: those pages are lost to reuse, never handed out twice.
  if (runCount == MAX_RUNS) return;
  memory.copy(at + 8, at, <usize>(runCount - i) << 3);
  store<u32>(at, start);
  store<u32>(at, count, 4);
  runCount++;
}

/** Bytes in pages handed out and not given back. */
export function pageBytesInUse(): usize {
  return pagesInUse << PAGE_SHIFT;
}

/** Free runs remembered (test hook). */
export function freeRunCount(): i32 {
  return runCount;
}
