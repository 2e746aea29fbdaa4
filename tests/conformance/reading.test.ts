// Conformance, reading (docs/semantics.md facts 8-11), run against the engine and the reference model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachImplementation } from '../helpers/implementations.js';
import { diffSnapshots, snapshotLayer } from '../helpers/layer-snapshot.js';
import { file, layer, link, WH } from '../helpers/layer-tree.js';

const lowerClock = () => 1_000_000;
const upperClock = () => 9_000_000;

forEachImplementation((impl) => {
  test('fact 8: reading never copies up, and stat reports the lower object', () => {
    const lower = layer({ d: { f: file('lower data', 0o640), l: link('f'), s: { t: 'x' } } }, { clock: lowerClock });
    const upper = layer({}, { clock: upperClock });
    const ov = impl.make({ lowers: [lower], upper });
    const before = snapshotLayer(upper);
    const lowerBefore = snapshotLayer(lower);
    const st = ov.stat('/d/f');
    assert.equal(st.size, 10);
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.mtimeMs, 1_000_000);
    assert.equal(ov.readFile('/d/l', 'utf8'), 'lower data');
    assert.equal(ov.readlink('/d/l'), 'f');
    assert.equal(ov.realpath('/d/l'), '/d/f');
    assert.deepEqual(ov.readdir('/d'), ['f', 'l', 's']);
    assert.equal(ov.readdir('/d', { withFileTypes: true }).length, 3);
    assert.equal(ov.exists('/d/s/t'), true);
    ov.lstat('/d/l');
    ov.stat('/d/s');
    assert.equal(diffSnapshots(before, snapshotLayer(upper)), '', 'the upper is untouched');
    assert.equal(diffSnapshots(lowerBefore, snapshotLayer(lower)), '', 'the lower is untouched');
  });

  test('fact 9: readdir lists each name once, the topmost entry winning, whiteouts never', () => {
    const ov = impl.make({
      upper: layer({ x: 'upper file', w: WH }),
      lowers: [layer({ x: { sub: '1' }, y: link('x'), w: 'hidden' }), layer({ x: 'f', y: { d: '2' }, z: 'z', w: { e: '3' } })],
    });
    const entries = ov.readdir('/', { withFileTypes: true });
    const kinds = entries
      .map((d: { name: string; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }) =>
        `${d.name}:${d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : '?'}`)
      .sort();
    assert.deepEqual(kinds, ['x:file', 'y:symlink', 'z:file']);
    assert.deepEqual(ov.readdir('/').slice().sort(), ['x', 'y', 'z']);
  });

  test('fact 9: after a create or an unlink, a new readdir sees it', () => {
    const ov = impl.make({ upper: layer(), lowers: [layer({ d: { a: '1', b: '2' } }), layer({ d: { c: '3' } })] });
    assert.deepEqual(ov.readdir('/d').slice().sort(), ['a', 'b', 'c']);
    ov.writeFile('/d/new', 'n');
    assert.deepEqual(ov.readdir('/d').slice().sort(), ['a', 'b', 'c', 'new']);
    ov.unlink('/d/a');
    ov.unlink('/d/c');
    assert.deepEqual(ov.readdir('/d').slice().sort(), ['b', 'new']);
    ov.mkdir('/d/a');
    assert.deepEqual(ov.readdir('/d').slice().sort(), ['a', 'b', 'new']);
  });

  test('fact 10: a file keeps its inode number across copy-up, rename and link', () => {
    const ov = impl.make({ upper: layer(), lowers: [layer({ d: { f: 'data', g: 'other' } })] });
    const ino = ov.stat('/d/f').ino;
    assert.notEqual(ov.stat('/d/g').ino, ino, 'different files, different numbers');
    ov.appendFile('/d/f', '+');
    assert.equal(ov.stat('/d/f').ino, ino, 'after copy-up');
    ov.rename('/d/f', '/moved');
    assert.equal(ov.stat('/moved').ino, ino, 'after rename');
    ov.link('/moved', '/d/linked');
    assert.equal(ov.stat('/d/linked').ino, ino, 'after link');
    assert.equal(ov.stat('/moved').ino, ino);
    const g = ov.stat('/d/g').ino;
    ov.chmod('/d/g', 0o600);
    assert.equal(ov.stat('/d/g').ino, g, 'after a metadata copy-up');
  });

  test('fact 10: a symlink keeps its inode number across copy-up by rename', () => {
    const ov = impl.make({ upper: layer(), lowers: [layer({ l: link('/nowhere') })] });
    const ino = ov.lstat('/l').ino;
    ov.rename('/l', '/l2');
    assert.equal(ov.lstat('/l2').ino, ino);
  });

  test('fact 11: merged directories report nlink 1, others their layer count', () => {
    const ov = impl.make({
      upper: layer({ both: { u: '1' }, mine: { sub: {} } }),
      lowers: [layer({ both: { l: '1' }, lows: { x: {} }, only: { a: {}, b: {} } }), layer({ lows: { y: {} } })],
    });
    assert.equal(ov.stat('/both').nlink, 1, 'upper + lower');
    assert.equal(ov.stat('/lows').nlink, 1, 'two lowers');
    assert.equal(ov.stat('/').nlink, 1, 'the root merges every layer');
    assert.equal(ov.stat('/mine').nlink, 3, 'pure upper: 2 + one subdirectory');
    assert.equal(ov.stat('/only').nlink, 4, 'one lower: 2 + two subdirectories');
    ov.chmod('/only', 0o700);
    assert.equal(ov.stat('/only').nlink, 1, 'copied up, so merged (as the kernel reports)');
  });
});
