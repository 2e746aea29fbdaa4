// MemoryLayer: the Layer interface the overlay drives (handles, whiteouts, marks, atomic
// createNode, rename(2) rules, no notifications) and the path-based methods that model changes
// underneath (each notifying one LayerChange per changed name).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LayerChange } from '../bindings/layers/layer.js';
import { ABSENT, WHITEOUT } from '../bindings/layers/layer.js';
import { MemoryLayer, S_IFCHR, S_IFIFO } from '../bindings/layers/memory-layer.js';
import { assertFsError } from './helpers/assert-fs.js';
import { createRng, testSeeds, type Rng } from '../bindings/verify/prng.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A layer and the changes it notified. */
function watched(options = {}): { l: MemoryLayer; changes: LayerChange[] } {
  const l = new MemoryLayer({ clock: () => 1000, ...options });
  const changes: LayerChange[] = [];
  l.subscribe((c) => changes.push({ ...c }));
  return { l, changes };
}

describe('MemoryLayer: path-based changes notify', () => {
  test('mkdir -p notifies one create per directory made', () => {
    const { l, changes } = watched();
    l.mkdir('/a/b/c', { recursive: true });
    assert.deepEqual(changes, [
      { dir: '/', name: 'a', kind: 'create' },
      { dir: '/a', name: 'b', kind: 'create' },
      { dir: '/a/b', name: 'c', kind: 'create' },
    ]);
    l.mkdir('/a/b/c', { recursive: true });
    assert.equal(changes.length, 3, 'an existing directory is not a change');
    assertFsError(() => l.mkdir('/a'), { code: 'EEXIST', syscall: 'mkdir', path: '/a' });
    assertFsError(() => l.mkdir('/x/y'), { code: 'ENOENT', syscall: 'mkdir', path: '/x/y' });
  });

  test('writeFile: a new name is a create, new data a data change, replace a new object', () => {
    const { l, changes } = watched();
    l.writeFile('/f', 'one');
    const h = l.handleAt('/f');
    l.writeFile('/f', 'two');
    assert.equal(l.handleAt('/f'), h, 'rewriting keeps the object');
    l.writeFile('/f', 'three', { replace: true });
    const h2 = l.handleAt('/f');
    assert.notEqual(h2, h, 'replace puts a new object at the name');
    assert.equal(l.alive(h), false);
    assert.equal(text(l.read(h2)), 'three');
    assert.deepEqual(changes.map((c) => c.kind), ['create', 'data', 'replace']);
    assert.ok(changes.every((c) => c.dir === '/' && c.name === 'f'));
  });

  test('whiteout, setOpaque, setRedirect, unlink, rmdir, rename, chmod, expire', () => {
    const { l, changes } = watched();
    l.mkdir('/d/e', { recursive: true });
    l.writeFile('/d/f', 'x');
    changes.length = 0;
    l.whiteout('/d/gone');
    l.setOpaque('/d', true);
    l.setRedirect('/d/e', '/elsewhere');
    l.chmod('/d/f', 0o600);
    l.rename('/d/f', '/g');
    l.unlink('/g');
    l.unlink('/d/gone');
    l.rmdir('/d', { recursive: true });
    l.expire('/x/y');
    l.expire('/');
    assert.deepEqual(changes, [
      { dir: '/d', name: 'gone', kind: 'whiteout' },
      { dir: '/d', name: '', kind: 'opaque' },
      { dir: '/d/e', name: '', kind: 'redirect' },
      { dir: '/d', name: 'f', kind: 'meta' },
      { dir: '/d', name: 'f', kind: 'rename' },
      { dir: '/', name: 'g', kind: 'rename' },
      { dir: '/', name: 'g', kind: 'remove' },
      { dir: '/d', name: 'gone', kind: 'remove' },
      { dir: '/', name: 'd', kind: 'remove' },
      { dir: '/x', name: 'y', kind: 'expire' },
      { dir: '/', name: '', kind: 'expire' },
    ]);
  });

  test('a whiteout replaces a file or an empty directory, not a populated one', () => {
    const { l } = watched();
    l.writeFile('/f', 'x');
    l.mkdir('/e');
    l.mkdir('/p/q', { recursive: true });
    const f = l.handleAt('/f');
    l.whiteout('/f');
    l.whiteout('/e');
    assert.equal(l.handleAt('/f'), WHITEOUT);
    assert.equal(l.handleAt('/e'), WHITEOUT);
    assert.equal(l.alive(f), false);
    assertFsError(() => l.whiteout('/p'), 'ENOTEMPTY');
    l.mkdir('/f');
    assert.ok(l.handleAt('/f') > 0, 'mkdir over a whiteout replaces it');
  });

  test('unsubscribing stops notifications', () => {
    const l = new MemoryLayer();
    const seen: LayerChange[] = [];
    const off = l.subscribe((c) => seen.push(c));
    l.writeFile('/a', 'x');
    off();
    l.writeFile('/b', 'x');
    assert.equal(seen.length, 1);
  });

  test('errors name the layer path and the syscall', () => {
    const { l } = watched();
    l.writeFile('/f', 'x');
    assertFsError(() => l.unlink('/nope'), { code: 'ENOENT', syscall: 'unlink', path: '/nope' });
    assertFsError(() => l.rmdir('/f'), { code: 'ENOTDIR', syscall: 'rmdir', path: '/f' });
    assertFsError(() => l.writeFile('/f/x', 'y'), { code: 'ENOTDIR', syscall: 'open', path: '/f/x' });
    assertFsError(() => l.symlink('t', '/f'), { code: 'EEXIST', syscall: 'symlink' });
    assertFsError(() => l.rename('/nope', '/x'), { code: 'ENOENT', syscall: 'rename', path: '/nope', dest: '/x' });
    assertFsError(() => l.mkdir('rel'), { code: 'EINVAL', syscall: 'mkdir' });
    assertFsError(() => l.mkdir('/a/../b'), { code: 'EINVAL', syscall: 'mkdir' });
  });
});

