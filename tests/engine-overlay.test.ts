// The Overlay's own surface: construction and its options, the cache factory, stats(),
// invalidate(), close(), read-only stacks, and a failed write leaving every layer unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, createCache, type CacheImpl } from '../bindings/cache/create-cache.js';
import { TsDentryCache } from '../bindings/cache/ts-cache.js';
import { WasmDentryCache } from '../bindings/cache/wasm-cache.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { assertFsError } from './helpers/assert-fs.js';
import { layer, WH } from './helpers/layer-tree.js';

describe('construction', () => {
  test('createCache: WASM by default, the TS twin on request, capacity as a number or bounds', () => {
    assert.ok(createCache() instanceof WasmDentryCache);
    assert.ok(createCache({ impl: 'ts' }) instanceof TsDentryCache);
    assert.equal(createCache({ impl: 'ts', capacity: 10 }).capacity.entries, 10);
    assert.equal(createCache({ impl: 'wasm', capacity: { bytes: 4096 } }).capacity.bytes, 4096);
    assert.throws(() => createCache({ impl: 'js' as CacheImpl }), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_VALUE');
  });

  test('options are checked: lowers is a non-empty array', () => {
    assert.throws(() => new Overlay({ lowers: [] }), TypeError);
    assert.throws(() => new Overlay(undefined as never), TypeError);
    assert.throws(() => new Overlay({ lowers: 'x' as never }), TypeError);
    const ov = new Overlay({ lowers: [layer()], redirectDir: true, metacopy: true, policy: 'strict' });
    assert.deepEqual([ov.policy, ov.redirectDir, ov.metacopy], ['strict', true, true]);
  });
});

for (const impl of CACHE_IMPLS) describe(`cache: ${impl}`, () => run(impl));

function run(impl: CacheImpl): void {
  test('stats() has every counter, and they move', () => {
    const ov = new Overlay({ lowers: [layer({ a: { b: 'b' } })], upper: layer(), cache: { impl } });
    const zero = ov.stats();
    assert.deepEqual(Object.keys(zero).sort(), ['bytes', 'changed', 'entries', 'estale', 'evictions', 'expired', 'hits', 'misses', 'negativeHits', 'relookups', 'revalidations'].sort());
    ov.stat('/a/b');
    ov.stat('/a/b');
    ov.exists('/a/none');
    ov.exists('/a/none');
    const s = ov.stats();
    assert.equal(s.misses, 3);
    assert.equal(s.hits, 4, 'the second stat: /a and /a/b; each exists: /a (a filled miss is not also a hit)');
    assert.equal(s.negativeHits, 1);
    assert.equal(s.entries, 4);
    assert.ok(s.bytes > zero.bytes);
  });

  test('invalidate(p) forgets p and below; invalidate() everything; never an error after', () => {
    const l0 = layer({ a: { b: { c: 'c' } }, x: 'x' });
    const ov = new Overlay({ lowers: [l0], upper: layer(), policy: 'strict', cache: { impl } });
    ov.stat('/a/b/c');
    ov.stat('/x');
    const before = ov.stats();
    ov.invalidate('/a/b');
    ov.stat('/a/b/c');
    const mid = ov.stats();
    assert.equal(mid.misses - before.misses, 2, '/a/b and /a/b/c looked up again; /a kept');
    ov.invalidate();
    assert.equal(ov.stats().entries, 1, 'only the root is left');
    assert.equal(ov.readFile('/x', 'utf8'), 'x');
    assert.deepEqual(ov.readdir('/'), ['a', 'x']);
    ov.invalidate('/not/cached');
    assert.equal(ov.stats().estale, 0);
  });

  test('close() stops listening to the layers, and the overlay with it', () => {
    const l0 = layer({ f: 'x' });
    const ov = new Overlay({ lowers: [l0], upper: layer(), policy: 'strict', cache: { impl } });
    ov.stat('/f');
    ov.close();
    l0.unlink('/f');
    assert.equal(ov.stats().entries, 2);
    // Nothing keeps its cache up to date any more: it answers nothing (tests/adversarial-lifecycle).
    assertFsError(() => ov.stat('/f'), { code: 'EBADF', syscall: 'stat', path: '/f' });
  });

  test('without an upper every write is EROFS, after the checks that come first', () => {
    const l0 = layer({ d: { f: 'x' } });
    const ov = new Overlay({ lowers: [l0], cache: { impl } });
    const before = l0.snapshot();
    assertFsError(() => ov.writeFile('/d/f', 'y'), { code: 'EROFS', syscall: 'open', path: '/d/f' });
    assertFsError(() => ov.writeFile('/d/new', 'y'), { code: 'EROFS', syscall: 'open' });
    assertFsError(() => ov.mkdir('/d/f'), { code: 'EEXIST', syscall: 'mkdir' });
    assertFsError(() => ov.mkdir('/d/n'), { code: 'EROFS', syscall: 'mkdir' });
    assertFsError(() => ov.unlink('/d/none'), { code: 'EROFS', syscall: 'unlink' });
    assertFsError(() => ov.rename('/d/f', '/d/g'), { code: 'EROFS', syscall: 'rename', path: '/d/f', dest: '/d/g' });
    assertFsError(() => ov.chmod('/d', 0o700), { code: 'EROFS', syscall: 'chmod' });
    assertFsError(() => ov.symlink('x', '/d/f'), { code: 'EEXIST', syscall: 'symlink' });
    assert.equal(l0.snapshot(), before);
    assert.equal(ov.writable, false);
    const roUpper = new Overlay({ lowers: [l0], upper: new MemoryLayer({ readonly: true }), cache: { impl } });
    assertFsError(() => roUpper.writeFile('/d/f', 'y'), 'EROFS');
    assert.equal(roUpper.writable, false);
    assert.equal(new Overlay({ lowers: [l0], upper: layer(), cache: { impl } }).writable, true);
  });

  test('bad input: Node-style errors, and every layer unchanged afterwards', () => {
    const upper = layer({ u: 'u' });
    const l0 = layer({ d: { f: 'x' }, loop: { a: WH } });
    l0.symlink('/loop2', '/loop1');
    l0.symlink('/loop1', '/loop2');
    const ov = new Overlay({ lowers: [l0], upper, cache: { impl } });
    const snaps = () => [upper.snapshot(), l0.snapshot()];
    const before = snaps();
    const long = 'n'.repeat(256);
    assertFsError(() => ov.writeFile('/d/f\0', 'x'), { code: 'EINVAL', syscall: 'open' });
    assertFsError(() => ov.mkdir('/../x'), { code: 'EINVAL', syscall: 'mkdir' });
    assertFsError(() => ov.writeFile('/d/f/', 'x'), { code: 'EISDIR', syscall: 'open' });
    assertFsError(() => ov.unlink('/d/f/'), { code: 'ENOTDIR', syscall: 'unlink' });
    assertFsError(() => ov.writeFile(`/d/${long}`, 'x'), { code: 'ENAMETOOLONG', syscall: 'open' });
    assertFsError(() => ov.writeFile('/loop1', 'x'), { code: 'ELOOP', syscall: 'open' });
    assertFsError(() => ov.mkdir('/loop1/x', { recursive: true }), { code: 'ELOOP', syscall: 'mkdir' });
    assertFsError(() => ov.rename('/d', '/d/inside'), { code: 'EINVAL', syscall: 'rename' });
    assertFsError(() => ov.rmdir('/d/.'), { code: 'EINVAL', syscall: 'rmdir' });
    assertFsError(() => ov.rmdir('/'), { code: 'EBUSY', syscall: 'rmdir' });
    assertFsError(() => ov.link('/d', '/d2'), { code: 'EPERM', syscall: 'link' });
    assertFsError(() => ov.rmdir('/d'), { code: 'ENOTEMPTY', syscall: 'rmdir' });
    assert.throws(() => ov.writeFile(7 as never, 'x'), (e: Error & { code?: string }) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE');
    assert.throws(() => ov.writeFile('/d/g', 7 as never), TypeError);
    assert.throws(() => ov.rename('/d/f', null as never), TypeError);
    assert.throws(() => ov.rm('/d'), (e: Error & { code?: string; syscall?: string; path?: string }) =>
      e.code === 'ERR_FS_EISDIR' && e.syscall === 'rm' && e.path === '/d' && e.message === 'Path is a directory: rm returned EISDIR (is a directory) /d');
    assert.deepEqual(snaps(), before);
  });
}
