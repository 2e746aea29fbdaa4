// index=on over DirLayers is the kernel's on-disk index (bindings/layers/host/index-dir.ts): the
// joined hard links survive the overlay — a new Overlay over the same directories shows the same
// view — and what a killed writer leaves half done is read alike by Strata and the kernel.
// (The kernel's side: tests/kernel/index-cross-mount.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DirLayer } from '../../bindings/layers/dir-layer.js';
import { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { Overlay } from '../../bindings/overlay.js';
import { isRoot, removeTree, scratchDir, setXattrRaw } from '../../bindings/verify/kernel/host-fixtures.js';
import { encodeNlink, filesystemUuid, indexName, originOfFd } from '../../bindings/layers/host/index-format.js';

/** The index entry name of the host file at `p` (what the kernel and Strata name it). */
function entryNameOf(p: string): string {
  const fd = fs.openSync(p, 'r');
  try {
    return indexName(originOfFd(fd, filesystemUuid(path.dirname(p)), p));
  } finally {
    fs.closeSync(fd);
  }
}

const skip = isRoot() ? false : 'the kernel index format uses trusted.* xattrs (run as root)';

interface Stack { base: string; open(modes?: { metacopy?: boolean }): { ov: Overlay; close(): void } }

/** Lower: a (= b = c, three links) and s (= s2); the upper and work dir empty. */
function stack(): Stack {
  const base = scratchDir('index-disk');
  for (const d of ['l', 'u']) fs.mkdirSync(path.join(base, d));
  fs.writeFileSync(path.join(base, 'l/a'), 'hello\n');
  fs.linkSync(path.join(base, 'l/a'), path.join(base, 'l/b'));
  fs.linkSync(path.join(base, 'l/a'), path.join(base, 'l/c'));
  fs.writeFileSync(path.join(base, 'l/s'), 'solo\n');
  fs.linkSync(path.join(base, 'l/s'), path.join(base, 'l/s2'));
  return {
    base,
    open(modes = {}) {
      const lower = new DirLayer(path.join(base, 'l'));
      const upper = new DirLayer(path.join(base, 'u'), { workdir: path.join(base, 'w') });
      const metacopy = modes.metacopy === true;
      const ov = new Overlay({ lowers: [lower], upper, index: true, metacopy, redirectDir: metacopy });
      return { ov, close: () => { ov.close(); upper.close(); lower.close(); } };
    },
  };
}

/** name → data, nlink and which names share an inode number (the first name of its class). */
function view(ov: Overlay, names: string[]): Record<string, string> {
  const first = new Map<number, string>();
  const out: Record<string, string> = {};
  for (const n of names) {
    const st = ov.stat(`/${n}`, { throwIfNoEntry: false });
    if (st === undefined) { out[n] = 'ENOENT'; continue; }
    if (!first.has(st.ino)) first.set(st.ino, n);
    out[n] = `${JSON.stringify(ov.readFile(`/${n}`, 'utf8'))} nlink ${st.nlink} same-as ${first.get(st.ino)}`;
  }
  return out;
}

const NAMES = ['a', 'b', 'c', 'e', 'f', 's', 's2'];

describe('index on over DirLayers: the joined hard links are on disk', { skip }, () => {
  test('a reopened overlay shows the view the closed one showed, step by step', () => {
    const s = stack();
    try {
      const steps: ((ov: Overlay) => void)[] = [
        (ov) => ov.appendFile('/a', 'more\n'), // copy-up of one name: all three read it
        (ov) => ov.unlink('/a'), // its last upper name goes; b and c still read it (from the index)
        (ov) => ov.chmod('/b', 0o600), // a lower name copied up: linked back from the index
        (ov) => ov.link('/b', '/e'),
        (ov) => ov.rename('/c', '/f'),
        (ov) => ov.unlink('/s'), // never copied up: the kernel keeps the count in the index
      ];
      for (const step of steps) {
        const live = s.open();
        step(live.ov);
        const before = view(live.ov, NAMES);
        live.close();
        const again = s.open();
        try {
          assert.deepEqual(view(again.ov, NAMES), before);
        } finally {
          again.close();
        }
      }
      const last = s.open();
      try {
        assert.deepEqual(view(last.ov, NAMES), {
          a: 'ENOENT', b: '"hello\\nmore\\n" nlink 3 same-as b', c: 'ENOENT', e: '"hello\\nmore\\n" nlink 3 same-as b',
          f: '"hello\\nmore\\n" nlink 3 same-as b', s: 'ENOENT', s2: '"solo\\n" nlink 1 same-as s2',
        });
        assert.equal(last.ov.stat('/e').mode & 0o777, 0o600);
      } finally {
        last.close();
      }
    } finally {
      removeTree(s.base);
    }
  });

  test('the last name of a joined file removes its index entry, as the kernel does', () => {
    const s = stack();
    try {
      const o = s.open();
      o.ov.appendFile('/a', 'x');
      for (const n of ['a', 'b', 'c']) o.ov.unlink(`/${n}`);
      o.close();
      assert.deepEqual(fs.readdirSync(path.join(s.base, 'w/index')), []);
    } finally {
      removeTree(s.base);
    }
  });

  test('metacopy: the index entry kept for the lower names is a metacopy file, its data still below', () => {
    const s = stack();
    try {
      const o = s.open({ metacopy: true });
      o.ov.chmod('/a', 0o600); // a metadata-only copy-up: the upper file (and its index entry) holds no data
      o.ov.unlink('/a');
      const before = view(o.ov, ['b', 'c']);
      o.close();
      assert.equal(before.b, '"hello\\n" nlink 2 same-as b');
      const again = s.open({ metacopy: true });
      try {
        assert.deepEqual(view(again.ov, ['b', 'c']), before);
        assert.equal(again.ov.stat('/b').size, 6);
        assert.equal(again.ov.stat('/b').mode & 0o777, 0o600);
      } finally {
        again.close();
      }
    } finally {
      removeTree(s.base);
    }
  });

  test('crash points of the copy-up: every intermediate state opens, the same in each name', () => {
    const s = stack();
    try {
      const o = s.open();
      o.ov.appendFile('/a', 'more\n');
      o.close();
      const index = path.join(s.base, 'w/index');
      const [entry] = fs.readdirSync(index);
      // Killed before the index link: the upper file carries its origin but no entry names it —
      // a plain copy-up to both Strata and the kernel; the other names read the lower.
      fs.unlinkSync(path.join(index, entry));
      let r = s.open();
      assert.deepEqual(view(r.ov, ['a', 'b']), { a: '"hello\\nmore\\n" nlink 1 same-as a', b: '"hello\\n" nlink 3 same-as b' });
      r.close();
      // An orphan (count 0: its last name went before the kernel cleaned it up) is ignored.
      fs.linkSync(path.join(s.base, 'u/a'), path.join(index, entry));
      setXattrRaw(path.join(index, entry), 'trusted.overlay.nlink', encodeNlink(0, 2));
      r = s.open();
      assert.equal(r.ov.readFile('/b', 'utf8'), 'hello\n');
      r.close();
      // An entry whose origin does not match its name is not the file's entry.
      setXattrRaw(path.join(index, entry), 'trusted.overlay.nlink', encodeNlink(3, 2));
      setXattrRaw(path.join(index, entry), 'trusted.overlay.origin', Buffer.from('00fb0500ff', 'hex'));
      r = s.open();
      assert.equal(r.ov.readFile('/b', 'utf8'), 'hello\n');
      r.close();
      // A temp a killed copy into the index left in the work dir is cleared at open.
      fs.writeFileSync(path.join(s.base, 'w/tmp.leftover'), 'x');
      r = s.open();
      r.ov.unlink('/s');
      r.close();
      assert.equal(fs.existsSync(path.join(s.base, 'w/tmp.leftover')), false);
    } finally {
      removeTree(s.base);
    }
  });

  test('a failed index step rolls the copy-up back whole: the view and the upper as before', () => {
    const s = stack();
    try {
      const o = s.open();
      o.ov.stat('/a'); // the work dir and index/ exist from here on
      // Something planted at the entry's name (no origin: not an entry) makes link(2) fail.
      const key = entryNameOf(path.join(s.base, 'l/a'));
      fs.writeFileSync(path.join(s.base, 'w/index', key), 'planted');
      assert.throws(() => o.ov.appendFile('/a', 'more\n'), { code: 'EEXIST', syscall: 'link' });
      assert.deepEqual(fs.readdirSync(path.join(s.base, 'u')), []);
      assert.deepEqual(view(o.ov, ['a', 'b']), { a: '"hello\\n" nlink 3 same-as a', b: '"hello\\n" nlink 3 same-as a' });
      fs.unlinkSync(path.join(s.base, 'w/index', key));
      o.ov.appendFile('/a', 'more\n');
      assert.equal(o.ov.readFile('/b', 'utf8'), 'hello\nmore\n');
      o.close();
    } finally {
      removeTree(s.base);
    }
  });

  test('without file handles (STRATA_NATIVE=off): ENOTSUP naming the reason, not a tree the kernel reads otherwise', () => {
    const s = stack();
    try {
      const script = `
        import { Overlay, DirLayer, MemoryLayer } from ${JSON.stringify(path.resolve('dist/bindings/index.js'))};
        const b = ${JSON.stringify(s.base)};
        try {
          new Overlay({ lowers: [new DirLayer(b + '/l')], upper: new DirLayer(b + '/u', { workdir: b + '/w' }), index: true });
          console.log('opened');
        } catch (e) { console.log(e.code, /STRATA_NATIVE=off/.test(e.message)); }
        // Layers without file handles keep the index in memory, helper or not.
        const lower = new MemoryLayer(); lower.writeFile('/a', 'x'); lower.link('/a', '/b');
        const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), index: true });
        ov.appendFile('/a', 'y');
        console.log(ov.readFile('/b', 'utf8'), ov.stat('/b').nlink);`;
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', script],
        { env: { ...process.env, STRATA_NATIVE: 'off' }, encoding: 'utf8' });
      assert.equal(out.stdout.trim(), 'ENOTSUP true\nxy 2', out.stderr);
    } finally {
      removeTree(s.base);
    }
  });
});

test('index on over MemoryLayers stays in memory (no file handles there)', () => {
  const lower = new MemoryLayer();
  lower.writeFile('/a', 'x');
  lower.link('/a', '/b');
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), index: true });
  ov.appendFile('/a', 'y');
  ov.unlink('/a');
  assert.equal(ov.readFile('/b', 'utf8'), 'xy');
});