describe('MemoryLayer: the Layer interface', () => {
  test('handles are inode numbers from one counter and are never reused', () => {
    const l = new MemoryLayer();
    l.writeFile('/a', 'x');
    const a = l.handleAt('/a');
    assert.equal(l.stat(a).ino, a);
    l.unlink('/a');
    l.writeFile('/a', 'x');
    const b = l.handleAt('/a');
    assert.ok(b > a, 'a new object gets a new handle');
    assert.equal(l.alive(a), false);
    assertFsError(() => l.stat(a), 'ESTALE');
  });

  test('lookup answers a handle, ABSENT or WHITEOUT; list includes whiteouts', () => {
    const l = new MemoryLayer();
    l.mkdir('/d');
    l.writeFile('/d/f', 'x');
    l.whiteout('/d/w');
    const d = l.handleAt('/d');
    assert.ok(l.lookup(d, 'f') > 0);
    assert.equal(l.lookup(d, 'w'), WHITEOUT);
    assert.equal(l.lookup(d, 'none'), ABSENT);
    assert.equal(l.lookup(l.handleAt('/d/f'), 'x'), ABSENT, 'a file has no names');
    assert.deepEqual(l.list(d).sort(), ['f', 'w']);
  });

  test('hard links share one handle and count links; directories count 2 + subdirectories', () => {
    const l = new MemoryLayer();
    l.mkdir('/d/s', { recursive: true });
    l.mkdir('/d/t');
    l.writeFile('/d/f', 'x');
    l.link('/d/f', '/g');
    assert.equal(l.handleAt('/g'), l.handleAt('/d/f'));
    assert.equal(l.stat(l.handleAt('/g')).nlink, 2);
    assert.equal(l.stat(l.handleAt('/d')).nlink, 4);
    l.unlink('/d/f');
    assert.equal(l.stat(l.handleAt('/g')).nlink, 1);
    assert.equal(text(l.read(l.handleAt('/g'))), 'x');
    assertFsError(() => l.link('/d', '/d2'), 'EPERM');
  });

  test('stat: modes carry type bits; sizes; symlinks, special files, marks', () => {
    const l = new MemoryLayer({ clock: () => 5 });
    l.writeFile('/f', 'hello', { mode: 0o600 });
    l.symlink('/f', '/l');
    l.mknod('/c', S_IFCHR | 0o620, 0x0501);
    l.mknod('/p', S_IFIFO | 0o644);
    l.mkdir('/o', { opaque: true });
    const f = l.stat(l.handleAt('/f'));
    assert.equal(f.mode, 0o100600);
    assert.equal(f.size, 5);
    assert.deepEqual([f.atimeMs, f.mtimeMs, f.ctimeMs, f.birthtimeMs], [5, 5, 5, 5]);
    assert.equal(l.stat(l.handleAt('/l')).mode, 0o120777);
    assert.equal(l.readlink(l.handleAt('/l')), '/f');
    assert.equal(l.stat(l.handleAt('/c')).rdev, 0x0501);
    assert.equal(l.stat(l.handleAt('/c')).type, 'other');
    assert.equal(l.stat(l.handleAt('/p')).mode & 0o170000, S_IFIFO);
    assert.equal(l.isOpaque(l.handleAt('/o')), true);
    assert.equal(l.isOpaque(l.root()), false);
  });

  test('createNode builds the whole object and replaces a whiteout or empty directory in one step', () => {
    const { l, changes } = watched();
    l.whiteout('/w');
    l.mkdir('/e');
    changes.length = 0;
    const h = l.createNode(l.root(), 'w', {
      type: 'file', mode: 0o640, uid: 7, gid: 8, atimeMs: 1, mtimeMs: 2, data: bytes('data'),
      xattrs: { 'user.k': bytes('v') }, metacopy: false,
    });
    assert.equal(l.lookup(l.root(), 'w'), h);
    const st = l.stat(h);
    assert.deepEqual([st.mode, st.uid, st.gid, st.atimeMs, st.mtimeMs], [0o100640, 7, 8, 1, 2]);
    assert.equal(text(l.xattrs(h)['user.k']), 'v');
    const d = l.createNode(l.root(), 'e', { type: 'dir', mode: 0o700, opaque: true, redirect: '/old' });
    assert.equal(l.isOpaque(d), true);
    assert.equal(l.redirect(d), '/old');
    l.createNode(d, 'child', { type: 'file', mode: 0o644 });
    assertFsError(() => l.createNode(l.root(), 'e', { type: 'dir', mode: 0o755 }), 'ENOTEMPTY');
    assertFsError(() => l.createNode(l.root(), 'w', { type: 'dir', mode: 0o755 }), 'ENOTDIR');
    // Like the path methods: over a whiteout is a create, over an object a replace.
    assert.deepEqual(changes, [
      { dir: '/', name: 'w', kind: 'create' },
      { dir: '/', name: 'e', kind: 'replace' },
      { dir: '/e', name: 'child', kind: 'create' },
    ], 'the overlay\'s writes notify (failed ones do not)');
  });

  test('every write by handle notifies what the matching path method would, naming objects by a live link', () => {
    const { l, changes } = watched();
    l.mkdir('/a/b', { recursive: true });
    l.writeFile('/a/b/f', 'x');
    l.link('/a/b/f', '/a/f2');
    changes.length = 0;
    const b = l.handleAt('/a/b');
    const f = l.handleAt('/a/b/f');
    l.writeData(f, bytes('y'));
    l.setMode(f, 0o600);
    l.setOwner(b, 1, 2);
    l.setTimes(l.root(), 1, 2);
    l.setXattr(f, 'user.k', bytes('v'));
    l.setOpaqueMark(b, true);
    l.setRedirectMark(b, '/z');
    l.putWhiteout(b, 'w');
    l.removeName(b, 'w');
    l.renameName(b, 'f', l.root(), 'g');
    l.linkName(f, b, 'f3');
    // f3 is f's latest link, now removed: f is named by another of its links (found by search).
    l.removeName(b, 'f3');
    l.setMode(f, 0o644);
    assert.deepEqual(changes, [
      { dir: '/a', name: 'f2', kind: 'data' },
      { dir: '/a', name: 'f2', kind: 'meta' },
      { dir: '/a', name: 'b', kind: 'meta' },
      { dir: '/', name: '', kind: 'meta' },
      { dir: '/a', name: 'f2', kind: 'meta' },
      { dir: '/a/b', name: '', kind: 'opaque' },
      { dir: '/a/b', name: '', kind: 'redirect' },
      { dir: '/a/b', name: 'w', kind: 'whiteout' },
      { dir: '/a/b', name: 'w', kind: 'remove' },
      { dir: '/a/b', name: 'f', kind: 'rename' },
      { dir: '/', name: 'g', kind: 'rename' },
      { dir: '/a/b', name: 'f3', kind: 'create' },
      { dir: '/a/b', name: 'f3', kind: 'remove' },
      { dir: '/a', name: 'f2', kind: 'meta' },
    ]);
  });

  test('metacopy files: marked until their data is written', () => {
    const l = new MemoryLayer();
    const h = l.createNode(l.root(), 'm', { type: 'file', mode: 0o644, metacopy: true });
    assert.equal(l.isMetacopy(h), true);
    l.writeData(h, bytes('now'));
    assert.equal(l.isMetacopy(h), false);
    assert.equal(text(l.read(h)), 'now');
  });

  test('renameName follows rename(2): replaces, refuses type clashes, loops, and non-empty targets', () => {
    const l = new MemoryLayer();
    l.mkdir('/a/b', { recursive: true });
    l.mkdir('/full/x', { recursive: true });
    l.mkdir('/empty');
    l.writeFile('/f', '1');
    l.writeFile('/g', '2');
    l.whiteout('/w');
    const root = l.root();
    const a = l.handleAt('/a');
    assertFsError(() => l.renameName(root, 'a', a, 'inner'), 'EINVAL');
    assertFsError(() => l.renameName(l.handleAt('/a'), 'b', root, 'f'), 'ENOTDIR');
    assertFsError(() => l.renameName(root, 'f', root, 'empty'), 'EISDIR');
    assertFsError(() => l.renameName(root, 'a', root, 'full'), 'ENOTEMPTY');
    const g = l.handleAt('/g');
    l.renameName(root, 'f', root, 'g');
    assert.equal(l.alive(g), false, 'the replaced file is gone');
    assert.equal(text(l.read(l.handleAt('/g'))), '1');
    l.renameName(root, 'a', root, 'empty');
    assert.ok(l.handleAt('/empty/b') > 0);
    l.renameName(root, 'g', root, 'w');
    assert.ok(l.handleAt('/w') > 0, 'a whiteout is replaced like anything else');
  });

  test('removeName and putWhiteout refuse a populated directory', () => {
    const l = new MemoryLayer();
    l.mkdir('/d/x', { recursive: true });
    assertFsError(() => l.removeName(l.root(), 'd'), 'ENOTEMPTY');
    assertFsError(() => l.putWhiteout(l.root(), 'd'), 'ENOTEMPTY');
    assertFsError(() => l.removeName(l.root(), 'nope'), 'ENOENT');
    l.removeName(l.handleAt('/d'), 'x');
    l.putWhiteout(l.root(), 'd');
    assert.equal(l.handleAt('/d'), WHITEOUT);
    l.removeName(l.root(), 'd');
    assert.equal(l.handleAt('/d'), ABSENT);
  });

  test('a read-only layer refuses the overlay\'s writes but still changes underneath', () => {
    const l = new MemoryLayer({ readonly: true });
    assert.equal(l.writable, false);
    assertFsError(() => l.createNode(l.root(), 'x', { type: 'file', mode: 0o644 }), 'EROFS');
    assertFsError(() => l.putWhiteout(l.root(), 'x'), 'EROFS');
    l.writeFile('/x', 'direct');
    assert.equal(text(l.read(l.handleAt('/x'))), 'direct');
  });

  test('options: name, ttlMs', () => {
    const l = new MemoryLayer({ name: 'remote', ttlMs: 250 });
    assert.equal(l.name, 'remote');
    assert.equal(l.ttlMs, 250);
    assert.equal(new MemoryLayer().ttlMs, 0);
  });
});

