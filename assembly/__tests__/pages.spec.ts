import { allocPages, freePages, pageBytesInUse, pagesFor } from '../pages';

// Under as-pect (RTrace) pages are page-aligned heap blocks; the run list and memory.grow path
// is exercised by the release build in tests/wasm-cache.test.ts (memory growth per entry).
describe('pages', () => {
  it('rounds bytes up to whole pages', () => {
    expect(pagesFor(1)).toBe(1);
    expect(pagesFor(65536)).toBe(1);
    expect(pagesFor(65537)).toBe(2);
  });

  it('hands out page-aligned, disjoint, writable runs and counts them', () => {
    let inUse = pageBytesInUse();
    let a = allocPages(2);
    let b = allocPages(3);
    expect(a & 0xffff).toBe(0);
    expect(b & 0xffff).toBe(0);
    expect(a + 2 * 65536 <= b || b + 3 * 65536 <= a).toBe(true);
    memory.fill(a, 0xaa, 2 * 65536);
    memory.fill(b, 0x55, 3 * 65536);
    expect(load<u8>(a + 2 * 65536 - 1)).toBe(0xaa);
    expect(pageBytesInUse()).toBe(inUse + 5 * 65536);
    freePages(a, 2);
    freePages(b, 3);
    expect(pageBytesInUse()).toBe(inUse);
  });
});
