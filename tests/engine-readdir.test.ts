// Merged readdir (fact 9) and its per-directory listing cache: each name once, topmost wins,
// whiteouts never listed; a repeated readdir costs no layer listing; any change in the directory
// (through the overlay or underneath) makes the next readdir fresh; changes elsewhere, or in a
// layer the directory never consulted, keep the cached listing; a TTL bounds it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { Overlay } from '../bindings/index.js';
import type { Handle } from '../bindings/layers/layer.js';
import { MemoryLayer, type MemoryLayerOptions } from '../bindings/layers/memory-layer.js';
import { layer, link, opaque, populate, WH, type Tree } from './helpers/layer-tree.js';

/** A MemoryLayer counting how often its directories are listed. */
class CountingLayer extends MemoryLayer {
  lists = 0;
  override list(dir: Handle): string[] {
    this.lists++;
    return super.list(dir);
  }
}

const counting = (tree: Tree, options: MemoryLayerOptions = {}) => populate(new CountingLayer(options), tree);

for (const impl of CACHE_IMPLS) describe(`cache: ${impl}`, () => run(impl));

function run(impl: CacheImpl): void {
  test('fact 9: the union, each name once, the topmost entry\'s type, whiteouts omitted', () => {
    const upper = layer({ d: { u: 'u', both: {}, gone: WH } });
    const l0 = layer({ d: { both: 'file below a dir', l: link('u'), gone: 'hidden', mid: 'm' } });
    const l1 = layer({ d: { deep: 'x', mid: {} } });
    const ov = new Overlay({ lowers: [l0, l1], upper, cache: { impl } });
    assert.deepEqual(ov.readdir('/d'), ['both', 'deep', 'l', 'mid', 'u']);
    const types = ov.readdir('/d', { withFileTypes: true }).map((e) =>
      `${e.name}:${e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : '?'}:${e.parentPath}`);
    assert.deepEqual(types, ['both:dir:/d', 'deep:file:/d', 'l:link:/d', 'mid:file:/d', 'u:file:/d']);
  });

  test('an opaque directory lists only itself', () => {
    const ov = new Overlay({ lowers: [layer({ o: opaque({ a: 'a' }) }), layer({ o: { b: 'b' } })], upper: layer(), cache: { impl } });
    assert.deepEqual(ov.readdir('/o'), ['a']);
  });

  test('a repeated readdir is served from the cached listing', () => {
    const l0 = counting({ d: { a: 'a', b: 'b' } });
    const l1 = counting({ d: { c: 'c' } });
    const ov = new Overlay({ lowers: [l0, l1], upper: layer(), cache: { impl } });
    ov.readdir('/d');
    const lists = l0.lists + l1.lists;
    assert.equal(lists, 2, 'one listing per merged directory');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b', 'c']);
    ov.readdir('/d', { withFileTypes: true });
    assert.equal(l0.lists + l1.lists, lists, 'no layer listing the second and third time');
    const names = ov.readdir('/d');
    names.push('mutated');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b', 'c'], 'callers get a copy');
  });

  test('a change through the overlay is seen by the next readdir', () => {
    const ov = new Overlay({ lowers: [layer({ d: { a: 'a', b: 'b' } })], upper: layer(), cache: { impl } });
    assert.deepEqual(ov.readdir('/d'), ['a', 'b']);
    ov.writeFile('/d/c', 'c');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b', 'c']);
    ov.unlink('/d/a');
    assert.deepEqual(ov.readdir('/d'), ['b', 'c']);
    ov.rename('/d/b', '/d/z');
    assert.deepEqual(ov.readdir('/d'), ['c', 'z']);
    ov.mkdir('/d/m');
    ov.symlink('c', '/d/s');
    ov.link('/d/c', '/d/h');
    assert.deepEqual(ov.readdir('/d'), ['c', 'h', 'm', 's', 'z']);
    ov.rmdir('/d/m');
    ov.rename('/d/z', '/elsewhere');
    assert.deepEqual(ov.readdir('/d'), ['c', 'h', 's']);
    assert.deepEqual(ov.readdir('/'), ['d', 'elsewhere']);
  });

  test('a change underneath in the directory is seen; one elsewhere keeps the listing', () => {
    const l0 = counting({ d: { a: 'a' }, e: { x: 'x' } });
    const ov = new Overlay({ lowers: [l0], upper: layer(), cache: { impl } });
    assert.deepEqual(ov.readdir('/d'), ['a']);
    l0.writeFile('/d/b', 'b');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b']);
    const lists = l0.lists;
    l0.writeFile('/e/y', 'y');
    l0.writeFile('/d/a', 'new data');
    assert.deepEqual(ov.readdir('/d'), ['a', 'b']);
    assert.equal(l0.lists, lists, 'neither a change elsewhere nor a data change re-lists /d');
    l0.unlink('/d/a');
    l0.whiteout('/d/b');
    assert.deepEqual(ov.readdir('/d'), []);
  });

  test('a change in a layer the directory never consulted keeps the listing', () => {
    const l0 = counting({ d: opaque({ a: 'a' }) });
    const l1 = counting({ d: { hidden: 'h' } });
    const ov = new Overlay({ lowers: [l0, l1], upper: layer(), cache: { impl } });
    assert.deepEqual(ov.readdir('/d'), ['a']);
    const lists = l0.lists + l1.lists;
    l1.writeFile('/d/more', 'm');
    assert.deepEqual(ov.readdir('/d'), ['a']);
    assert.equal(l0.lists + l1.lists, lists);
    l0.setOpaque('/d', false);
    assert.deepEqual(ov.readdir('/d'), ['a', 'hidden', 'more'], 'once not opaque, the layer below shows');
  });

  test('a layer with a TTL bounds how long a listing is trusted', () => {
    let now = 1000;
    const remote = counting({ d: { a: 'a' } }, { ttlMs: 100 });
    const ov = new Overlay({ lowers: [remote], upper: layer(), cache: { impl }, clock: () => now });
    ov.readdir('/d');
    const lists = remote.lists;
    now += 50;
    ov.readdir('/d');
    assert.equal(remote.lists, lists, 'within the TTL: cached');
    now += 100;
    ov.readdir('/d');
    assert.equal(remote.lists, lists + 1, 'after it: listed again');
    assert.equal(ov.stats().estale, 0);
  });
}
