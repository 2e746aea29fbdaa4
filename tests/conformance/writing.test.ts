// Conformance, writing (docs/semantics.md facts 12-20), run against the engine and the reference model.
// Upper-layer effects (whiteouts, opaque marks, redirects, copied-up objects) are checked on the
// layer itself, through the Layer interface.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ABSENT, WHITEOUT } from '../../bindings/layers/layer.js';
import type { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { assertFsError } from '../helpers/assert-fs.js';
import { FaultyLayer } from '../helpers/faulty-layer.js';
import { forEachImplementation } from '../helpers/implementations.js';
import { diffSnapshots, snapshotLayer } from '../helpers/layer-snapshot.js';
import { dir, file, layer, link, populate, WH } from '../helpers/layer-tree.js';

const lowerClock = () => 1_000_000;
const upperClock = () => 9_000_000;
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function upperFile(upper: MemoryLayer, p: string): { data: string; mode: number; mtimeMs: number; metacopy: boolean } {
  const h = upper.handleAt(p);
  assert.ok(h > 0, `${p} is in the upper`);
  const st = upper.stat(h);
  return { data: text(upper.read(h)), mode: st.mode & 0o7777, mtimeMs: st.mtimeMs, metacopy: upper.isMetacopy(h) };
}

forEachImplementation((impl) => {
  test('fact 12: the first write copies up ancestors, then the object with mode, times and xattrs', () => {
    const lower = layer({ a: dir({ b: dir({ f: file('data', 0o640) }, 0o711) }, 0o750) }, { clock: lowerClock });
    lower.setXattr('/a/b/f', 'user.tag', bytes('kept'));
    const upper = layer({}, { clock: upperClock });
    const ov = impl.make({ lowers: [lower], upper });
    ov.chmod('/a/b/f', 0o604);
    assert.equal(upper.stat(upper.handleAt('/a')).mode & 0o7777, 0o750, 'ancestor /a, with its mode');
    assert.equal(upper.stat(upper.handleAt('/a/b')).mode & 0o7777, 0o711, 'ancestor /a/b, with its mode');
    const f = upperFile(upper, '/a/b/f');
    assert.deepEqual(f, { data: 'data', mode: 0o604, mtimeMs: 1_000_000, metacopy: false });
    assert.equal(text(upper.xattrs(upper.handleAt('/a/b/f'))['user.tag']), 'kept');
    assert.equal(ov.stat('/a/b/f').mtimeMs, 1_000_000, 'times kept through the overlay too');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'data');
  });

  test('fact 12: a symlink is copied up with its target', () => {
    const lower = layer({ d: { l: link('../t'), t: 'x' } });
    const upper = layer();
    const ov = impl.make({ lowers: [lower], upper });
    ov.link('/d/l', '/d/l2');
    const h = upper.handleAt('/d/l');
    assert.ok(h > 0);
    assert.equal(upper.readlink(h), '../t');
    assert.equal(ov.readlink('/d/l2'), '../t');
  });

  for (const [what, write] of [
    ['writeFile', (ov: any) => ov.writeFile('/d/f', 'new')],
    ['appendFile', (ov: any) => ov.appendFile('/d/f', '+')],
    ['truncate', (ov: any) => ov.truncate('/d/f', 2)],
    ['chmod', (ov: any) => ov.chmod('/d/f', 0o600)],
    ['utimes', (ov: any) => ov.utimes('/d/f', 100, 200)],
    ['link', (ov: any) => ov.link('/d/f', '/d/g')],
  ] as const) {
    test(`fact 12: ${what} copies a lower file up and leaves the lower alone`, () => {
      const lower = layer({ d: { f: 'lower' } });
      const upper = layer();
      const ov = impl.make({ lowers: [lower], upper });
      const before = snapshotLayer(lower);
      write(ov);
      assert.ok(upper.handleAt('/d/f') > 0, 'copied up');
      assert.equal(diffSnapshots(before, snapshotLayer(lower)), '');
    });
  }

  test('fact 12: the data, mode and times the write asked for are what the overlay shows', () => {
    const ov = impl.make({ lowers: [layer({ f: 'abcdef' }, { clock: lowerClock })], upper: layer({}, { clock: upperClock }) });
    ov.truncate('/f', 3);
    assert.equal(ov.readFile('/f', 'utf8'), 'abc');
    ov.utimes('/f', 100, 200);
    assert.equal(ov.stat('/f').mtimeMs, 200_000);
    assert.equal(ov.stat('/f').atimeMs, 100_000);
    ov.chmod('/f', 0o411);
    assert.equal(ov.stat('/f').mode & 0o7777, 0o411);
    ov.appendFile('/f', 'Z');
    assert.equal(ov.readFile('/f', 'utf8'), 'abcZ');
  });

  test('fact 12: copy-up is atomic: a failure while copying leaves no partial object', () => {
    const lower = layer({ d: { f: 'lower data' } });
    const upper = populate(new FaultyLayer(), {});
    const ov = impl.make({ lowers: [lower], upper });
    upper.failNext('createNode', { name: 'f' });
    assertFsError(() => ov.appendFile('/d/f', '+'), 'ENOSPC');
    assert.equal(upper.fired, 1);
    assert.equal(upper.handleAt('/d/f'), ABSENT, 'no object in the upper');
    assert.equal(ov.readFile('/d/f', 'utf8'), 'lower data');
    assert.equal(ov.stat('/d/f').size, 10);
    ov.appendFile('/d/f', '+');
    assert.equal(ov.readFile('/d/f', 'utf8'), 'lower data+', 'the next write works');
  });

  test('fact 12: whichever layer write fails during a copy-up, the file is old or new, never partial', () => {
    let fired = 0;
    for (const method of ['createNode', 'writeData', 'setMode', 'setTimes', 'setXattr'] as const) {
      const lower = layer({ d: { f: file('lower data', 0o640) } });
      lower.setXattr('/d/f', 'user.k', bytes('v'));
      const upper = populate(new FaultyLayer(), {});
      const ov = impl.make({ lowers: [lower], upper });
      upper.failNext(method);
      let threw = false;
      try {
        ov.appendFile('/d/f', '+');
      } catch (err) {
        threw = true;
        assert.equal((err as { code?: string }).code, 'ENOSPC', `${method}: the layer's error comes through`);
      }
      fired += upper.fired;
      const content = ov.readFile('/d/f', 'utf8');
      assert.equal(content, threw ? 'lower data' : 'lower data+', `${method}: content after ${threw ? 'a failed' : 'a'} write`);
      assert.equal(ov.stat('/d/f').size, content.length);
      const h = upper.handleAt('/d/f');
      if (h > 0) {
        assert.equal(upper.stat(h).mode & 0o7777, 0o640, `${method}: an upper copy is complete (mode)`);
        assert.equal(text(upper.xattrs(h)['user.k'] ?? new Uint8Array()), 'v', `${method}: an upper copy is complete (xattrs)`);
      }
    }
    assert.ok(fired >= 1, 'at least one fault was met');
  });

  test('fact 13: with metacopy on, chmod copies metadata only; data stays below until written', () => {
    const lower = layer({ f: file('lower data', 0o644) });
    const upper = layer();
    const ov = impl.make({ lowers: [lower], upper, metacopy: true });
    ov.chmod('/f', 0o600);
    const h = upper.handleAt('/f');
    assert.ok(h > 0);
    assert.equal(upper.isMetacopy(h), true);
    assert.equal(upper.read(h).length, 0, 'no data in the upper');
    assert.equal(ov.readFile('/f', 'utf8'), 'lower data');
    assert.equal(ov.stat('/f').size, 10);
    assert.equal(ov.stat('/f').mode & 0o7777, 0o600);
    ov.appendFile('/f', '!');
    assert.equal(upper.isMetacopy(upper.handleAt('/f')), false);
    assert.equal(text(upper.read(upper.handleAt('/f'))), 'lower data!');
    assert.equal(ov.readFile('/f', 'utf8'), 'lower data!');
  });

  test('fact 13: with metacopy off, chmod copies the data too', () => {
    const upper = layer();
    const ov = impl.make({ lowers: [layer({ f: 'lower data' })], upper, metacopy: false });
    ov.chmod('/f', 0o600);
    assert.deepEqual({ ...upperFile(upper, '/f'), mtimeMs: 0 }, { data: 'lower data', mode: 0o600, mtimeMs: 0, metacopy: false });
  });

  test('fact 14: unlink of a name that exists below leaves a whiteout; of a pure-upper name, none', () => {
    const upper = layer({ mine: 'u', shadow: 'u' });
    const ov = impl.make({ lowers: [layer({ low: 'l', shadow: 'l', d: { x: '1' } })], upper });
    ov.unlink('/low');
    ov.unlink('/shadow');
    ov.unlink('/mine');
    ov.unlink('/d/x');
    assert.equal(upper.handleAt('/low'), WHITEOUT);
    assert.equal(upper.handleAt('/shadow'), WHITEOUT);
    assert.equal(upper.handleAt('/mine'), ABSENT);
    assert.equal(upper.handleAt('/d/x'), WHITEOUT);
    assert.deepEqual(ov.readdir('/'), ['d']);
    assertFsError(() => ov.unlink('/low'), { code: 'ENOENT', syscall: 'unlink', path: '/low' });
  });

  test('fact 14: unlink of a name whose first lower entry is a whiteout leaves none', () => {
    const upper = layer({ x: 'recreated' });
    const ov = impl.make({ lowers: [layer({ x: WH }), layer({ x: 'buried' })], upper });
    ov.unlink('/x');
    assert.equal(upper.handleAt('/x'), ABSENT);
    assert.equal(ov.exists('/x'), false);
  });

  test('fact 15: rmdir of a directory with a visible entry in any layer fails with ENOTEMPTY', () => {
    const ov = impl.make({ upper: layer({ d: {} }), lowers: [layer({ d: {} }), layer({ d: { deep: '1' } })] });
    assertFsError(() => ov.rmdir('/d'), { code: 'ENOTEMPTY', syscall: 'rmdir', path: '/d' });
  });

  test('fact 15: once only whiteouts remain, rmdir succeeds and leaves one whiteout', () => {
    const upper = layer();
    const ov = impl.make({ upper, lowers: [layer({ d: { a: '1', s: { t: '2' } } }), layer({ d: { b: '3' } })] });
    ov.unlink('/d/a');
    ov.unlink('/d/b');
    ov.rm('/d/s', { recursive: true });
    assert.deepEqual(ov.readdir('/d'), []);
    ov.rmdir('/d');
    assert.equal(upper.handleAt('/d'), WHITEOUT, 'one whiteout for the directory');
    assert.deepEqual(upper.list(upper.root()), ['d'], 'and nothing else');
    assertFsError(() => ov.stat('/d'), 'ENOENT');
    assert.deepEqual(ov.readdir('/'), []);
  });

  test('fact 15: rmdir of a pure-upper directory leaves no whiteout', () => {
    const upper = layer({ u: {} });
    const ov = impl.make({ upper, lowers: [layer()] });
    ov.rmdir('/u');
    assert.equal(upper.handleAt('/u'), ABSENT);
  });

  test('fact 16: mkdir over a whiteout creates an opaque directory', () => {
    const upper = layer();
    const ov = impl.make({ upper, lowers: [layer({ d: { old: '1', sub: { x: '2' } } })] });
    ov.rm('/d', { recursive: true });
    assert.equal(upper.handleAt('/d'), WHITEOUT);
    ov.mkdir('/d');
    const h = upper.handleAt('/d');
    assert.ok(h > 0);
    assert.equal(upper.isOpaque(h), true);
    assert.deepEqual(ov.readdir('/d'), [], 'the old lower children stay hidden');
    assertFsError(() => ov.stat('/d/old'), 'ENOENT');
  });

  test('fact 16: mkdir over a pre-existing upper whiteout', () => {
    const upper = layer({ d: WH });
    const ov = impl.make({ upper, lowers: [layer({ d: { old: '1' } })] });
    ov.mkdir('/d');
    assert.deepEqual(ov.readdir('/d'), []);
    assert.equal(upper.isOpaque(upper.handleAt('/d')), true);
  });

  test('fact 17: rename of a merged or lower-only directory is EXDEV without redirect_dir', () => {
    const ov = impl.make({
      upper: layer({ merged: { u: '1' }, pure: { p: '1' } }),
      lowers: [layer({ merged: { l: '1' }, lower: { x: '1' }, f: 'file' })],
      redirectDir: false,
    });
    assertFsError(() => ov.rename('/merged', '/m2'), { code: 'EXDEV', syscall: 'rename', path: '/merged', dest: '/m2' });
    assertFsError(() => ov.rename('/lower', '/l2'), { code: 'EXDEV', syscall: 'rename' });
    ov.rename('/pure', '/p2');
    assert.deepEqual(ov.readdir('/p2'), ['p']);
    ov.rename('/f', '/g');
    assert.equal(ov.readFile('/g', 'utf8'), 'file');
    assert.deepEqual(ov.readdir('/').slice().sort(), ['g', 'lower', 'merged', 'p2']);
  });

  test('fact 18: with redirect_dir on, a renamed lower directory keeps its children', () => {
    const upper = layer();
    const ov = impl.make({ upper, lowers: [layer({ d: { a: '1', s: { t: 'deep' } } }), layer({ d: { b: '2' } })], redirectDir: true });
    ov.rename('/d', '/e');
    assert.deepEqual(ov.readdir('/e').slice().sort(), ['a', 'b', 's']);
    assert.equal(ov.readFile('/e/s/t', 'utf8'), 'deep');
    assertFsError(() => ov.stat('/d'), 'ENOENT');
    assert.equal(upper.handleAt('/d'), WHITEOUT);
    assert.equal(upper.redirect(upper.handleAt('/e')), '/d');
    ov.mkdir('/x');
    ov.rename('/e/s', '/x/s2');
    assert.equal(ov.readFile('/x/s2/t', 'utf8'), 'deep');
    assert.equal(upper.redirect(upper.handleAt('/x/s2')), '/d/s', 'the lower path, as the kernel records it');
    assert.deepEqual(ov.readdir('/e').slice().sort(), ['a', 'b']);
  });

  test('fact 19: renaming a file that exists below leaves a whiteout at the old name', () => {
    const upper = layer({ mine: 'u' });
    const ov = impl.make({ upper, lowers: [layer({ low: 'l' })] });
    ov.rename('/low', '/moved');
    ov.rename('/mine', '/mine2');
    assert.equal(upper.handleAt('/low'), WHITEOUT);
    assert.equal(upper.handleAt('/mine'), ABSENT, 'a pure-upper name leaves none');
    assert.equal(ov.readFile('/moved', 'utf8'), 'l');
    assert.deepEqual(ov.readdir('/').slice().sort(), ['mine2', 'moved']);
  });

  test('fact 20: link of a lower file copies it up; both names share data and inode', () => {
    const upper = layer();
    const ov = impl.make({ upper, lowers: [layer({ d: { f: 'shared' } })] });
    const ino = ov.stat('/d/f').ino;
    ov.link('/d/f', '/g');
    assert.ok(upper.handleAt('/d/f') > 0, 'copied up');
    assert.equal(upper.handleAt('/d/f'), upper.handleAt('/g'), 'one upper object, two names');
    assert.equal(ov.readFile('/g', 'utf8'), 'shared');
    assert.equal(ov.stat('/g').ino, ino);
    assert.equal(ov.stat('/d/f').ino, ino);
    assert.equal(ov.stat('/g').nlink, 2);
    ov.appendFile('/g', '!');
    assert.equal(ov.readFile('/d/f', 'utf8'), 'shared!');
  });
});
