// Content writes (issue 12 item 5, issue 11 §3): append and truncate edit an upper file in place,
// a replacement is crash-safe (DirLayer: built beside the file, renamed over it) and keeps the
// overlay inode number, positional writes touch only their bytes, and an open file keeps its
// object across rename and unlink — on MemoryLayer and DirLayer uppers alike.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import type { Layer, LayerChange } from '../bindings/layers/layer.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

interface Stack { ov: Overlay; upper: Layer; lower: MemoryLayer; hostIno?: (p: string) => number; done(): void }

function memoryStack(metacopy = false): Stack {
  const lower = new MemoryLayer({ name: 'lower' });
  lower.mkdir('/d');
  lower.writeFile('/d/low', 'lower data');
  const upper = new MemoryLayer({ name: 'upper' });
  const ov = new Overlay({ lowers: [lower], upper, metacopy });
  return { ov, upper, lower, done() { ov.close(); } };
}

function dirStack(metacopy = false): Stack {
  const base = scratchDir('content');
  fs.mkdirSync(path.join(base, 'upper'));
  const lower = new MemoryLayer({ name: 'lower' });
  lower.mkdir('/d');
  lower.writeFile('/d/low', 'lower data');
  const upper = new DirLayer(path.join(base, 'upper'));
  const ov = new Overlay({ lowers: [lower], upper, metacopy });
  return {
    ov, upper, lower,
    hostIno: (p) => fs.lstatSync(path.join(base, 'upper', p)).ino,
    done() { ov.close(); upper.close(); removeTree(base); },
  };
}

const STACKS: [string, (metacopy?: boolean) => Stack, boolean][] = [
  ['MemoryLayer upper', memoryStack, false],
  ['DirLayer upper', dirStack, !isRoot()],
];

for (const [name, make, skip] of STACKS) {
  describe(`content writes, ${name}`, { skip: skip ? 'needs root (the kernel format)' : false }, () => {
    it('appendFile and truncate edit an upper file in place (same object), with the bytes node:fs gives', () => {
      const s = make();
      try {
        s.ov.mkdir('/u');
        s.ov.writeFile('/u/f', 'hello');
        const ino = s.ov.stat('/u/f').ino;
        const host = s.hostIno?.('u/f');
        s.ov.appendFile('/u/f', ' world');
        assert.equal(s.ov.readFile('/u/f', 'utf8'), 'hello world');
        s.ov.truncate('/u/f', 4);
        assert.equal(s.ov.readFile('/u/f', 'utf8'), 'hell');
        s.ov.truncate('/u/f', 6);
        assert.deepEqual([...(s.ov.readFile('/u/f') as Buffer)], [...Buffer.from('hell'), 0, 0]);
        s.ov.appendFile('/u/f', '!');
        assert.equal(s.ov.stat('/u/f').size, 7);
        assert.equal(s.ov.stat('/u/f').ino, ino);
        if (host !== undefined) assert.equal(s.hostIno!('u/f'), host, 'the host file was edited, not replaced');
      } finally { s.done(); }
    });

    it('writeFile over an upper file replaces it whole, keeping the overlay inode number', () => {
      const s = make();
      try {
        s.ov.writeFile('/f', 'first version');
        const ino = s.ov.stat('/f').ino;
        s.ov.writeFile('/f', 'v2');
        assert.equal(s.ov.readFile('/f', 'utf8'), 'v2');
        assert.equal(s.ov.stat('/f').ino, ino);
        s.ov.invalidate();
        assert.equal(s.ov.stat('/f').ino, ino, 'after the cache forgot the entry too');
        // A hard-linked file keeps sharing its data (rewritten in place, not renamed over).
        s.ov.link('/f', '/g');
        s.ov.writeFile('/f', 'shared');
        assert.equal(s.ov.readFile('/g', 'utf8'), 'shared');
      } finally { s.done(); }
    });

    it('append and truncate of a lower file copy it up with the change; metacopy gets its data first', () => {
      for (const metacopy of [false, true]) {
        const s = make(metacopy);
        try {
          s.ov.chmod('/d/low', 0o600); // a metadata-only copy-up when metacopy is on
          s.ov.appendFile('/d/low', '+1');
          assert.equal(s.ov.readFile('/d/low', 'utf8'), 'lower data+1');
          s.ov.truncate('/d/low', 5);
          assert.equal(s.ov.readFile('/d/low', 'utf8'), 'lower');
          assert.equal(s.ov.stat('/d/low').mode & 0o777, 0o600);
          assert.equal(s.ov.resolve('/d/low').layer, 'upper');
          assert.equal(new TextDecoder().decode(s.lower.read(s.lower.handleAt('/d/low'))), 'lower data', 'the lower is untouched');
        } finally { s.done(); }
      }
    });

    it('an open file writes at positions in place and keeps its object across rename and unlink', () => {
      const s = make();
      try {
        s.ov.writeFile('/f', 'abcdef');
        const file = s.ov.openFile('/f', true);
        file.write(new TextEncoder().encode('XY'), 2);
        file.write(new TextEncoder().encode('Z'), 8);
        assert.deepEqual([...(s.ov.readFile('/f') as Buffer)], [...Buffer.from('abXYef'), 0, 0, ...Buffer.from('Z')]);
        s.ov.rename('/f', '/g');
        file.append(new TextEncoder().encode('!'));
        assert.equal(s.ov.stat('/g').size, 10);
        s.ov.unlink('/g');
        file.truncate(3);
        const buf = new Uint8Array(8);
        assert.equal(file.read(buf, 0), 3);
        assert.equal(new TextDecoder().decode(buf.subarray(0, 3)), 'abX');
        assert.equal(file.stat().size, 3);
        assert.equal(file.stat().nlink, 0, 'unlinked, as fstat reports it');
        assert.equal(s.ov.exists('/g'), false);
        file.close();
        assert.throws(() => file.read(buf, 0), { code: 'EBADF' });
      } finally { s.done(); }
    });

    it('opening a lower file for writing copies it up whole; a reader of the lower follows the copy', () => {
      const s = make(true);
      try {
        s.ov.chmod('/d/low', 0o640); // metacopy: attributes in the upper, data below
        const reader = s.ov.openFile('/d/low');
        assert.equal(reader.stat().mode & 0o777, 0o640, 'fstat of a metacopy file: its own attributes');
        assert.equal(reader.stat().size, 10);
        const writer = s.ov.openFile('/d/low', true);
        assert.equal(s.ov.resolve('/d/low').layer, 'upper');
        writer.write(new TextEncoder().encode('L'), 0);
        assert.equal(s.ov.readFile('/d/low', 'utf8'), 'Lower data');
        const buf = new Uint8Array(10);
        reader.read(buf, 0);
        assert.equal(new TextDecoder().decode(buf), 'Lower data', 'a reader opened before the copy-up reads the copy (as the kernel since 4.19)');
        // A replacement (crash-safe: a new host object under the same handle) is seen by open readers too.
        s.ov.writeFile('/d/low', 'new whole');
        reader.read(buf, 0);
        assert.equal(new TextDecoder().decode(buf.subarray(0, 9)), 'new whole');
        assert.throws(() => s.ov.openFile('/d', true), { code: 'EISDIR' });
        reader.close();
        writer.close();
      } finally { s.done(); }
    });

    it('an in-place edit by handle clears a metacopy mark (the layer contract)', () => {
      const s = make();
      try {
        const root = s.upper.root();
        for (const [name, edit] of [
          ['a', (h: number) => s.upper.append(h, new Uint8Array([1]))],
          ['t', (h: number) => s.upper.truncate(h, 0)],
          ['w', (h: number) => s.upper.writeAt(h, new Uint8Array([1]), 3)],
        ] as const) {
          const h = s.upper.createNode(root, name, { type: 'file', mode: 0o644, metacopy: true });
          assert.equal(s.upper.isMetacopy(h), true);
          edit(h);
          assert.equal(s.upper.isMetacopy(h), false, name);
        }
      } finally { s.done(); }
    });

    it('every in-place write is reported to other overlays on the upper as a data change', () => {
      const s = make();
      try {
        s.ov.writeFile('/f', 'x');
        const seen: LayerChange[] = [];
        const off = s.upper.subscribe((c) => seen.push(c));
        s.ov.appendFile('/f', 'y');
        s.ov.truncate('/f', 1);
        const file = s.ov.openFile('/f', true);
        file.write(new Uint8Array([1]), 0);
        file.close();
        off();
        assert.deepEqual(seen.map((c) => `${c.dir}|${c.name}|${c.kind}`), ['/|f|data', '/|f|data', '/|f|data']);
      } finally { s.done(); }
    });
  });
}

