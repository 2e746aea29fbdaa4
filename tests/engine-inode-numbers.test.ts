// Stable inode numbers (fact 10): a non-directory keeps its number across copy-up, rename and
// link; objects of different layers never share one; merged directories report one link (11).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { InodeNumbers, LAYER_INO_SPAN, stableIno } from '../bindings/engine/inode-numbers.js';
import { Overlay } from '../bindings/index.js';
import { layer, link } from './helpers/layer-tree.js';

describe('inode number arithmetic', () => {
  test('layer-tagged numbers are distinct across layers and exact', () => {
    assert.equal(stableIno(0, 5), 5, 'upper objects keep their own number');
    assert.notEqual(stableIno(1, 5), stableIno(2, 5));
    assert.equal(stableIno(255, LAYER_INO_SPAN - 1), 255 * LAYER_INO_SPAN + LAYER_INO_SPAN - 1);
    assert.ok(Number.isSafeInteger(stableIno(255, LAYER_INO_SPAN - 1)));
  });

  test('a copy-up record makes the upper object answer its origin\'s number, transitively', () => {
    const inodes = new InodeNumbers();
    inodes.recordCopyUp({ alive: () => true }, 40, 2, 7, 7);
    assert.equal(inodes.of(0, 40, 40), stableIno(2, 7));
    assert.equal(inodes.of(0, 41, 41), stableIno(0, 41));
    inodes.forget(40);
    assert.equal(inodes.of(0, 40, 40), 40);
  });
});

for (const impl of CACHE_IMPLS) {
  describe(`cache: ${impl}`, () => run(impl));
}

function run(impl: CacheImpl): void {
  const make = () => {
    const l0 = layer({ d: { f: 'f0', s: link('f') }, same: 'zero' });
    const l1 = layer({ d: { g: 'g1' }, same: 'one', deep: { x: { y: 'y' } } });
    const upper = layer();
    return { l0, l1, upper, ov: new Overlay({ lowers: [l0, l1], upper, cache: { impl }, redirectDir: true }) };
  };

  test('the same layer inode in two layers is two overlay inodes', () => {
    const { l0, l1, ov } = make();
    assert.equal(l0.stat(l0.handleAt('/d/f')).ino, l1.stat(l1.handleAt('/d/g')).ino, 'the layers do share a number');
    assert.notEqual(ov.stat('/d/f').ino, ov.stat('/d/g').ino);
    const inos = new Set(['/d/f', '/d/g', '/d/s', '/same', '/deep/x/y', '/deep/x', '/deep'].map((p) => ov.lstat(p).ino));
    assert.equal(inos.size, 7);
  });

  test('copy-up keeps the number: data write, chmod, utimes, truncate, append', () => {
    const { ov } = make();
    const f = ov.stat('/d/f').ino;
    const g = ov.stat('/d/g').ino;
    const y = ov.stat('/deep/x/y').ino;
    const same = ov.stat('/same').ino;
    ov.writeFile('/d/f', 'new');
    ov.chmod('/d/g', 0o600);
    ov.utimes('/deep/x/y', 1, 2);
    ov.truncate('/same', 1);
    assert.deepEqual(
      [ov.stat('/d/f').ino, ov.stat('/d/g').ino, ov.stat('/deep/x/y').ino, ov.stat('/same').ino],
      [f, g, y, same],
    );
    assert.equal(ov.resolve('/d/g').layer, 'upper');
  });

  test('directories keep their number when copied up', () => {
    const { ov } = make();
    const deep = ov.stat('/deep').ino;
    const x = ov.stat('/deep/x').ino;
    ov.writeFile('/deep/x/new', 'n');
    assert.equal(ov.resolve('/deep/x').layer, 'upper');
    assert.equal(ov.stat('/deep').ino, deep);
    assert.equal(ov.stat('/deep/x').ino, x);
    assert.equal(ov.stat('/deep/x').nlink, 1, 'merged: one link');
  });

  test('rename keeps the number: lower file, upper file, symlink, and a redirected directory\'s contents', () => {
    const { ov } = make();
    const f = ov.stat('/d/f').ino;
    const s = ov.lstat('/d/s').ino;
    const y = ov.stat('/deep/x/y').ino;
    ov.rename('/d/f', '/moved');
    assert.equal(ov.stat('/moved').ino, f);
    ov.rename('/moved', '/d/again');
    assert.equal(ov.stat('/d/again').ino, f);
    ov.rename('/d/s', '/s2');
    assert.equal(ov.lstat('/s2').ino, s);
    ov.rename('/deep', '/shallow');
    assert.equal(ov.stat('/shallow/x/y').ino, y);
  });

  test('link shares the number between both names, and it is the lower object\'s', () => {
    const { ov, upper } = make();
    const g = ov.stat('/d/g').ino;
    ov.link('/d/g', '/d/g2');
    assert.equal(ov.stat('/d/g2').ino, g);
    assert.equal(ov.stat('/d/g').ino, g);
    assert.equal(ov.stat('/d/g').nlink, 2);
    assert.equal(upper.handleAt('/d/g'), upper.handleAt('/d/g2'));
    ov.writeFile('/d/g2', 'via the link');
    assert.equal(ov.readFile('/d/g', 'utf8'), 'via the link');
  });

  test('a fresh overlay over untouched layers gives the same numbers', () => {
    const { l0, l1, upper, ov } = make();
    const paths = ['/d', '/d/f', '/d/g', '/same', '/deep/x/y'];
    const again = new Overlay({ lowers: [l0, l1], upper, cache: { impl } });
    assert.deepEqual(paths.map((p) => again.stat(p).ino), paths.map((p) => ov.stat(p).ino));
  });
}

test('an upper object keeps its first number when its layer number changes; a reused one is replaced', () => {
  const alive = new Set([1, 2]);
  const inodes = new InodeNumbers({ alive: (h) => alive.has(h) });
  const first = inodes.of(0, 1, 500);
  assert.equal(inodes.of(0, 1, 777), first, 'the layer moved the object to another host inode');
  const other = inodes.of(0, 2, 500);
  assert.notEqual(other, first, 'the host handed 500 on while handle 1 still shows it');
  assert.equal(inodes.of(0, 2, 500), other);
  alive.delete(1);
  inodes.forget(1);
  assert.equal(inodes.of(0, 3, 500), first, 'once handle 1 is gone, 500 is free again');
  assert.equal(inodes.shownSize, 2);
});
