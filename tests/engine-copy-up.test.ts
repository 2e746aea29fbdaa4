// Copy-up (facts 8, 12, 13): what is copied (ancestors first; mode, owner, times, xattrs, symlink
// target, data), that reading never copies, metacopy, and atomicity: a failure injected at any
// step of a write leaves every layer as it was and the overlay's view unchanged.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { Overlay } from '../bindings/index.js';
import { assertFsError } from './helpers/assert-fs.js';
import { FaultyLayer, type FaultyMethod } from './helpers/faulty-layer.js';
import { layer, link, populate } from './helpers/layer-tree.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function forEachCache(body: (impl: CacheImpl) => void): void {
  for (const impl of CACHE_IMPLS) describe(`cache: ${impl}`, () => body(impl));
}

/** Everything observable through the overlay under `root`, as lines (for before/after checks). */
function view(ov: Overlay, root = '/'): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = ov.lstat(p);
    const r = ov.resolve(p);
    let line = `${p} ino=${st.ino} mode=${st.mode.toString(8)} nlink=${st.nlink} layer=${r.layer} merged=${r.merged} opaque=${r.opaque}`;
    if (st.isFile()) line += ` data=${ov.readFile(p, 'utf8')}`;
    if (st.isSymbolicLink()) line += ` -> ${ov.readlink(p)}`;
    out.push(line);
    if (st.isDirectory()) for (const n of ov.readdir(p)) walk(p === '/' ? `/${n}` : `${p}/${n}`);
  };
  walk(root);
  return out;
}

/** Leave /a/b with nothing visible but two whiteouts in the upper (a merged, empty directory). */
const emptyB = (ov: Overlay) => { ov.unlink('/a/b/f'); ov.unlink('/a/b/l'); };

