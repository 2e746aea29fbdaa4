// Adversarial: re-entrancy. A layer call the overlay makes in the middle of a walk (lookup, list,
// stat, alive, readlink) may change another layer — whose notification then lands while the
// answer is being computed — or a listener may call back into the overlay (a nested walk over
// the same cache, an invalidate()). None of it may leave a silently wrong answer behind.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import type { Handle } from '../bindings/layers/layer.js';
import { assertFsError } from './helpers/assert-fs.js';
import { layer } from './helpers/layer-tree.js';

/** Run `hook` once, from inside the next call of `method` on `l` that passes `when`. */
function onceInside<M extends 'lookup' | 'list' | 'stat' | 'alive' | 'readlink'>(
  l: MemoryLayer, method: M, when: (...args: Parameters<MemoryLayer[M]>) => boolean, hook: () => void,
): void {
  const original = (l[method] as (...a: unknown[]) => unknown).bind(l);
  let armed = true;
  (l as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
    if (armed && (when as (...a: unknown[]) => boolean)(...args)) { armed = false; hook(); }
    return original(...args);
  };
}

function fresh(lowers: MemoryLayer[], upper?: MemoryLayer): Overlay {
  return new Overlay({ lowers, upper, cache: { impl: 'ts' } });
}

for (const impl of CACHE_IMPLS) describe(`re-entrancy (cache: ${impl})`, () => run(impl));

function run(impl: CacheImpl): void {
  for (const policy of ['relaxed', 'strict'] as const) {
    test(`${policy}: a change notified while its name is being looked up is not lost`, () => {
      const upper = layer({ d: {} });
      const lower = layer({ d: { x: 'lower' } });
      // The lower's lookup of x creates x in the upper: the notification arrives before the
      // answer (x from the lower) is cached.
      onceInside(lower, 'lookup', (_dir: Handle, name: string) => name === 'x', () => upper.writeFile('/d/x', 'upper'));
      const ov = new Overlay({ lowers: [lower], upper, policy, cache: { impl } });
      const reads = [0, 1, 2].map(() => ov.readFile('/d/x', 'utf8'));
      assert.deepEqual(reads, ['upper', 'upper', 'upper'], 'the upper x wins from the first read on');
      assert.equal(fresh([lower], upper).readFile('/d/x', 'utf8'), 'upper');
    });
  }

  test('a change notified while a listing is read does not leave a stale listing cached', () => {
    const upper = layer({ d: {} });
    const lower = layer({ d: { a: 'a' } });
    onceInside(lower, 'list', () => true, () => upper.writeFile('/d/b', 'b'));
    const ov = new Overlay({ lowers: [lower], upper, cache: { impl } });
    ov.readdir('/d');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b']);
  });

  test('a listener that walks the overlay from inside a lookup does not hijack the outer walk', () => {
    const upper = layer();
    const lower = layer({ a: { f: 'F' }, b: { g: 'G' } });
    const other = layer();
    let ov!: Overlay;
    const inner: string[] = [];
    onceInside(lower, 'lookup', (_dir: Handle, name: string) => name === 'f', () => other.writeFile('/ping', 'p'));
    other.subscribe(() => { inner.push(ov.readFile('/b/g', 'utf8') as string); });
    ov = new Overlay({ lowers: [lower, other], upper, cache: { impl } });
    assert.equal(ov.readFile('/a/f', 'utf8'), 'F');
    assert.deepEqual(inner, ['G']);
    assert.equal(ov.readFile('/b/g', 'utf8'), 'G');
    assert.deepEqual(ov.readdir('/a'), ['f']);
    assert.deepEqual(ov.readdir('/'), ['a', 'b', 'ping']);
  });

  test('a listener that invalidates the whole cache from inside a lookup', () => {
    const lower = layer({ a: { b: { f: 'F' } } });
    const other = layer();
    let ov!: Overlay;
    onceInside(lower, 'lookup', (_dir: Handle, name: string) => name === 'b', () => other.writeFile('/ping', 'p'));
    other.subscribe(() => ov.invalidate());
    ov = new Overlay({ lowers: [lower, other], upper: layer(), cache: { impl } });
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'F');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'F');
  });

  test('a nested walk from inside alive() or readlink() does not change the outer answer', () => {
    const lower = layer({ a: 'A', b: 'B' });
    lower.symlink('a', '/s');
    let ov!: Overlay;
    const upper = layer();
    ov = new Overlay({ lowers: [lower], upper, cache: { impl } });
    ov.stat('/a');
    ov.stat('/b');
    onceInside(lower, 'alive', () => true, () => { ov.stat('/b'); });
    assert.equal(ov.readFile('/a', 'utf8'), 'A');
    onceInside(lower, 'readlink', () => true, () => { ov.readFile('/b'); });
    assert.equal(ov.readFile('/s', 'utf8'), 'A');
  });

  test('a nested walk from inside stat() that reuses the entry\'s slot does not swap inode numbers', () => {
    const lower = layer({ a: 'A', b: 'B', c: 'C' });
    const ov = new Overlay({ lowers: [lower], cache: { impl, capacity: { entries: 2 } } });
    const want = fresh([lower]);
    const ino = (p: string) => want.stat(p).ino;
    onceInside(lower, 'stat', () => true, () => { ov.stat('/b'); ov.stat('/c'); });
    assert.equal(ov.stat('/a').ino, ino('/a'));
    assert.equal(ov.stat('/b').ino, ino('/b'));
    assert.equal(ov.stat('/c').ino, ino('/c'));
    assert.equal(ov.stat('/a').ino, ino('/a'));
  });

  test('a layer that changes on every lookup gets EAGAIN, not a hang or a stale answer', () => {
    const upper = layer({ d: {} });
    const lower = layer({ d: { x: 'x' } });
    const original = lower.lookup.bind(lower);
    let n = 0;
    lower.lookup = (dir: Handle, name: string) => { if (name === 'x') upper.writeFile(`/d/t${n++}`, ''); return original(dir, name); };
    const ov = new Overlay({ lowers: [lower], upper, cache: { impl } });
    assertFsError(() => ov.stat('/d/x'), { code: 'EAGAIN', syscall: 'stat', path: '/d/x' });
    lower.lookup = original;
    assert.equal(ov.readFile('/d/x', 'utf8'), 'x');
  });
}
