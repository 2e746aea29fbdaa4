// Conformance, lookup (docs/semantics.md facts 1-7), run against the engine and the reference model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import tar from 'tar-stream';
import { TarLayer } from '../../bindings/layers/tar-layer.js';
import { assertFsError } from '../helpers/assert-fs.js';
import { diffSnapshots, snapshotLayer } from '../helpers/layer-snapshot.js';
import { forEachImplementation } from '../helpers/implementations.js';
import { dir, layer, link, opaque, WH } from '../helpers/layer-tree.js';

const S_IFCHR = 0o020000;
const S_IFIFO = 0o010000;

/** An OCI layer tarball with these members (directories end in '/'). */
async function ociArchive(members: [name: string, data?: string][]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => pack.on('end', resolve));
  for (const [name, data] of members) {
    const isDir = name.endsWith('/');
    pack.entry({ name, type: isDir ? 'directory' : 'file', mode: isDir ? 0o755 : 0o644 }, isDir ? undefined : data ?? '');
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

forEachImplementation((impl) => {
  test('fact 1: a file in a higher layer hides a directory below', () => {
    const ov = impl.make({ lowers: [layer({ x: 'top' }), layer({ x: { child: 'c' } })], upper: layer() });
    assert.ok(ov.stat('/x').isFile());
    assert.equal(ov.readFile('/x', 'utf8'), 'top');
    assertFsError(() => ov.stat('/x/child'), { code: 'ENOTDIR', syscall: 'stat', path: '/x/child' });
    assertFsError(() => ov.readdir('/x'), { code: 'ENOTDIR', syscall: 'scandir' });
    assert.deepEqual(ov.readdir('/'), ['x']);
  });

  test('fact 1: an upper file hides lower files of the same name', () => {
    const ov = impl.make({ upper: layer({ f: 'upper' }), lowers: [layer({ f: 'lower0' }), layer({ f: 'lower1' })] });
    assert.equal(ov.readFile('/f', 'utf8'), 'upper');
    assert.equal(ov.stat('/f').size, 5);
  });

  test('fact 1: a symlink in a higher layer hides a directory below', () => {
    const ov = impl.make({ lowers: [layer({ d: link('/t') }), layer({ d: { below: '1' }, t: { target: '2' } })] });
    assert.ok(ov.lstat('/d').isSymbolicLink());
    assert.deepEqual(ov.readdir('/d'), ['target']);
    assertFsError(() => ov.stat('/d/below'), { code: 'ENOENT', syscall: 'stat' });
  });

  test('fact 2: a directory over a non-directory is visible alone, nothing below merges', () => {
    const ov = impl.make({
      upper: layer({ x: { mine: 'u' } }),
      lowers: [layer({ x: 'a file' }), layer({ x: { deep: 'd' } })],
    });
    assert.ok(ov.stat('/x').isDirectory());
    assert.deepEqual(ov.readdir('/x'), ['mine']);
    assertFsError(() => ov.stat('/x/deep'), 'ENOENT');
    assert.notEqual(ov.stat('/x').nlink, 1, 'not merged, so not nlink 1');
  });

  test('fact 2: a lower directory over a file in a lower below', () => {
    const ov = impl.make({ lowers: [layer({ x: { a: '1' } }), layer({ x: 'file' })], upper: layer() });
    assert.deepEqual(ov.readdir('/x'), ['a']);
    assert.ok(ov.lstat('/x').isDirectory());
  });

  test('fact 3: same-named directories merge: union listing, topmost metadata, lookup in each', () => {
    const ov = impl.make({
      lowers: [layer({ d: dir({ a: '1', s: { x: 'x0' } }, 0o700) }), layer({ d: dir({ b: '2', s: { y: 'y1' } }, 0o751) })],
    });
    assert.deepEqual(ov.readdir('/d'), ['a', 'b', 's']);
    assert.equal(ov.stat('/d').mode & 0o777, 0o700);
    assert.equal(ov.readFile('/d/b', 'utf8'), '2');
    assert.deepEqual(ov.readdir('/d/s'), ['x', 'y']);
    assert.equal(ov.readFile('/d/s/y', 'utf8'), 'y1');
  });

  test('fact 3: the upper directory of a merged directory gives its metadata', () => {
    const ov = impl.make({ upper: layer({ d: dir({ u: 'u' }, 0o705) }), lowers: [layer({ d: dir({ l: 'l' }, 0o777) })] });
    assert.equal(ov.stat('/d').mode & 0o777, 0o705);
    assert.deepEqual(ov.readdir('/d'), ['l', 'u']);
  });

  test('fact 4: a whiteout hides the name in every lower layer', () => {
    const ov = impl.make({
      upper: layer({ gone: WH, d: { f: WH } }),
      lowers: [layer({ gone: 'x', d: { f: '1', g: '2' } }), layer({ gone: { deep: '1' } })],
    });
    assertFsError(() => ov.stat('/gone'), { code: 'ENOENT', syscall: 'stat', path: '/gone' });
    assertFsError(() => ov.lstat('/gone/deep'), 'ENOENT');
    assert.equal(ov.exists('/gone'), false);
    assert.equal(ov.stat('/gone', { throwIfNoEntry: false }), undefined);
    assert.deepEqual(ov.readdir('/'), ['d']);
    assert.deepEqual(ov.readdir('/d'), ['g']);
    assertFsError(() => ov.readFile('/d/f'), { code: 'ENOENT', syscall: 'open' });
  });

  test('fact 4: a whiteout in a middle lower hides only the layers below it', () => {
    const ov = impl.make({ upper: layer({ w: 'upper' }), lowers: [layer({ w: WH, v: WH }), layer({ w: 'low', v: 'low', k: 'kept' })] });
    assert.equal(ov.readFile('/w', 'utf8'), 'upper');
    assertFsError(() => ov.stat('/v'), 'ENOENT');
    assert.deepEqual(ov.readdir('/'), ['k', 'w']);
  });

  test('fact 5: an opaque directory hides same-named directories below and stays visible', () => {
    const ov = impl.make({ lowers: [layer({ o: opaque({ mine: '0' }) }), layer({ o: { hidden: '1' } })], upper: layer() });
    assert.ok(ov.stat('/o').isDirectory());
    assert.deepEqual(ov.readdir('/o'), ['mine']);
    assertFsError(() => ov.stat('/o/hidden'), 'ENOENT');
    assert.notEqual(ov.stat('/o').nlink, 1, 'an opaque directory merges nothing');
  });

  test('fact 5: an opaque upper directory hides the lower directory', () => {
    const ov = impl.make({ upper: layer({ o: opaque({}) }), lowers: [layer({ o: { a: '1', b: { c: '2' } } })] });
    assert.deepEqual(ov.readdir('/o'), []);
    assert.equal(ov.exists('/o/b/c'), false);
  });

  test('fact 5: a non-opaque directory between an opaque one and the top still merges', () => {
    const ov = impl.make({ lowers: [layer({ o: { top: '0' } }), layer({ o: opaque({ mid: '1' }) }), layer({ o: { low: '2' } })] });
    assert.deepEqual(ov.readdir('/o'), ['mid', 'top']);
  });

  test('fact 6: creating a 0/0 character device through the overlay fails with EPERM', () => {
    const upper = layer({ d: {} });
    const ov = impl.make({ upper, lowers: [layer({ gone: 'x' })] });
    const before = snapshotLayer(upper);
    assertFsError(() => ov.mknod('/d/dev', S_IFCHR | 0o644, 0), { code: 'EPERM', syscall: 'mknod', path: '/d/dev' });
    assertFsError(() => ov.mknod('/dev0', S_IFCHR | 0o600, 0), { code: 'EPERM', syscall: 'mknod' });
    assertFsError(() => ov.mknod('/gone', S_IFCHR | 0o600, 0), { code: 'EEXIST', syscall: 'mknod' });
    assert.equal(diffSnapshots(before, snapshotLayer(upper)), '', 'nothing was created');
    assert.equal(ov.readFile('/gone', 'utf8'), 'x', 'the lower name is not whited out');
    assert.deepEqual(ov.readdir('/').slice().sort(), ['d', 'gone']);
    ov.mknod('/d/tty', S_IFCHR | 0o620, 0x0501);
    ov.mknod('/d/fifo', S_IFIFO | 0o644);
    assert.ok(ov.lstat('/d/tty').isCharacterDevice());
    assert.ok(ov.lstat('/d/fifo').isFIFO());
    assert.deepEqual(ov.readdir('/d').slice().sort(), ['fifo', 'tty']);
  });

  test('fact 7: no .wh. name of an OCI layer is ever visible through the overlay', async () => {
    const base = await TarLayer.load(await ociArchive([
      ['etc/'], ['etc/passwd', 'root'], ['etc/hosts', 'base'], ['var/'], ['var/cache/'], ['var/cache/old', 'stale'],
    ]));
    const patch = await TarLayer.load(await ociArchive([
      ['etc/'], ['etc/.wh.passwd'], ['var/'], ['var/cache/'], ['var/cache/.wh..wh..opq'], ['var/cache/new', 'fresh'],
    ]));
    const ov = impl.make({ lowers: [patch, base], upper: layer() });
    assert.deepEqual(ov.readdir('/etc'), ['hosts']);
    assert.deepEqual(ov.readdir('/var/cache'), ['new']);
    for (const p of ['/etc/.wh.passwd', '/etc/passwd', '/var/cache/.wh..wh..opq', '/var/cache/old']) {
      assertFsError(() => ov.lstat(p), 'ENOENT');
      assert.equal(ov.exists(p), false, p);
    }
    ov.writeFile('/etc/passwd', 'new');
    assert.deepEqual(ov.readdir('/etc').slice().sort(), ['hosts', 'passwd']);
  });
});
