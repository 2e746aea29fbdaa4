// The lookup loop: the stop rules in one place (engine/lookup.ts, checked directly), and the
// cached walk around them (misses filled from the layers, hits answered by the cache, negative
// entries, symlinks, eviction), run with both cache implementations.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { F_MERGED, F_OPAQUE, F_REDIRECT, F_WHITEOUT, MAX_SYMLINKS, T_DIR, T_FILE, T_NONE } from '../bindings/abi.js';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { LookupData, lookupName, lookupRoot } from '../bindings/engine/lookup.js';
import { Overlay } from '../bindings/index.js';
import type { Layer } from '../bindings/layers/layer.js';
import type { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { assertFsError } from './helpers/assert-fs.js';
import { createRng } from '../bindings/verify/prng.js';
import { layer, link, opaque, WH } from './helpers/layer-tree.js';

/** Resolve `name` in the root of a stack (index 0 = upper) with the engine's stop rules. */
function lookupInRoot(stack: (Layer | undefined)[], name: string, followRedirects = false): LookupData {
  const root = new LookupData();
  lookupRoot(stack, root);
  const d = new LookupData();
  lookupName(stack, root.reals, name, followRedirects, true, d);
  return d;
}

/** The (layer, handle) pairs of a lookup, as layer indexes only. */
const layersOf = (d: LookupData) => d.reals.filter((_, i) => i % 2 === 0);

describe('stop rules (engine/lookup.ts)', () => {
  test('fact 1: a non-directory hides everything below; lookup stops there', () => {
    const d = lookupInRoot([layer(), layer({ x: 'file' }), layer({ x: { c: 'c' } })], 'x');
    assert.equal(d.type, T_FILE);
    assert.equal(d.layer, 1);
    assert.equal(d.lowest, 1, 'layer 2 was not consulted');
  });

  test('fact 2: a directory over a non-directory is alone, and ends the lookup', () => {
    const d = lookupInRoot([layer(), layer({ x: {} }), layer({ x: 'f' }), layer({ x: {} })], 'x');
    assert.equal(d.type, T_DIR);
    assert.deepEqual(layersOf(d), [1]);
    assert.equal(d.lowest, 2);
    assert.equal(d.flags & F_MERGED, 0);
  });

  test('fact 3: same-named directories merge, top-down', () => {
    const d = lookupInRoot([layer({ x: {} }), layer(), layer({ x: {} }), layer({ x: {} })], 'x');
    assert.deepEqual(layersOf(d), [0, 2, 3]);
    assert.equal(d.layer, 0);
    assert.equal(d.flags, F_MERGED);
    assert.equal(d.lowest, 3);
  });

  test('fact 4: a whiteout hides the name below; under a directory it ends the merge', () => {
    const hidden = lookupInRoot([layer(), layer({ x: WH }), layer({ x: 'f' })], 'x');
    assert.equal(hidden.type, T_NONE);
    assert.equal(hidden.flags, F_WHITEOUT);
    assert.equal(hidden.layer, 1);
    assert.equal(hidden.lowest, 1);
    const cut = lookupInRoot([layer({ x: {} }), layer({ x: WH }), layer({ x: {} })], 'x');
    assert.deepEqual(layersOf(cut), [0]);
    const absent = lookupInRoot([layer(), layer({ y: 'f' }), layer()], 'x');
    assert.equal(absent.type, T_NONE);
    assert.equal(absent.flags, 0, 'merely absent is not a whiteout');
    assert.equal(absent.lowest, 2, 'every layer was consulted');
  });

  test('fact 5: an opaque directory is visible but hides same-named directories below', () => {
    const d = lookupInRoot([layer(), layer({ x: opaque({ a: 'a' }) }), layer({ x: { b: 'b' } })], 'x');
    assert.deepEqual(layersOf(d), [1]);
    assert.equal(d.flags, F_OPAQUE);
    assert.equal(d.lowest, 1);
    const lowerOpaque = lookupInRoot([layer({ x: {} }), layer({ x: opaque() }), layer({ x: {} })], 'x');
    assert.deepEqual(layersOf(lowerOpaque), [0, 1]);
    assert.equal(lowerOpaque.flags, F_MERGED, 'F_OPAQUE describes the topmost directory only');
  });

  test('a redirect sends the layers below to another path, when redirects are followed', () => {
    const upper = layer({ new: {} });
    upper.setRedirect('/new', '/old');
    const lower = layer({ old: { kept: 'k' }, new: { wrong: 'w' } });
    const followed = lookupInRoot([upper, lower], 'new', true);
    assert.equal(followed.flags, F_MERGED | F_REDIRECT);
    assert.equal(followed.reals[3], lower.handleAt('/old'));
    const ignored = lookupInRoot([upper, lower], 'new', false);
    assert.equal(ignored.reals[3], lower.handleAt('/new'));
  });

  test('fact 13: below a metacopy file the lookup looks for its data; without data it is broken', () => {
    const upper = layer();
    upper.createNode(upper.root(), 'm', { type: 'file', mode: 0o644, metacopy: true });
    const lower = layer({ m: 'data' });
    const d = lookupInRoot([upper, layer(), lower], 'm');
    assert.equal(d.type, T_FILE);
    assert.deepEqual(layersOf(d), [0, 2]);
    assert.equal(d.broken, false);
    assert.equal(d.lowest, 2);
    assert.equal(lookupInRoot([upper, layer({ m: WH }), lower], 'm').broken, true);
    assert.equal(lookupInRoot([upper, layer({ m: {} })], 'm').broken, true);
    assert.equal(lookupInRoot([upper, layer()], 'm').broken, true);
  });

  test('the root merges every layer root, opaque marks ignored', () => {
    const top = layer();
    top.setOpaque('/', true);
    const d = new LookupData();
    lookupRoot([undefined, top, layer()], d);
    assert.deepEqual(layersOf(d), [1, 2]);
    assert.equal(d.layer, 1);
    assert.equal(d.flags, F_MERGED);
  });
});

function forEachCache(body: (impl: CacheImpl) => void): void {
  for (const impl of CACHE_IMPLS) describe(`cache: ${impl}`, () => body(impl));
}

forEachCache((impl) => {
  const make = (lowers: MemoryLayer[], upper?: MemoryLayer, capacity?: number) =>
    new Overlay({ lowers, upper, cache: { impl, ...(capacity ? { capacity: { entries: capacity } } : {}) } });

  test('a miss is resolved from the layers once; the same walk then hits', () => {
    const ov = make([layer({ a: { b: { c: 'data' } } })], layer());
    ov.stat('/a/b/c');
    const first = ov.stats();
    assert.equal(first.misses, 3);
    ov.stat('/a/b/c');
    const second = ov.stats();
    assert.equal(second.misses, 3, 'no new miss');
    assert.equal(second.hits - first.hits, 3, 'three components answered from the cache');
    assert.equal(second.entries, 4, 'root + three entries');
  });

  test('negative answers are cached too, and are as cheap to ask again', () => {
    const ov = make([layer({ a: {} })], layer());
    assert.equal(ov.stat('/a/missing', { throwIfNoEntry: false }), undefined);
    const before = ov.stats();
    assert.equal(ov.stat('/a/missing', { throwIfNoEntry: false }), undefined);
    assert.equal(ov.exists('/a/missing'), false);
    const after = ov.stats();
    assert.equal(after.misses, before.misses);
    assert.equal(after.negativeHits - before.negativeHits, 2);
    assertFsError(() => ov.stat('/a/missing'), { code: 'ENOENT', syscall: 'stat', path: '/a/missing' });
    assertFsError(() => ov.lstat('/a/missing/deeper'), { code: 'ENOENT', syscall: 'lstat', path: '/a/missing/deeper' });
  });

  test('symlinks: followed through the cache, relative and absolute; ELOOP after MAX_SYMLINKS', () => {
    const tree: Record<string, ReturnType<typeof link> | string | object> = { target: 'end', d: { rel: link('../target'), abs: link('/target') } };
    // A chain of exactly MAX_SYMLINKS links resolves; one more is a loop.
    for (let i = 0; i < MAX_SYMLINKS; i++) tree[`c${i}`] = link(i === MAX_SYMLINKS - 1 ? '/target' : `/c${i + 1}`);
    tree.over = link('/c0');
    tree.self = link('/self');
    const ov = make([layer(tree as never)], layer());
    assert.equal(ov.readFile('/d/rel', 'utf8'), 'end');
    assert.equal(ov.readFile('/d/abs', 'utf8'), 'end');
    assert.equal(ov.realpath('/d/rel'), '/target');
    assert.equal(ov.readFile('/c0', 'utf8'), 'end');
    assertFsError(() => ov.stat('/over'), { code: 'ELOOP', syscall: 'stat', path: '/over' });
    assertFsError(() => ov.stat('/self'), 'ELOOP');
    assert.ok(ov.lstat('/self').isSymbolicLink(), 'lstat does not follow');
    assertFsError(() => ov.stat('/self/x'), 'ELOOP');
  });

  test('resolve() says which layer answered', () => {
    const upper = layer({ u: 'u', m: {} });
    const ov = make([layer({ m: {}, l0: 'x', o: opaque() }), layer({ l1: 'y', m: {} })], upper);
    assert.deepEqual(ov.resolve('/u'), { layer: 'upper', merged: false, opaque: false });
    assert.deepEqual(ov.resolve('/l0'), { layer: 0, merged: false, opaque: false });
    assert.deepEqual(ov.resolve('/l1'), { layer: 1, merged: false, opaque: false });
    assert.deepEqual(ov.resolve('/m'), { layer: 'upper', merged: true, opaque: false });
    assert.deepEqual(ov.resolve('/o'), { layer: 0, merged: false, opaque: true });
    assertFsError(() => ov.resolve('/none'), { code: 'ENOENT', syscall: 'lstat' });
  });

  test('answers do not depend on the cache size: eviction at every insert gives the same results', () => {
    const rng = createRng(7);
    const build = () => {
      const l0 = layer({ a: { b: { c: 'c0', d: WH } }, x: link('/a/b'), e: opaque({ f: 'f' }) });
      const l1 = layer({ a: { b: { d: 'hidden', g: 'g' }, h: 'h' }, e: { z: 'z' } });
      return [l0, l1];
    };
    const paths = ['/a', '/a/b', '/a/b/c', '/a/b/d', '/a/b/g', '/a/h', '/x', '/x/c', '/e', '/e/f', '/e/z', '/none', '/a/none/x'];
    const big = make(build(), layer());
    const tiny = make(build(), layer(), 3);
    for (let i = 0; i < 2000; i++) {
      const p = rng.pick(paths);
      const a = big.stat(p, { throwIfNoEntry: false });
      const b = tiny.stat(p, { throwIfNoEntry: false });
      assert.equal(b?.ino, a?.ino, `seed 7, op ${i}: stat(${p})`);
      assert.equal(b?.mode, a?.mode);
      if (a?.isDirectory()) assert.deepEqual(tiny.readdir(p), big.readdir(p));
    }
    assert.ok(tiny.stats().evictions > 100, 'the tiny cache did evict');
    assert.ok(tiny.stats().entries <= 4);
  });

  test('paths with ., .. and doubled slashes walk the same entries', () => {
    const ov = make([layer({ a: { b: { c: 'x' } } })], layer());
    const ino = ov.stat('/a/b/c').ino;
    for (const p of ['/a/./b/c', '//a//b/c', '/a/b/../b/c', '/a/b/./c']) assert.equal(ov.stat(p).ino, ino, p);
    assertFsError(() => ov.stat('/..'), { code: 'EINVAL', syscall: 'stat' });
    assertFsError(() => ov.stat('/a/b/c/'), { code: 'ENOTDIR', syscall: 'stat' });
    assertFsError(() => ov.stat('relative'), { code: 'EINVAL', syscall: 'stat' });
    assertFsError(() => ov.stat('/a\0b'), { code: 'EINVAL', syscall: 'stat' });
    assertFsError(() => ov.stat(`/${'n'.repeat(256)}`), { code: 'ENAMETOOLONG', syscall: 'stat' });
    assert.throws(() => ov.stat(42 as unknown as string), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
  });

  test('a read walks its path once: a cached readFile counts one hit per component', () => {
    const ov = make([layer({ a: { b: { c: { f: 'data' } } } })], layer());
    ov.readFile('/a/b/c/f');
    const before = ov.stats();
    assert.equal(ov.readFile('/a/b/c/f', 'utf8'), 'data');
    const after = ov.stats();
    assert.equal(after.misses, before.misses);
    assert.equal(after.hits - before.hits, 4, 'a, b, c, f: the parent is not walked a second time');
  });

  test('T_SYMLINK entries are cached: a second readlink is a hit', () => {
    const ov = make([layer({ l: link('/t') })], layer());
    assert.equal(ov.readlink('/l'), '/t');
    const before = ov.stats();
    assert.equal(ov.readlink('/l'), '/t');
    assert.equal(ov.stats().misses, before.misses);
    assertFsError(() => ov.readlink('/'), { code: 'EINVAL', syscall: 'readlink' });
  });
});
