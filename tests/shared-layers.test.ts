// Overlays sharing a layer see each other's writes: a write an Overlay makes through the Layer
// interface notifies the layer's subscribers like the layer's own path methods do, so a second
// overlay (one with the first one's upper as a lower, or sharing the same upper) drops its stale
// entries — quietly under relaxed, with one ESTALE under strict. The writing overlay skips its
// own notifications: its counters show no change and no re-lookup for what it wrote itself.
// Run for MemoryLayer and DirLayer (one instance shared, as the overlays share it), both caches.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import type { Layer } from '../bindings/layers/layer.js';
import { isRoot, removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

/** A lower L holding /f, /h, /d/g, /e/k and an empty writable U; done() releases them. */
interface Pair { L: Layer; U: Layer; done(): void }

const KINDS: { name: string; skip: string | false; make(): Pair }[] = [
  {
    name: 'MemoryLayer',
    skip: false,
    make() {
      const L = new MemoryLayer({ name: 'L' });
      L.writeFile('/f', 'lower');
      L.writeFile('/h', 'h');
      L.mkdir('/d');
      L.writeFile('/d/g', 'g');
      L.mkdir('/e');
      L.writeFile('/e/k', 'k');
      return { L, U: new MemoryLayer({ name: 'U' }), done() {} };
    },
  },
  {
    name: 'DirLayer',
    skip: isRoot() ? false : 'needs root (trusted xattrs)',
    make() {
      const base = scratchDir('shared-layers');
      const lowerDir = path.join(base, 'lower');
      const upperDir = path.join(base, 'upper');
      fs.mkdirSync(lowerDir);
      fs.mkdirSync(upperDir);
      writeTree(lowerDir, { f: 'lower', h: 'h', 'd/g': 'g', 'e/k': 'k' });
      const L = new DirLayer(lowerDir, { readOnly: true });
      const U = new DirLayer(upperDir);
      return { L, U, done() { L.close(); U.close(); removeTree(base); } };
    },
  },
];

for (const kind of KINDS) {
  for (const impl of CACHE_IMPLS) {
    describe(`shared layers: ${kind.name}, cache ${impl}`, { skip: kind.skip }, () => run(kind.make, impl));
  }
}

function run(make: () => Pair, impl: CacheImpl): void {
  const cache = { impl };
  const withPair = (fn: (p: Pair) => void) => () => {
    const p = make();
    try { fn(p); } finally { p.done(); }
  };

  it('the replay: B (A\'s upper as its top lower) sees A\'s new file and its copied-up file', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache });
    const B = new Overlay({ lowers: [U, L], cache, policy: 'relaxed' });
    assert.equal(B.exists('/x'), false);
    assert.equal(B.readFile('/f', 'utf8'), 'lower');
    A.writeFile('/x', 'n');
    A.writeFile('/f', 'c');
    assert.equal(B.exists('/x'), true);
    assert.equal(B.readFile('/x', 'utf8'), 'n');
    assert.equal(B.readFile('/f', 'utf8'), 'c');
    assert.equal(B.resolve('/f').layer, 0, 'answered by U now');
    assert.deepEqual(B.readdir('/').sort(), ['d', 'e', 'f', 'h', 'x']);
  }));

  it('unlink, rename, mkdir, rmdir, chmod (copy-up), symlink and link through A are seen by B', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache });
    const B = new Overlay({ lowers: [U, L], cache, policy: 'relaxed' });
    // Cache everything B will be asked about again, positive and negative.
    assert.equal(B.readFile('/h', 'utf8'), 'h');
    assert.equal(B.readFile('/d/g', 'utf8'), 'g');
    assert.equal(B.exists('/d/g2'), false);
    assert.equal(B.exists('/m'), false);
    assert.equal(B.stat('/e').isDirectory(), true);
    assert.equal(B.stat('/f').mode & 0o777, 0o644);
    assert.equal(B.resolve('/f').layer, 1);
    assert.equal(B.exists('/s'), false);
    assert.equal(B.exists('/l'), false);
    assert.deepEqual(B.readdir('/d'), ['g']);

    A.unlink('/h');
    assert.equal(B.exists('/h'), false, 'a whiteout in U hides L\'s /h from B');
    A.rename('/d/g', '/d/g2');
    assert.equal(B.exists('/d/g'), false);
    assert.equal(B.readFile('/d/g2', 'utf8'), 'g');
    assert.deepEqual(B.readdir('/d'), ['g2']);
    A.mkdir('/m');
    assert.equal(B.stat('/m').isDirectory(), true);
    A.rm('/e', { recursive: true });
    assert.equal(B.exists('/e'), false);
    assert.equal(B.exists('/e/k'), false);
    A.chmod('/f', 0o600);
    assert.equal(B.stat('/f').mode & 0o777, 0o600);
    assert.equal(B.resolve('/f').layer, 0, 'chmod copied /f up into U');
    A.symlink('/f', '/s');
    assert.equal(B.readlink('/s'), '/f');
    A.link('/d/g2', '/l');
    assert.equal(B.readFile('/l', 'utf8'), 'g');
    assert.deepEqual(B.readdir('/').sort(), ['d', 'f', 'l', 'm', 's']);
  }));

  it('two overlays sharing one upper see each other\'s writes, both ways', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache });
    const C = new Overlay({ lowers: [L], upper: U, cache, policy: 'relaxed' });
    assert.equal(C.exists('/x'), false);
    assert.equal(C.readFile('/f', 'utf8'), 'lower');
    assert.equal(A.exists('/y'), false);
    assert.equal(A.readFile('/h', 'utf8'), 'h');
    A.writeFile('/x', 'from A');
    A.writeFile('/f', 'A copied up');
    C.writeFile('/y', 'from C');
    C.unlink('/h');
    assert.equal(C.readFile('/x', 'utf8'), 'from A');
    assert.equal(C.readFile('/f', 'utf8'), 'A copied up');
    assert.equal(A.readFile('/y', 'utf8'), 'from C');
    assert.equal(A.exists('/h'), false);
    // C writes over the file A copied up: A reads C's data.
    C.writeFile('/f', 'C wrote');
    assert.equal(A.readFile('/f', 'utf8'), 'C wrote');
    assert.deepEqual(A.readdir('/').sort(), C.readdir('/').sort());
  }));

  it('strict: B\'s next operation on a name A changed fails once with ESTALE, then sees the new state', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache });
    const B = new Overlay({ lowers: [U, L], cache, policy: 'strict' });
    assert.equal(B.readFile('/f', 'utf8'), 'lower');
    assert.equal(B.exists('/x'), false);
    A.writeFile('/f', 'c');
    A.writeFile('/x', 'n');
    assert.throws(() => B.readFile('/f', 'utf8'), { code: 'ESTALE' });
    assert.equal(B.readFile('/f', 'utf8'), 'c');
    // A negative entry relied on no object: it is dropped quietly, no ESTALE.
    assert.equal(B.readFile('/x', 'utf8'), 'n');
    assert.equal(B.stats().estale, 1);
  }));

  it('relaxed: B silently answers the new state (the change is counted, no ESTALE)', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache });
    const B = new Overlay({ lowers: [U, L], cache, policy: 'relaxed' });
    assert.equal(B.readFile('/f', 'utf8'), 'lower');
    assert.equal(B.stats().changed, 0);
    A.writeFile('/f', 'c');
    assert.equal(B.readFile('/f', 'utf8'), 'c');
    assert.equal(B.stats().estale, 0);
    assert.ok(B.stats().changed > 0, `changed ${B.stats().changed}`);
  }));

  it('the writer\'s counters show no change and no re-lookup from its own writes (strict, another overlay listening)', withPair(({ L, U }) => {
    const A = new Overlay({ lowers: [L], upper: U, cache, policy: 'strict' });
    const B = new Overlay({ lowers: [U, L], cache, policy: 'strict' });
    assert.equal(B.readFile('/f', 'utf8'), 'lower');
    A.writeFile('/x', 'n');
    A.writeFile('/f', 'c');
    A.appendFile('/f', '+');
    A.mkdir('/m/n/o', { recursive: true });
    A.chmod('/d/g', 0o600);
    A.utimes('/h', 1000, 2000);
    A.rename('/d/g', '/m/g');
    A.unlink('/h');
    A.symlink('/x', '/s');
    A.link('/x', '/x2');
    A.rm('/e', { recursive: true });
    A.truncate('/x', 0);
    const a = A.stats();
    assert.equal(a.changed, 0, 'changed');
    assert.equal(a.relookups, 0, 'relookups');
    assert.equal(a.estale, 0, 'estale');
    // And A answers from what it wrote, under strict, without an ESTALE.
    assert.equal(A.readFile('/f', 'utf8'), 'c+');
    assert.equal(A.readFile('/m/g', 'utf8'), 'g');
    assert.deepEqual(A.readdir('/').sort(), ['d', 'f', 'm', 's', 'x', 'x2']);
    assert.equal(A.stats().estale, 0);
    // B, listening all along, was told: one ESTALE for the entry it held, then the same view.
    assert.throws(() => B.readFile('/f', 'utf8'), { code: 'ESTALE' });
    assert.equal(B.readFile('/f', 'utf8'), 'c+');
    assert.deepEqual(B.readdir('/').sort(), ['d', 'f', 'm', 's', 'x', 'x2']);
  }));
}
