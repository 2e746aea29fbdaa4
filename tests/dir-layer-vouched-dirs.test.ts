// A DirLayer reading the watch queue at each operation's start uses a held directory without its
// two checks (the plain path still leads to it; climbing `..` reaches the root) while the watch
// vouches for it. These tests move a held directory's ancestor out of the root and plant, in the
// moved directory, a name the layer must never find — through the overlay right after the move,
// and through a direct layer call made outside any operation (no recent queue read).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { ABSENT } from '../bindings/layers/layer.js';
import { native } from '../bindings/layers/host/native.js';
import { removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

function stack(trustWatch = false) {
  const base = scratchDir('dl-vouched-dirs');
  const root = path.join(base, 'layer');
  const outside = path.join(base, 'outside');
  writeTree(root, { 'a/b/c/f': 'inside' });
  fs.mkdirSync(outside);
  const layer = new DirLayer(root, { readOnly: true, trustWatch });
  const ov = new Overlay({ lowers: [layer] });
  /** Warm the held directories of a/b/c until the layer uses them vouched for (default mode). */
  const warm = () => {
    for (let i = 0; i < 4; i++) {
      ov.invalidate('/');
      assert.equal(ov.readFile('/a/b/c/f', 'utf8'), 'inside');
    }
  };
  /** Move `a` out of the root and plant `a/b/c/planted` there: the layer must not find it. */
  const moveOut = () => {
    fs.renameSync(path.join(root, 'a'), path.join(outside, 'a'));
    fs.writeFileSync(path.join(outside, 'a/b/c/planted'), 'outside');
  };
  return { layer, ov, warm, moveOut, done() { ov.close(); layer.close(); removeTree(base); } };
}

describe('DirLayer held directories vouched for by the watch queue', { skip: native() === null ? 'the native helper is not built' : false }, () => {
  it('by default they are used without their checks once watched, and only then', () => {
    const s = stack();
    try {
      s.warm();
      const before = s.layer.vouchedDirectoryUses;
      s.ov.invalidate('/');
      s.ov.readFile('/a/b/c/f');
      assert.ok(s.layer.vouchedDirectoryUses > before, 'a cold lookup used vouched held directories');
    } finally {
      s.done();
    }
    const t = stack(true);
    try {
      t.warm();
      assert.equal(t.layer.vouchedDirectoryUses, 0, 'trustWatch (events come late) checks every held directory');
    } finally {
      t.done();
    }
  });

  it('an ancestor moved out of the root is seen by the next operation: nothing below it is found', () => {
    const s = stack();
    try {
      s.warm();
      s.moveOut();
      s.ov.invalidate('/');
      assert.equal(s.ov.stat('/a/b/c/planted', { throwIfNoEntry: false }), undefined);
      assert.equal(s.ov.exists('/a'), false);
    } finally {
      s.done();
    }
  });

  it('a held directory replaced at its path (renamed away, a new one made) is not used for the new one', () => {
    const s = stack();
    try {
      s.warm();
      const at = (p: string) => path.join(s.layer.hostRoot, p);
      fs.renameSync(at('a/b'), at('a/b-old'));
      fs.mkdirSync(at('a/b/c'), { recursive: true });
      fs.writeFileSync(at('a/b/c/f'), 'new one');
      assert.equal(s.ov.readFile('/a/b/c/f', 'utf8'), 'new one');
      assert.equal(s.ov.readFile('/a/b-old/c/f', 'utf8'), 'inside');
    } finally {
      s.done();
    }
  });

  it('a layer called outside an operation (no recent queue read) checks its held directories', async () => {
    const s = stack();
    try {
      s.warm();
      const l = s.layer;
      const c = l.lookup(l.lookup(l.lookup(l.root(), 'a'), 'b'), 'c');
      assert.ok(c > 0);
      // Past the short while after an operation's queue read in which held directories are
      // trusted (1 ms); the move then comes before the event loop delivers anything.
      await new Promise((r) => setTimeout(r, 20));
      s.moveOut();
      let found: number;
      try {
        found = l.lookup(c, 'planted');
      } catch {
        found = ABSENT; // the directory is gone from the layer: refused
      }
      assert.equal(found, ABSENT, 'the layer found a name in a directory moved out of its root');
    } finally {
      s.done();
    }
  });
});
