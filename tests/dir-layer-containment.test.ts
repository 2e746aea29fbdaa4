// Containment: a DirLayer never reads or writes outside its root. Each escape attempt — a `..`
// name, a symlinked parent directory, an absolute symlink to /etc, a symlink to a host file, a
// path swapped for a symlink after the handle was taken, and one swapped between the check and
// the use (simulated with the race hook) — fails or stays inside, and the host files outside are
// byte-for-byte, mode- and time-unchanged afterwards.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import type { Handle } from '../bindings/layers/layer.js';
import { isRoot, listXattrsRaw, removeTree, scratchDir, setXattrRaw, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

const bytes = (s: string) => new TextEncoder().encode(s);

/** Everything about a host tree a write could change: names, types, data, mode, owner, times, xattrs. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (p: string, rel: string) => {
    const st = fs.lstatSync(p);
    const data = st.isFile() ? fs.readFileSync(p, 'hex') : st.isSymbolicLink() ? fs.readlinkSync(p) : '';
    // A directory's entries are listed below it, so its own mtime adds nothing (and a test that
    // moves things through it on purpose cannot restore it to the nanosecond).
    const mtime = st.isDirectory() ? '' : st.mtimeMs;
    out.push(`${rel} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${mtime} ${st.size} ${data} ${listXattrsRaw(p).sort().join(',')}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(p, n), `${rel}/${n}`);
  };
  walk(dir, '');
  return out.join('\n');
}

describe('DirLayer containment', { skip: isRoot() ? false : 'needs root (the kernel format)' }, () => {
  let base: string;
  let root: string;
  let outside: string;
  let before: string;
  let layer: DirLayer;
  let hook: ((layerPath: string) => void) | undefined;

  beforeEach(() => {
    base = scratchDir('contain');
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    writeTree(outside, { secret: 'SECRET', 'dir/': null });
    setXattrRaw(path.join(outside, 'secret'), 'user.secret', 'outside');
    writeTree(root, {
      'd/f': 'inside', up: { symlink: '../outside' }, etc: { symlink: '/etc' },
      pw: { symlink: path.join(outside, 'secret') }, inner: { symlink: 'd/f' },
    });
    before = snapshot(outside);
    hook = undefined;
    layer = new DirLayer(root, { raceHook: (p) => hook?.(p) });
  });
  afterEach(() => {
    try {
      layer.close();
      assert.equal(snapshot(outside), before, 'the host files outside the root are untouched');
    } finally {
      removeTree(base);
    }
  });

  const at = (p: string): Handle => p.split('/').reduce((h, name) => layer.lookup(h, name), layer.root());
  const file = (spec = 'x') => ({ type: 'file' as const, mode: 0o644, data: bytes(spec) });

  it('"..", "." and names with "/" are refused (EINVAL) by every call that takes a name', () => {
    const d = at('d');
    for (const bad of ['..', '../outside', '../../etc/passwd', '.']) {
      assert.throws(() => layer.lookup(d, bad), { code: 'EINVAL' });
      assert.throws(() => layer.createNode(d, bad, file()), { code: 'EINVAL' });
      assert.throws(() => layer.putWhiteout(d, bad), { code: 'EINVAL' });
      assert.throws(() => layer.removeName(d, bad), { code: 'EINVAL' });
      assert.throws(() => layer.renameName(d, 'f', d, bad), { code: 'EINVAL' });
      assert.throws(() => layer.linkName(at('d/f'), d, bad), { code: 'EINVAL' });
    }
    assert.equal(fs.readFileSync(path.join(root, 'd/f'), 'utf8'), 'inside');
  });

  it('a symlinked parent directory (up -> ../outside) is never walked through', () => {
    const up = at('up');
    assert.equal(layer.stat(up).type, 'symlink');
    assert.equal(layer.readlink(up), '../outside');
    assert.throws(() => layer.lookup(up, 'secret'), { code: 'ENOTDIR' });
    assert.throws(() => layer.list(up), { code: 'ENOTDIR' });
    assert.throws(() => layer.createNode(up, 'planted', file()), { code: 'ENOTDIR' });
    assert.throws(() => layer.putWhiteout(up, 'secret'), { code: 'ENOTDIR' });
    assert.throws(() => layer.removeName(up, 'secret'), { code: 'ENOTDIR' });
    assert.throws(() => layer.renameName(at('d'), 'f', up, 'stolen'), { code: 'ENOTDIR' });
    assert.throws(() => layer.setOpaqueMark(up, true), { code: 'ENOTDIR' });
  });

  it('an absolute symlink to /etc is data: readlink gives "/etc", nothing looks inside the host /etc', () => {
    const etc = at('etc');
    assert.equal(layer.readlink(etc), '/etc');
    assert.throws(() => layer.lookup(etc, 'passwd'), { code: 'ENOTDIR' });
    assert.throws(() => layer.read(etc), { code: 'EINVAL' });
    assert.throws(() => layer.createNode(etc, 'planted', file()), { code: 'ENOTDIR' });
  });

  it('a symlink to a host file: reads and writes act on the symlink itself, never on its target', () => {
    const pw = at('pw');
    assert.throws(() => layer.read(pw), { code: 'EINVAL' });
    assert.throws(() => layer.writeData(pw, bytes('pwned')), { code: 'EINVAL' });
    assert.deepEqual(layer.xattrs(pw), {}, "the target's user.secret is not the symlink's");
    layer.setMode(pw, 0o777);
    layer.setTimes(pw, 1_000_000_000_000, 1_000_000_000_000);
    layer.setOwner(pw, 4242, 4242);
    layer.setXattr(pw, 'trusted.strata-test', bytes('on the link'));
    const lst = fs.lstatSync(path.join(root, 'pw'));
    assert.equal(lst.mtimeMs, 1_000_000_000_000);
    assert.equal(lst.uid, 4242);
    layer.linkName(pw, layer.root(), 'pw2');
    assert.ok(fs.lstatSync(path.join(root, 'pw2')).isSymbolicLink(), 'linked the symlink, not its target');
    assert.equal(layer.readlink(at('inner')), 'd/f');
    assert.throws(() => layer.read(at('inner')), { code: 'EINVAL' }, 'the overlay resolves symlinks, not the layer');
  });

  it('a directory replaced by a symlink to outside after its handle was taken: stale, nothing lands outside', () => {
    const d = at('d');
    const f = at('d/f');
    fs.renameSync(path.join(root, 'd'), path.join(root, 'd.real'));
    fs.symlinkSync(path.join(outside, 'dir'), path.join(root, 'd'));
    assert.throws(() => layer.createNode(d, 'planted', file()), { code: 'ESTALE' });
    assert.throws(() => layer.putWhiteout(d, 'planted'), { code: 'ESTALE' });
    assert.throws(() => layer.writeData(f, bytes('pwned')), (e: NodeJS.ErrnoException) => ['ESTALE', 'ENOTDIR'].includes(e.code!));
    assert.equal(layer.alive(d), false);
    assert.equal(fs.readFileSync(path.join(root, 'd.real/f'), 'utf8'), 'inside');
  });

  it('a cached directory whose ancestor was moved out of the root (a symlink left in its place) is not used', () => {
    fs.mkdirSync(path.join(root, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a/b/inside'), 'i');
    const b = at('a/b');
    assert.ok(layer.lookup(b, 'inside') > 0, 'a/b is now held in the directory cache');
    // The plain host path root/a/b still leads to the very same directory, through the symlink.
    fs.renameSync(path.join(root, 'a'), path.join(outside, 'a'));
    fs.symlinkSync(path.join(outside, 'a'), path.join(root, 'a'));
    assert.throws(() => layer.lookup(b, 'inside'), { code: 'ESTALE' });
    assert.throws(() => layer.list(b), { code: 'ESTALE' });
    assert.throws(() => layer.createNode(b, 'planted', file()), { code: 'ESTALE' });
    assert.deepEqual(fs.readdirSync(path.join(outside, 'a/b')), ['inside']);
    // Put things back so the outside tree matches its snapshot again.
    fs.rmSync(path.join(root, 'a'));
    fs.renameSync(path.join(outside, 'a'), path.join(root, 'a'));
  });

  it('race: a directory swapped for a symlink between the lstat check and the open (hook)', () => {
    const d = at('d');
    hook = (p) => {
      if (p !== 'd') return;
      hook = undefined;
      fs.renameSync(path.join(root, 'd'), path.join(root, 'd.real'));
      fs.symlinkSync(path.join(outside, 'dir'), path.join(root, 'd'));
    };
    // The open refuses the symlink (O_NOFOLLOW); the handle's only path is then unusable: stale.
    assert.throws(() => layer.createNode(d, 'planted', file()), { code: 'ESTALE' });
    assert.equal(hook, undefined, 'the swap happened');
    assert.deepEqual(fs.readdirSync(path.join(outside, 'dir')), []);
  });

  it('race: a directory swapped for another directory between check and open is detected (ESTALE)', () => {
    const d = at('d');
    hook = (p) => {
      if (p !== 'd') return;
      hook = undefined;
      fs.renameSync(path.join(root, 'd'), path.join(root, 'd.old'));
      fs.mkdirSync(path.join(root, 'd'));
    };
    assert.throws(() => layer.createNode(d, 'n', file()), { code: 'ESTALE' });
    assert.deepEqual(fs.readdirSync(path.join(root, 'd')), []);
  });

  it('race: a file swapped for a symlink to a host file between check and open: no write, no chmod', () => {
    const f = at('d/f');
    const swap = () => {
      fs.renameSync(path.join(root, 'd/f'), path.join(root, 'd/f.real'));
      fs.symlinkSync(path.join(outside, 'secret'), path.join(root, 'd/f'));
    };
    hook = (p) => { if (p === 'd/f') { hook = undefined; swap(); } };
    assert.throws(() => layer.writeData(f, bytes('pwned')), { code: 'ESTALE' });
    fs.rmSync(path.join(root, 'd/f'));
    fs.renameSync(path.join(root, 'd/f.real'), path.join(root, 'd/f'));
    hook = (p) => { if (p === 'd/f') { hook = undefined; swap(); } };
    assert.throws(() => layer.setMode(f, 0o777), { code: 'ESTALE' });
    assert.throws(() => layer.read(f), { code: 'ESTALE' }, 'the name now holds a symlink: the handle is stale');
  });
});