describe('MemoryLayer: clone', () => {
  test('a clone is deep: same handles and contents, independent afterwards, no subscribers', () => {
    const l = new MemoryLayer({ clock: () => 1 });
    l.mkdir('/d/e', { recursive: true });
    l.writeFile('/d/f', 'data');
    l.link('/d/f', '/d/g');
    l.whiteout('/w');
    l.setXattr('/d/f', 'user.k', bytes('v'));
    let notified = 0;
    l.subscribe(() => notified++);
    const before = l.snapshot();
    const c = l.clone();
    assert.equal(c.snapshot(), before);
    assert.equal(c.handleAt('/d/g'), l.handleAt('/d/f'));
    c.writeFile('/d/f', 'changed');
    c.unlink('/d/g');
    c.rmdir('/d/e');
    c.setXattr('/d/f', 'user.k', bytes('other'));
    c.writeFile('/new', 'x');
    assert.equal(l.snapshot(), before, 'the original is untouched');
    assert.equal(notified, 0, 'the original\'s subscribers hear nothing');
  });

  test('handles made after cloning continue from the same counter on both sides', () => {
    const l = new MemoryLayer();
    l.writeFile('/a', 'x');
    const c = l.clone();
    l.writeFile('/b', 'x');
    c.writeFile('/b', 'x');
    assert.equal(l.handleAt('/b'), c.handleAt('/b'));
  });
});