forEachCache((impl) => {
  const stack = (options: { metacopy?: boolean } = {}) => {
    const lower = layer({ a: { b: { f: 'lower data', l: link('f') }, g: 'g' }, top: 't' }, { clock: () => 1000 });
    lower.chmod('/a', 0o750);
    lower.utimes('/a/b/f', 11, 22);
    lower.setXattr('/a/b/f', 'user.tag', bytes('v'));
    const upper = populate(new FaultyLayer({ clock: () => 5000 }), {});
    const ov = new Overlay({ lowers: [lower], upper, metacopy: options.metacopy, cache: { impl } });
    return { lower, upper, ov };
  };

  test('fact 8: reading never copies up', () => {
    const { lower, upper, ov } = stack();
    const before = upper.snapshot();
    ov.stat('/a/b/f');
    ov.readFile('/a/b/f');
    ov.readdir('/a/b');
    ov.readlink('/a/b/l');
    ov.realpath('/a/b/l');
    ov.exists('/a/g');
    assert.equal(upper.snapshot(), before);
    assert.equal(ov.stat('/a/b/f').size, lower.stat(lower.handleAt('/a/b/f')).size);
  });

  test('fact 12: ancestors first, then the object, with mode, owner, times and xattrs', () => {
    const { lower, upper, ov } = stack();
    ov.chmod('/a/b/f', 0o600);
    const h = upper.handleAt('/a/b/f');
    const st = upper.stat(h);
    assert.equal(st.mode, 0o100600);
    assert.deepEqual([st.atimeMs, st.mtimeMs], [11, 22], 'times kept');
    assert.equal(new TextDecoder().decode(upper.xattrs(h)['user.tag']), 'v');
    assert.equal(new TextDecoder().decode(upper.read(h)), 'lower data', 'data copied whole (metacopy off)');
    assert.equal(upper.stat(upper.handleAt('/a')).mode, 0o040750, 'the ancestor kept its mode');
    assert.equal(upper.handleAt('/a/g'), 0, 'siblings are not copied');
    assert.deepEqual(ov.resolve('/a'), { layer: 'upper', merged: true, opaque: false });
    assert.equal(ov.stat('/a').nlink, 1, 'fact 11: a merged directory has one link');
    ov.rename('/a/b/l', '/a/b/l2');
    assert.equal(upper.readlink(upper.handleAt('/a/b/l2')), 'f', 'a symlink keeps its target');
    assert.equal(lower.snapshot().includes('mode=100600'), false, 'the lower is never written');
  });

  test('writeFile over a lower file copies up with the new data in one step', () => {
    const { upper, ov } = stack();
    ov.writeFile('/a/b/f', 'new');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'new');
    assert.equal(upper.fired, 0);
    ov.appendFile('/a/g', '+');
    assert.equal(ov.readFile('/a/g', 'utf8'), 'g+');
    ov.truncate('/top', 0);
    assert.equal(ov.readFile('/top', 'utf8'), '');
    assert.equal(ov.stat('/top').size, 0);
  });

  test('fact 13: with metacopy, metadata changes copy metadata only; data follows the lower until written', () => {
    const { lower, upper, ov } = stack({ metacopy: true });
    ov.chmod('/a/b/f', 0o640);
    const h = upper.handleAt('/a/b/f');
    assert.equal(upper.isMetacopy(h), true);
    assert.equal(upper.read(h).length, 0, 'no data in the upper');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'lower data');
    assert.equal(ov.stat('/a/b/f').size, 'lower data'.length, 'size comes from the data');
    assert.equal(ov.stat('/a/b/f').mode, 0o100640);
    lower.writeFile('/a/b/f', 'lower changed');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'lower changed', 'the data is still the lower\'s');
    ov.appendFile('/a/b/f', '!');
    assert.equal(upper.isMetacopy(h), false);
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'lower changed!');
    lower.writeFile('/a/b/f', 'ignored now');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'lower changed!');
  });

  test('fact 13: a metacopy file whose data disappears below fails with EIO', () => {
    const { lower, ov } = stack({ metacopy: true });
    ov.chmod('/a/b/f', 0o640);
    lower.unlink('/a/b/f');
    assertFsError(() => ov.stat('/a/b/f'), { code: 'EIO', syscall: 'stat' });
    lower.writeFile('/a/b/f', 'back');
    assert.equal(ov.readFile('/a/b/f', 'utf8'), 'back');
  });

  // Each write, with a failure injected at each layer call it makes: nothing changes anywhere.
  const cases: { what: string; method: FaultyMethod; name?: string; setup?: (ov: Overlay) => void; op: (ov: Overlay) => unknown }[] = [
    { what: 'writeFile: the object\'s copy-up', method: 'createNode', name: 'f', op: (ov) => ov.writeFile('/a/b/f', 'x') },
    { what: 'writeFile: an ancestor\'s copy-up', method: 'createNode', name: 'b', op: (ov) => ov.writeFile('/a/b/f', 'x') },
    { what: 'writeFile: a new file under lower-only ancestors', method: 'createNode', name: 'new', op: (ov) => ov.writeFile('/a/b/new', 'x') },
    { what: 'chmod: copy-up', method: 'createNode', name: 'f', op: (ov) => ov.chmod('/a/b/f', 0o600) },
    { what: 'chmod of a lower directory', method: 'setMode', op: (ov) => ov.chmod('/a/b', 0o700) },
    { what: 'mkdir under lower-only ancestors', method: 'createNode', name: 'd', op: (ov) => ov.mkdir('/a/b/d') },
    { what: 'unlink: the whiteout', method: 'putWhiteout', name: 'f', op: (ov) => ov.unlink('/a/b/f') },
    { what: 'symlink: the link', method: 'createNode', name: 's', op: (ov) => ov.symlink('f', '/a/b/s') },
    { what: 'link: the new name', method: 'linkName', name: 'h', op: (ov) => ov.link('/a/b/f', '/a/h') },
    { what: 'link: the copy-up of the source', method: 'createNode', name: 'f', op: (ov) => ov.link('/a/b/f', '/a/h') },
    { what: 'rename: the rename itself', method: 'renameName', name: 'moved', op: (ov) => ov.rename('/a/b/f', '/moved') },
    { what: 'rename: the whiteout left behind', method: 'putWhiteout', name: 'f', op: (ov) => ov.rename('/a/b/f', '/moved') },
    { what: 'rmdir: announcing its last steps (engine/intent.ts)', method: 'setXattr', setup: emptyB, op: (ov) => ov.rmdir('/a/b') },
    { what: 'rmdir: the whiteout', method: 'putWhiteout', name: 'b', setup: emptyB, op: (ov) => ov.rmdir('/a/b') },
    { what: 'rename over a merged directory: its whiteouts cleaned', method: 'removeName', name: 'f', setup: (ov) => { emptyB(ov); ov.mkdir('/c'); }, op: (ov) => ov.rename('/c', '/a/b') },
  ];
  for (const c of cases) {
    test(`copy-up atomicity: a failure in ${c.what} leaves every layer and the view unchanged`, () => {
      const { lower, upper, ov } = stack();
      c.setup?.(ov);
      const lowerBefore = lower.snapshot();
      const upperBefore = upper.snapshot();
      const viewBefore = view(ov);
      upper.failNext(c.method, { name: c.name });
      assertFsError(() => c.op(ov), 'ENOSPC');
      assert.equal(upper.fired, 1, 'the fault fired');
      assert.equal(lower.snapshot(), lowerBefore, 'lower unchanged');
      assert.equal(upper.snapshot(), upperBefore, 'upper unchanged');
      assert.deepEqual(view(ov), viewBefore, 'the overlay shows what it showed before');
      // The same write succeeds once the fault is gone.
      c.op(ov);
      assert.notEqual(upper.snapshot(), upperBefore);
    });
  }
});