describe('content writes: refusals and containment', () => {
  it('a read-only layer refuses every content write with EROFS, and opens for reading only', () => {
    const layer = new MemoryLayer({ name: 'ro', readonly: true });
    layer.writeFile('/f', 'data');
    const h = layer.handleAt('/f');
    const bytes = new Uint8Array([1]);
    for (const write of [() => layer.append(h, bytes), () => layer.truncate(h, 0), () => layer.writeAt(h, bytes, 0), () => layer.open(h, true)]) {
      assert.throws(write, { code: 'EROFS' });
    }
    const file = layer.open(h, false);
    assert.throws(() => file.write(bytes, 0), { code: 'EBADF' });
    const buf = new Uint8Array(4);
    assert.equal(file.read(buf, 0), 4);
    assert.equal(new TextDecoder().decode(layer.read(h)), 'data');
  });

  it('DirLayer: an upper file swapped for a symlink on the host is never written through', { skip: isRoot() ? false : 'needs root (the kernel format)' }, () => {
    const s = dirStack();
    const base = scratchDir('content-outside');
    try {
      const canary = path.join(base, 'canary');
      fs.writeFileSync(canary, 'untouched');
      s.ov.writeFile('/f', 'inside');
      const upper = s.upper as DirLayer;
      const h = upper.lookup(upper.root(), 'f');
      const layerPath = upper.hostRoot + '/f';
      fs.rmSync(layerPath);
      fs.symlinkSync(canary, layerPath);
      // By handle: the object is gone from its name (a symlink is there now): stale, not followed.
      const bytes = new Uint8Array([33]);
      for (const write of [() => upper.append(h, bytes), () => upper.truncate(h, 0), () => upper.writeAt(h, bytes, 0), () => upper.writeData(h, bytes), () => upper.open(h, true)]) {
        assert.throws(write, { code: 'ESTALE' });
      }
      // The overlay sees a symlink now (relaxed: looked up again) and resolves it inside the overlay.
      try { s.ov.appendFile('/f', ' appended'); } catch { /* an error is fine; writing outside is not */ }
      try { s.ov.truncate('/f', 0); } catch { /* idem */ }
      try { s.ov.writeFile('/f', 'replaced'); } catch { /* idem */ }
      assert.equal(fs.readFileSync(canary, 'utf8'), 'untouched');
      assert.equal(fs.lstatSync(layerPath).isSymbolicLink(), true, 'the planted link itself is left alone');
    } finally {
      s.done();
      removeTree(base);
    }
  });
});
