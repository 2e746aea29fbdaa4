// DirLayer's one-call hits (host/host-probe.ts): a cached read and a cached stat follow the plain
// host path and trust it only for the very object the contained walk found. A hostile host plants
// a FIFO, a symlink out of the root, another file or a swapped ancestor under a cached name: no
// hang, no byte from outside the root, and the answer a fresh lookup gives (or ESTALE for the old
// handle). Run with the native helper, and again in a child with STRATA_NATIVE=off (node:fs path).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import type { Handle } from '../bindings/layers/layer.js';
import { native } from '../bindings/layers/host/native.js';
import { isRoot, removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

const SECRET = 'outside the root';

function setup() {
  const base = scratchDir('dl-fast');
  const lowerDir = path.join(base, 'lower');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(lowerDir);
  fs.mkdirSync(outside);
  writeTree(lowerDir, { 'd/f': 'data', 'd/empty': '', 'd/g': 'gee' });
  fs.writeFileSync(path.join(outside, 'f'), SECRET);
  const lower = new DirLayer(lowerDir, { readOnly: true });
  const at = (p: string): Handle => p.split('/').reduce((h, name) => lower.lookup(h, name), lower.root());
  return { base, lowerDir, outside, lower, at, done() { lower.close(); removeTree(base); } };
}

function mkfifo(p: string): void {
  const out = spawnSync('mkfifo', [p], { encoding: 'utf8' });
  assert.equal(out.status, 0, `mkfifo: ${out.stderr}`);
}

describe(`DirLayer fast path (native helper ${native() === null ? 'off: node:fs' : 'on'})`, () => {
  it('the helper\'s lstat agrees with node:fs field for field (identities compare equal); its read refuses what it must', { skip: native() === null ? 'no native helper' : false }, () => {
    const s = setup();
    try {
      const helper = native()!;
      const f = path.join(s.lowerDir, 'd/f');
      const out = new Float64Array(14);
      assert.equal(helper.lstatInto(f, out), 0);
      const st = fs.lstatSync(f);
      assert.deepEqual([...out], [st.dev, st.mode, st.nlink, st.uid, st.gid, st.rdev, st.blksize, st.ino, st.size,
        st.blocks, st.atimeMs, st.mtimeMs, st.ctimeMs, st.birthtimeMs]);
      assert.equal(helper.lstatInto(path.join(s.lowerDir, 'nothing'), out), -os.errno.ENOENT);
      assert.equal(helper.lstatInto(`${f}\0/x`, out), -os.errno.EINVAL, 'a NUL inside is refused, not cut short');
      assert.equal(Buffer.from(helper.readFileIf(f, st.dev, st.ino, st.birthtimeMs) as Buffer).toString(), 'data');
      // A file smaller than the scratch buffer is read into it (the byte count); else a Buffer of its own.
      const scratch = Buffer.alloc(8, 0x2e);
      assert.equal(helper.readFileIf(f, st.dev, st.ino, st.birthtimeMs, scratch), 4);
      assert.equal(scratch.toString(), 'data....');
      const small = Buffer.alloc(4, 0x2e);
      assert.equal(Buffer.from(helper.readFileIf(f, st.dev, st.ino, st.birthtimeMs, small) as Buffer).toString(), 'data');
      assert.equal(small.toString(), '....', 'a file as large as the scratch buffer is not read into it');
      assert.equal(helper.readFileIf(f, st.dev, st.ino + 1, st.birthtimeMs, scratch), -os.errno.ESTALE);
      assert.equal(helper.readFileIf(f, st.dev, st.ino + 1, st.birthtimeMs), -os.errno.ESTALE);
      const d = fs.lstatSync(path.join(s.lowerDir, 'd'));
      assert.equal(helper.readFileIf(path.join(s.lowerDir, 'd'), d.dev, d.ino, d.birthtimeMs), -os.errno.EINVAL);
      fs.symlinkSync('f', path.join(s.lowerDir, 'd/link'));
      assert.equal(helper.readFileIf(path.join(s.lowerDir, 'd/link'), st.dev, st.ino, st.birthtimeMs), -os.errno.ELOOP);
    } finally { s.done(); }
  });

  it('a cached read and stat make no contained walk, and see an in-place change at once', () => {
    const s = setup();
    try {
      const h = s.at('d/f');
      assert.equal(Buffer.from(s.lower.read(h)).toString(), 'data');
      const steps = s.lower.walkSteps;
      assert.equal(Buffer.from(s.lower.read(h)).toString(), 'data');
      assert.equal(s.lower.peekStat(h)?.size, 4);
      assert.equal(s.lower.walkSteps, steps, 'no component opened');
      fs.appendFileSync(path.join(s.lowerDir, 'd/f'), '+more');
      assert.equal(Buffer.from(s.lower.read(h)).toString(), 'data+more');
      // A record vouched for by the watch queue is current as of the last delivery, which an
      // overlay makes at each operation's start: a direct caller of the layer makes its own.
      s.lower.changeSource?.deliver();
      assert.equal(s.lower.peekStat(h)?.size, 9);
      // An empty file says nothing by its size: read the portable way, still right.
      assert.equal(s.lower.read(s.at('d/empty')).length, 0);
    } finally { s.done(); }
  });

  it('a file with other hard links (read the checked way): small and large ones whole, a change at once', () => {
    const s = setup();
    const helper = native();
    const readFileIf = helper?.readFileIf;
    let checked = 0;
    if (helper !== null) helper.readFileIf = (...a) => { checked++; return readFileIf!(...a); };
    try {
      const big = Buffer.alloc(100_000, 'x'); // larger than readIfSame's scratch buffer
      fs.writeFileSync(path.join(s.lowerDir, 'd/big'), big);
      fs.linkSync(path.join(s.lowerDir, 'd/f'), path.join(s.lowerDir, 'f-link'));
      fs.linkSync(path.join(s.lowerDir, 'd/big'), path.join(s.lowerDir, 'big-link'));
      const [f, b] = [s.at('d/f'), s.at('d/big')];
      for (let i = 0; i < 2; i++) {
        assert.equal(Buffer.from(s.lower.read(f)).toString(), 'data');
        assert.deepEqual(Buffer.from(s.lower.read(b)), big);
      }
      fs.writeFileSync(path.join(s.lowerDir, 'f-link'), 'DATA+'); // in place, through the other name
      assert.equal(Buffer.from(s.lower.read(f)).toString(), 'DATA+');
      if (helper !== null) assert.equal(checked, 5, 'every read went the checked way');
    } finally {
      if (helper !== null) helper.readFileIf = readFileIf!;
      s.done();
    }
  });

  it('a FIFO planted under a cached name: never opened for reading, never blocks', () => {
    const s = setup();
    try {
      const h = s.at('d/f');
      assert.equal(s.lower.read(h).length, 4);
      fs.rmSync(path.join(s.lowerDir, 'd/f'));
      mkfifo(path.join(s.lowerDir, 'd/f'));
      assert.throws(() => s.lower.read(h), { code: 'ESTALE' });
      assert.equal(s.lower.peekStat(h), undefined, 'the old handle is dead');
      const fifo = s.at('d/f');
      assert.equal(s.lower.stat(fifo).type, 'other');
      assert.throws(() => s.lower.read(fifo), { code: 'EINVAL' });
    } finally { s.done(); }
  });

  it('a symlink out of the root planted under a cached name, or as its ancestor: nothing from outside is read', () => {
    const s = setup();
    try {
      const h = s.at('d/f');
      const g = s.at('d/g');
      assert.equal(s.lower.read(h).length, 4);
      fs.rmSync(path.join(s.lowerDir, 'd/f'));
      fs.symlinkSync(path.join(s.outside, 'f'), path.join(s.lowerDir, 'd/f'));
      assert.throws(() => s.lower.read(h), { code: 'ESTALE' });
      assert.equal(s.lower.peekStat(h), undefined);
      // The ancestor: d moved away, a symlink to a directory outside put in its place.
      assert.equal(Buffer.from(s.lower.read(g)).toString(), 'gee');
      fs.writeFileSync(path.join(s.outside, 'g'), SECRET);
      fs.renameSync(path.join(s.lowerDir, 'd'), path.join(s.lowerDir, 'd.old'));
      fs.symlinkSync(s.outside, path.join(s.lowerDir, 'd'));
      assert.throws(() => s.lower.read(g), { code: 'ESTALE' });
      assert.equal(s.lower.peekStat(g), undefined);
    } finally { s.done(); }
  });

  it('another file swapped in under a cached name: the old handle is stale; through the overlay, the new file', () => {
    for (const policy of ['relaxed', 'strict'] as const) {
      const s = setup();
      const upperDir = path.join(s.base, 'upper');
      fs.mkdirSync(upperDir);
      const upper = new DirLayer(upperDir);
      try {
        const ov = new Overlay({ lowers: [s.lower], upper, policy });
        assert.equal(ov.readFile('/d/f', 'utf8'), 'data');
        const h = s.at('d/f');
        const next = path.join(s.lowerDir, 'd/f.next');
        fs.writeFileSync(next, 'swapped');
        fs.renameSync(next, path.join(s.lowerDir, 'd/f'));
        assert.throws(() => s.lower.read(h), { code: 'ESTALE' });
        if (policy === 'strict') assert.throws(() => ov.readFile('/d/f', 'utf8'), { code: 'ESTALE' });
        assert.equal(ov.readFile('/d/f', 'utf8'), 'swapped');
        assert.equal(ov.stat('/d/f').size, 7);
        // A symlink planted through the overlay's view: followed inside the overlay, never onto the host.
        fs.rmSync(path.join(s.lowerDir, 'd/f'));
        fs.symlinkSync(path.join(s.outside, 'f'), path.join(s.lowerDir, 'd/f'));
        let seen: string | undefined;
        try { seen = String(ov.readFile('/d/f', 'utf8')); } catch { /* ESTALE (strict) or ENOENT: no such path in the overlay */ }
        try { seen = String(ov.readFile('/d/f', 'utf8')); } catch { /* ENOENT */ }
        assert.notEqual(seen, SECRET);
        ov.close();
      } finally { upper.close(); s.done(); }
    }
  });

  it('the node:fs fallback (STRATA_NATIVE=off) passes these and the DirLayer overlay suites', { skip: native() === null || !isRoot() ? 'already the fallback, or needs root' : false }, () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const files = ['dir-layer-fast-path', 'dir-layer-overlay', 'dir-layer-trust-watch'].map((f) => path.join(here, `${f}.test.js`));
    // Without NODE_TEST_CONTEXT: the child reports in TAP on its stdout, not to a parent runner.
    const { NODE_TEST_CONTEXT: _inner, ...env } = process.env;
    const out = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...files], {
      env: { ...env, STRATA_NATIVE: 'off' }, encoding: 'utf8', timeout: 300_000,
    });
    assert.equal(out.status, 0, `${out.stdout}\n${out.stderr}`);
    assert.match(out.stdout, /native helper off: node:fs/);
    assert.match(out.stdout, /# fail 0/);
  });
});
