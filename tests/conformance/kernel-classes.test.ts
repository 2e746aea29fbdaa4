// Conformance where Strata once disagreed with the kernel's overlayfs (issue 13), each class on
// MemoryLayer and on DirLayer (the kernel's on-disk form), against the engine and the model.
// Expectations are the kernel's (Linux 6.18, index=off, xino=off), observed on real mounts:
// 1. copy-up of one name of a lower hard link gives that name the upper's inode number and
//    nlink; the other names keep the lower's (they are another file now);
// 2. rename of one such name onto another renames (copy-up, whiteout at the old name);
// 4. with metacopy off a metacopy file is refused: EPERM (an upper one is left out of listings);
// 5. with metacopy on, a metacopy file with a redirect (the kernel's rename of one) reads its
//    data from the redirect's path below;
// 3. with index on (index=on), the names of a lower hard link stay one file across copy-up.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { DirLayer } from '../../bindings/layers/dir-layer.js';
import type { Layer } from '../../bindings/layers/layer.js';
import { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { IMPLEMENTATIONS, type AnyOverlay, type Implementation } from '../helpers/implementations.js';
import { isRoot, makeWhiteoutDevice, removeTree, scratchDir, setXattrRaw } from '../../bindings/verify/kernel/host-fixtures.js';

/** An upper entry in the kernel's forms: a whiteout, or a metacopy file (optionally redirected). */
type UpperEntry = 'whiteout' | { metacopy: true; mode: number; size: number; redirect?: string };

interface Spec {
  /** Lower files (parents made as needed), path → data. */
  lower: Record<string, string>;
  /** Extra names for lower files: [existing, new]. */
  links?: [string, string][];
  /** Directories the upper holds (before its entries). */
  upperDirs?: string[];
  upper?: Record<string, UpperEntry>;
}

interface LayerKind {
  name: string;
  skip: string | false;
  /** The lower and upper layers holding `spec`. */
  make(spec: Spec): { lower: Layer; upper: Layer };
}

const MEMORY: LayerKind = {
  name: 'MemoryLayer',
  skip: false,
  make(spec) {
    const at = (p: string) => (p === '.' ? '/' : `/${p}`);
    const lower = new MemoryLayer();
    for (const [p, data] of Object.entries(spec.lower)) {
      if (p.includes('/')) lower.mkdir(at(path.posix.dirname(p)), { recursive: true });
      lower.writeFile(at(p), data, { mode: 0o644 });
    }
    for (const [existing, p] of spec.links ?? []) lower.link(at(existing), at(p));
    const upper = new MemoryLayer();
    for (const d of spec.upperDirs ?? []) upper.mkdir(at(d), { recursive: true });
    for (const [p, e] of Object.entries(spec.upper ?? {})) {
      if (e === 'whiteout') { upper.whiteout(at(p)); continue; }
      upper.createNode(upper.handleAt(at(path.posix.dirname(p))), path.posix.basename(p),
        { type: 'file', mode: e.mode, metacopy: true, redirect: e.redirect });
    }
    return { lower, upper };
  },
};

const scratch: string[] = [];
after(() => { for (const d of scratch) removeTree(d); });

const DIR: LayerKind = {
  name: 'DirLayer',
  skip: isRoot() ? false : 'needs root (trusted.* xattrs of the kernel format)',
  make(spec) {
    const base = scratchDir('conformance');
    scratch.push(base);
    const lowerDir = path.join(base, 'lower');
    const upperDir = path.join(base, 'upper');
    for (const [p, data] of Object.entries(spec.lower)) {
      fs.mkdirSync(path.join(lowerDir, path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(lowerDir, p), data, { mode: 0o644 });
    }
    for (const [existing, p] of spec.links ?? []) fs.linkSync(path.join(lowerDir, existing), path.join(lowerDir, p));
    fs.mkdirSync(upperDir);
    for (const d of spec.upperDirs ?? []) fs.mkdirSync(path.join(upperDir, d), { recursive: true });
    for (const [p, e] of Object.entries(spec.upper ?? {})) {
      const at = path.join(upperDir, p);
      if (e === 'whiteout') { makeWhiteoutDevice(at); continue; }
      // As the kernel leaves one: sparse, the data's size, marked (and redirected after a rename).
      fs.writeFileSync(at, '', { mode: e.mode & 0o7777 });
      fs.chmodSync(at, e.mode & 0o7777);
      fs.truncateSync(at, e.size);
      setXattrRaw(at, 'trusted.overlay.metacopy', '');
      if (e.redirect !== undefined) setXattrRaw(at, 'trusted.overlay.redirect', e.redirect);
    }
    return { lower: new DirLayer(lowerDir, { readOnly: true }), upper: new DirLayer(upperDir) };
  },
};

function overlay(impl: Implementation, kind: LayerKind, spec: Spec, options: { metacopy?: boolean; index?: boolean } = {}): AnyOverlay {
  const { lower, upper } = kind.make(spec);
  const metacopy = options.metacopy === true;
  return impl.make({ lowers: [lower], upper, metacopy, redirectDir: metacopy, index: options.index === true });
}

const HARD_LINK: Spec = { lower: { 'd/a': 'lowerdata\n' }, links: [['d/a', 'd/b']] };

for (const kind of [MEMORY, DIR]) {
  for (const impl of IMPLEMENTATIONS) {
    describe(`${kind.name}, ${impl.name}`, { skip: kind.skip }, () => {
      test('class 1: a copied-up name of a lower hard link is a file of its own (inode number, nlink)', () => {
        const ov = overlay(impl, kind, HARD_LINK);
        const lowerIno = ov.stat('/d/a').ino;
        assert.equal(ov.stat('/d/b').ino, lowerIno, 'two names of one lower file');
        assert.equal(ov.stat('/d/a').nlink, 2);
        ov.appendFile('/d/a', 'more\n');
        ov.chmod('/d/a', 0o600);
        const a = ov.stat('/d/a');
        const b = ov.stat('/d/b');
        assert.notEqual(a.ino, b.ino, 'different data and mode: not one inode');
        assert.equal(b.ino, lowerIno, 'the other name keeps the lower number');
        assert.deepEqual([a.nlink, b.nlink], [1, 2]);
        assert.deepEqual([a.mode & 0o777, b.mode & 0o777], [0o600, 0o644]);
        assert.equal(ov.readFile('/d/b', 'utf8'), 'lowerdata\n');
        assert.equal(ov.stat('/d/a').ino, a.ino, 'and the new number is stable');
      });

      test('class 1: a metadata-only copy-up (metacopy) splits the names too', () => {
        const ov = overlay(impl, kind, HARD_LINK, { metacopy: true });
        ov.chmod('/d/a', 0o600);
        const a = ov.stat('/d/a');
        const b = ov.stat('/d/b');
        assert.notEqual(a.ino, b.ino);
        assert.deepEqual([a.nlink, b.nlink, a.size], [1, 2, 10]);
        assert.equal(ov.readFile('/d/a', 'utf8'), 'lowerdata\n');
      });

      test('class 1: link of one name copies it up; the new link shares its new number', () => {
        const ov = overlay(impl, kind, HARD_LINK);
        const lowerIno = ov.stat('/d/a').ino;
        ov.link('/d/b', '/d/c');
        const [a, b, c] = ['/d/a', '/d/b', '/d/c'].map((p) => ov.stat(p));
        assert.equal(b.ino, c.ino);
        assert.notEqual(b.ino, a.ino);
        assert.equal(a.ino, lowerIno);
        assert.deepEqual([a.nlink, b.nlink, c.nlink], [2, 2, 2]);
        ov.appendFile('/d/c', 'y\n');
        assert.equal(ov.readFile('/d/b', 'utf8'), 'lowerdata\ny\n');
        assert.equal(ov.readFile('/d/a', 'utf8'), 'lowerdata\n');
      });

      test('class 2: rename of one name of a lower hard link onto the other renames', () => {
        const ov = overlay(impl, kind, HARD_LINK);
        const lowerIno = ov.stat('/d/a').ino;
        ov.rename('/d/b', '/d/a');
        assert.deepEqual(ov.readdir('/d'), ['a']);
        assert.throws(() => ov.stat('/d/b'), { code: 'ENOENT' });
        const a = ov.stat('/d/a');
        assert.notEqual(a.ino, lowerIno, 'the copied-up source, a file of its own');
        assert.equal(a.nlink, 1);
        assert.equal(ov.readFile('/d/a', 'utf8'), 'lowerdata\n');
      });

      test('class 2: rename between two names of one upper file does nothing (rename(2))', () => {
        const ov = overlay(impl, kind, HARD_LINK);
        ov.link('/d/a', '/d/c');
        ov.rename('/d/a', '/d/c');
        assert.deepEqual(ov.readdir('/d'), ['a', 'b', 'c']);
        assert.equal(ov.stat('/d/a').ino, ov.stat('/d/c').ino);
      });

      test('class 3: index on keeps the names of a lower hard link one file across copy-up', () => {
        const ov = overlay(impl, kind, HARD_LINK, { index: true });
        const lowerIno = ov.stat('/d/a').ino;
        ov.appendFile('/d/a', 'more\n');
        ov.chmod('/d/a', 0o600);
        for (const p of ['/d/a', '/d/b']) {
          const st = ov.stat(p);
          assert.deepEqual([st.ino, st.nlink, st.mode & 0o777, st.size], [lowerIno, 2, 0o600, 15], p);
          assert.equal(ov.readFile(p, 'utf8'), 'lowerdata\nmore\n', p);
        }
        ov.link('/d/b', '/d/c');
        assert.deepEqual(['/d/a', '/d/b', '/d/c'].map((p) => ov.stat(p).nlink), [3, 3, 3]);
        ov.appendFile('/d/c', 'c\n');
        assert.equal(ov.readFile('/d/b', 'utf8'), 'lowerdata\nmore\nc\n');
        ov.rename('/d/b', '/d/a');
        assert.deepEqual(ov.readdir('/d'), ['a', 'b', 'c'], 'rename between names of one file does nothing');
        ov.unlink('/d/a');
        ov.unlink('/d/c');
        const b = ov.stat('/d/b');
        assert.deepEqual([b.ino, b.nlink, b.mode & 0o777], [lowerIno, 1, 0o600], 'the last name still reads the joined file');
        assert.equal(ov.readFile('/d/b', 'utf8'), 'lowerdata\nmore\nc\n');
        ov.appendFile('/d/b', 'b\n');
        assert.equal(ov.readFile('/d/b', 'utf8'), 'lowerdata\nmore\nc\nb\n');
        assert.equal(ov.stat('/d/b').ino, lowerIno);
      });

      test('class 3: index on with metacopy: a metadata change to one name shows on the other', () => {
        const ov = overlay(impl, kind, HARD_LINK, { index: true, metacopy: true });
        ov.chmod('/d/a', 0o600);
        assert.deepEqual(['/d/a', '/d/b'].map((p) => ov.stat(p).mode & 0o777), [0o600, 0o600]);
        assert.equal(ov.stat('/d/a').ino, ov.stat('/d/b').ino);
        ov.appendFile('/d/b', 'z\n');
        assert.equal(ov.readFile('/d/a', 'utf8'), 'lowerdata\nz\n');
        assert.deepEqual(['/d/a', '/d/b'].map((p) => ov.stat(p).nlink), [2, 2]);
      });

      const METACOPY_UPPER: Spec = {
        lower: { 'a': 'lowerdata\n', 'd/f': 'ddata\n' },
        upper: { 'a': { metacopy: true, mode: 0o100600, size: 10 } },
      };

      test('class 4: metacopy off refuses a metacopy file (EPERM); readdir still lists it', () => {
        const ov = overlay(impl, kind, METACOPY_UPPER);
        for (const op of [() => ov.stat('/a'), () => ov.readFile('/a'), () => ov.appendFile('/a', 'x'), () => ov.unlink('/a')]) {
          assert.throws(op, { code: 'EPERM' });
        }
        assert.deepEqual(ov.readdir('/'), ['a', 'd']);
        assert.equal(ov.exists('/a'), false);
      });

      test('class 4: metacopy on follows the same file to its data', () => {
        const ov = overlay(impl, kind, METACOPY_UPPER, { metacopy: true });
        const st = ov.stat('/a');
        assert.deepEqual([st.mode & 0o777, st.size], [0o600, 10]);
        assert.equal(ov.readFile('/a', 'utf8'), 'lowerdata\n');
        assert.deepEqual(ov.readdir('/'), ['a', 'd']);
      });

      const REDIRECTED: Spec = {
        lower: { 'd/f': 'ddata\n', 'd/g': 'other\n' },
        upperDirs: ['d'],
        upper: {
          'd/f': 'whiteout',
          'e': { metacopy: true, mode: 0o100600, size: 6, redirect: '/d/f' },
        },
      };

      test('class 5: a metacopy file with a redirect reads, stats and appends from the redirect', () => {
        const ov = overlay(impl, kind, REDIRECTED, { metacopy: true });
        const st = ov.stat('/e');
        assert.deepEqual([st.mode & 0o777, st.size], [0o600, 6]);
        assert.equal(ov.readFile('/e', 'utf8'), 'ddata\n');
        assert.deepEqual(ov.readdir('/d'), ['g']);
        ov.appendFile('/e', 'more\n');
        assert.equal(ov.readFile('/e', 'utf8'), 'ddata\nmore\n');
        assert.equal(ov.stat('/e').size, 11);
      });

      test('class 5: with metacopy off the same file is refused, not read', () => {
        const ov = overlay(impl, kind, REDIRECTED);
        assert.throws(() => ov.readFile('/e'), { code: 'EPERM' });
      });
    });
  }
}

describe('DirLayer: the kernel\'s relative redirect on a metacopy file', { skip: DIR.skip }, () => {
  test('class 5: "g" on d/g (renamed within d) reads d/f below', () => {
    for (const impl of IMPLEMENTATIONS) {
      const ov = overlay(impl, DIR, {
        lower: { 'd/f': 'ddata\n' },
        upperDirs: ['d'],
        upper: { 'd/f': 'whiteout', 'd/g': { metacopy: true, mode: 0o100600, size: 6, redirect: 'f' } },
      }, { metacopy: true });
      assert.equal(ov.readFile('/d/g', 'utf8'), 'ddata\n', impl.name);
      assert.deepEqual(ov.readdir('/d'), ['g'], impl.name);
    }
  });
});