describe('MemoryLayer: stat records kept current', () => {
  // size and nlink are maintained by every change (peekStat hands the node out without
  // recomputing): after each random change they must equal a recount from the tree itself.
  const NAMES = ['a', 'b', 'c'];
  const randomPath = (rng: Rng) => '/' + Array.from({ length: 1 + rng.int(3) }, () => rng.pick(NAMES)).join('/');

  /** Every live handle reachable from the root, with the names (hard links) pointing at it. */
  function recount(l: MemoryLayer): Map<number, { names: number; subdirs: number }> {
    const seen = new Map<number, { names: number; subdirs: number }>();
    const visit = (h: number) => {
      if (!seen.has(h)) seen.set(h, { names: 0, subdirs: 0 });
      if (l.stat(h).type !== 'dir') return;
      for (const name of l.list(h)) {
        const c = l.lookup(h, name);
        if (c <= 0) continue;
        const isDir = l.stat(c).type === 'dir';
        if (isDir) seen.get(h)!.subdirs++;
        if (!seen.has(c)) { seen.set(c, { names: 0, subdirs: 0 }); if (isDir) visit(c); }
        seen.get(c)!.names++;
      }
    };
    visit(l.root());
    return seen;
  }

  function change(l: MemoryLayer, rng: Rng): void {
    const p = randomPath(rng);
    const q = randomPath(rng);
    const dir = (path: string) => { const h = l.handleAt(path.slice(0, path.lastIndexOf('/')) || '/'); return h > 0 ? h : l.root(); };
    const last = (path: string) => path.slice(path.lastIndexOf('/') + 1);
    switch (rng.int(15)) {
      case 0: l.mkdir(p, { recursive: rng.chance(0.5) }); break;
      case 1: l.writeFile(p, 'x'.repeat(rng.int(9)), { replace: rng.chance(0.3) }); break;
      case 2: l.symlink('target-' + 'é'.repeat(rng.int(3)), p); break;
      case 3: l.link(p, q); break;
      case 4: l.mknod(p, S_IFIFO | 0o644); break;
      case 5: l.whiteout(p); break;
      case 6: l.unlink(p); break;
      case 7: l.rmdir(p, { recursive: rng.chance(0.5) }); break;
      case 8: l.rename(p, q); break;
      case 9: l.createNode(dir(p), last(p), rng.chance(0.5) ? { type: 'dir', mode: 0o755 } : { type: 'file', mode: 0o644, data: bytes('yy') }); break;
      case 10: l.removeName(dir(p), last(p)); break;
      case 11: l.putWhiteout(dir(p), last(p)); break;
      case 12: l.renameName(dir(p), last(p), dir(q), last(q)); break;
      case 13: { const h = l.handleAt(p); if (h > 0) l.linkName(h, dir(q), last(q)); break; }
      default: { const h = l.handleAt(p); if (h > 0) l.writeData(h, bytes('z'.repeat(rng.int(5)))); }
    }
  }

  for (const seed of testSeeds([1, 2, 3, 4], 2, 'memory-layer stat records')) {
    test(`seed ${seed}: size and nlink match a recount after 400 random changes`, () => {
      const rng = createRng(seed);
      const l = new MemoryLayer();
      for (let step = 0; step < 400; step++) {
        try { change(l, rng); } catch (err) { if (typeof (err as { code?: unknown }).code !== 'string') throw err; }
        for (const [h, count] of recount(l)) {
          const st = l.stat(h);
          const where = `seed ${seed}, step ${step}, handle ${h}`;
          assert.equal(st.nlink, st.type === 'dir' ? 2 + count.subdirs : count.names, `nlink, ${where}`);
          const size = st.type === 'file' ? l.read(h).length : st.type === 'symlink' ? Buffer.byteLength(l.readlink(h)) : st.type === 'dir' ? 4096 : 0;
          assert.equal(st.size, size, `size, ${where}`);
          const peeked = l.peekStat(h)!;
          for (const k of Object.keys(st) as (keyof typeof st)[]) assert.equal(peeked[k], st[k], `peekStat().${k}, ${where}`);
        }
      }
    });
  }

  test('peekStat is undefined exactly for a dead handle', () => {
    const l = new MemoryLayer();
    l.writeFile('/f', 'x');
    const h = l.handleAt('/f');
    assert.equal(l.peekStat(h)!.size, 1);
    l.unlink('/f');
    assert.equal(l.alive(h), false);
    assert.equal(l.peekStat(h), undefined);
    assert.equal(l.peekStat(0), undefined);
    assert.equal(l.peekStat(-1), undefined);
  });
});
