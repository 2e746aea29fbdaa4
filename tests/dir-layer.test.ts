// DirLayer over host directories: reading and writing the kernel's on-disk overlay format,
// handles bound to host objects, atomic creation, the OCI and userxattr alternatives, the
// privilege checks, and the watcher. Containment has its own file (dir-layer-containment.test.ts);
// agreement with the kernel's overlayfs is dir-layer-kernel.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { ABSENT, WHITEOUT, type LayerChange } from '../bindings/layers/layer.js';
import {
  getXattrRaw, isRoot, listXattrsRaw, makeWhiteoutDevice, removeTree, scratchDir, setXattrRaw, writeTree,
} from '../bindings/verify/kernel/host-fixtures.js';

const needRoot = isRoot() ? false : 'needs root (trusted.* xattrs, the kernel format)';
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

function isWhiteoutOnDisk(p: string): boolean {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return st !== undefined && st.isCharacterDevice() && st.rdev === 0;
}

/** A fresh layer root (and its default work dir next to it) under one scratch directory. */
function freshRoot(entries: Parameters<typeof writeTree>[1] = {}): { base: string; root: string } {
  const base = scratchDir('dirlayer');
  const root = path.join(base, 'root');
  fs.mkdirSync(root);
  writeTree(root, entries);
  return { base, root };
}

describe('DirLayer reads the kernel format', { skip: needRoot }, () => {
  let base: string;
  let layer: DirLayer;
  before(() => {
    ({ base } = freshRoot());
    const root = path.join(base, 'root');
    writeTree(root, {
      'a/f': 'hello', 'a/wh': { whiteout: true }, 'a/opq/': null, 'a/notopq/': null, 'a/l': { symlink: '../a/f' },
      'a/xw/': null, 'a/xw/gone': '', 'a/xw/kept': '', 'x/': null, 'x/rel/': null, 'abs/': null, 'meta': '',
    });
    setXattrRaw(path.join(root, 'a/opq'), 'trusted.overlay.opaque', 'y');
    setXattrRaw(path.join(root, 'a/xw'), 'trusted.overlay.opaque', 'x');
    setXattrRaw(path.join(root, 'a/xw/gone'), 'trusted.overlay.whiteout', '');
    setXattrRaw(path.join(root, 'x'), 'trusted.overlay.redirect', '/old/x');
    setXattrRaw(path.join(root, 'x/rel'), 'trusted.overlay.redirect', 'was');
    setXattrRaw(path.join(root, 'abs'), 'trusted.overlay.redirect', '/else/where');
    setXattrRaw(path.join(root, 'meta'), 'trusted.overlay.metacopy', '');
    setXattrRaw(path.join(root, 'a/f'), 'user.color', 'blue');
    setXattrRaw(path.join(root, 'a/f'), 'trusted.overlay.origin', 'private');
    layer = new DirLayer(root, { readOnly: true });
  });
  after(() => { layer.close(); removeTree(base); });

  const at = (p: string) => p.split('/').reduce((h, name) => layer.lookup(h, name), layer.root());

  it('a character device 0/0 is a whiteout; a missing name is absent; list shows both kinds', () => {
    const a = at('a');
    assert.equal(layer.lookup(a, 'wh'), WHITEOUT);
    assert.equal(layer.lookup(a, 'nothing'), ABSENT);
    assert.deepEqual(layer.list(a).sort(), ['f', 'l', 'notopq', 'opq', 'wh', 'xw']);
  });

  it('trusted.overlay.opaque=y is opaque; =x is not, but enables xwhiteouts (kernel >= 6.7)', () => {
    assert.equal(layer.isOpaque(at('a/opq')), true);
    assert.equal(layer.isOpaque(at('a/notopq')), false);
    assert.equal(layer.isOpaque(at('a/xw')), false);
    assert.equal(layer.lookup(at('a/xw'), 'gone'), WHITEOUT);
    assert.ok(layer.lookup(at('a/xw'), 'kept') > 0);
  });

  it('redirects come back absolute; a relative one resolves against the parent\'s own redirect', () => {
    assert.equal(layer.redirect(at('abs')), '/else/where');
    assert.equal(layer.redirect(at('x')), '/old/x');
    assert.equal(layer.redirect(at('x/rel')), '/old/x/was');
    assert.equal(layer.redirect(at('a')), undefined);
  });

  it('metacopy, data, symlink targets, types, and xattrs without the overlay-private ones', () => {
    assert.equal(layer.isMetacopy(at('meta')), true);
    assert.equal(layer.isMetacopy(at('a/f')), false);
    assert.equal(text(layer.read(at('a/f'))), 'hello');
    assert.equal(layer.readlink(at('a/l')), '../a/f');
    assert.equal(layer.stat(at('a/l')).type, 'symlink');
    assert.equal(layer.stat(at('a')).type, 'dir');
    const f = layer.stat(at('a/f'));
    assert.equal(f.type, 'file');
    assert.equal(f.size, 5);
    assert.equal(f.ino, fs.lstatSync(path.join(base, 'root/a/f')).ino);
    assert.deepEqual(Object.keys(layer.xattrs(at('a/f'))), ['user.color']);
    assert.equal(text(layer.xattrs(at('a/f'))['user.color']), 'blue');
  });

  it('reads of the wrong type fail like the kernel: EISDIR, EINVAL', () => {
    assert.throws(() => layer.read(at('a')), { code: 'EISDIR' });
    assert.throws(() => layer.readlink(at('a/f')), { code: 'EINVAL' });
  });

  it('a read-only layer refuses every write with EROFS and changes nothing', () => {
    const before = fs.readdirSync(path.join(base, 'root/a')).sort();
    assert.throws(() => layer.createNode(at('a'), 'n', { type: 'file', mode: 0o644 }), { code: 'EROFS' });
    assert.throws(() => layer.putWhiteout(at('a'), 'f'), { code: 'EROFS' });
    assert.throws(() => layer.removeName(at('a'), 'f'), { code: 'EROFS' });
    assert.throws(() => layer.writeData(at('a/f'), bytes('x')), { code: 'EROFS' });
    assert.deepEqual(fs.readdirSync(path.join(base, 'root/a')).sort(), before);
    assert.equal(fs.readFileSync(path.join(base, 'root/a/f'), 'utf8'), 'hello');
    assert.equal(fs.existsSync(path.join(base, 'root.strata-work')), false);
  });
});

describe('DirLayer handles are host objects', { skip: needRoot }, () => {
  it('one handle per object: stable across lookups, shared by hard links, the root fixed', () => {
    const { base, root } = freshRoot({ 'd/f': 'x' });
    fs.linkSync(path.join(root, 'd/f'), path.join(root, 'g'));
    const layer = new DirLayer(root);
    try {
      const d = layer.lookup(layer.root(), 'd');
      assert.equal(layer.lookup(layer.root(), 'd'), d);
      assert.equal(layer.lookup(d, 'f'), layer.lookup(layer.root(), 'g'));
      assert.ok(d > 0 && layer.root() > 0 && d !== layer.root());
    } finally { layer.close(); removeTree(base); }
  });

  it('an object replaced on the host kills its handle (ESTALE); the new object gets a new one', () => {
    const { base, root } = freshRoot({ f: 'old' });
    const layer = new DirLayer(root);
    try {
      const old = layer.lookup(layer.root(), 'f');
      fs.unlinkSync(path.join(root, 'f'));
      fs.writeFileSync(path.join(root, 'f'), 'new'); // ext4 may well hand out the same ino
      assert.equal(layer.alive(old), false);
      assert.throws(() => layer.read(old), { code: 'ESTALE' });
      const fresh = layer.lookup(layer.root(), 'f');
      assert.notEqual(fresh, old);
      assert.equal(text(layer.read(fresh)), 'new');
      assert.equal(layer.alive(old), false, 'a dead handle stays dead');
    } finally { layer.close(); removeTree(base); }
  });

  it('renamed on the host: not alive where it was; found again under its new name, same handle', () => {
    const { base, root } = freshRoot({ f: 'data' });
    const layer = new DirLayer(root);
    try {
      const h = layer.lookup(layer.root(), 'f');
      fs.renameSync(path.join(root, 'f'), path.join(root, 'g'));
      assert.equal(layer.alive(h), false);
      assert.equal(layer.lookup(layer.root(), 'g'), h);
      assert.equal(layer.alive(h), true);
      assert.equal(layer.pathOf(h), '/g');
    } finally { layer.close(); removeTree(base); }
  });

  it('renameName of a directory moves the handles below it; removeName kills the last link', () => {
    const { base, root } = freshRoot({ 'a/b/f': 'x', 'a/g': 'y' });
    const layer = new DirLayer(root);
    try {
      const a = layer.lookup(layer.root(), 'a');
      const b = layer.lookup(a, 'b');
      const f = layer.lookup(b, 'f');
      layer.renameName(layer.root(), 'a', layer.root(), 'z');
      assert.equal(layer.pathOf(f), '/z/b/f');
      assert.equal(text(layer.read(f)), 'x');
      const g = layer.lookup(a, 'g');
      layer.linkName(g, layer.root(), 'g2');
      layer.removeName(a, 'g');
      assert.equal(layer.alive(g), true, 'still linked as /g2');
      layer.removeName(layer.root(), 'g2');
      assert.equal(layer.alive(g), false);
    } finally { layer.close(); removeTree(base); }
  });
});

describe('DirLayer writes the kernel format', { skip: needRoot }, () => {
  let base: string;
  let root: string;
  let layer: DirLayer;
  before(() => {
    ({ base, root } = freshRoot({ 'd/f': 'lower', 'd/e/': null, 'full/x': '1', meta: 'm' }));
    setXattrRaw(path.join(root, 'meta'), 'trusted.overlay.metacopy', '');
    layer = new DirLayer(root);
  });
  after(() => { layer.close(); removeTree(base); });
  const at = (p: string) => p.split('/').reduce((h, name) => layer.lookup(h, name), layer.root());

  it('createNode builds a file complete: data, mode, times, xattrs', () => {
    const h = layer.createNode(layer.root(), 'new', {
      type: 'file', mode: 0o100640, data: bytes('content'), atimeMs: 1_000_000_000_000, mtimeMs: 1_100_000_000_000,
      xattrs: { 'user.k': bytes('v') },
    });
    const st = fs.lstatSync(path.join(root, 'new'));
    assert.equal(st.mode & 0o7777, 0o640);
    assert.equal(st.mtimeMs, 1_100_000_000_000);
    assert.equal(fs.readFileSync(path.join(root, 'new'), 'utf8'), 'content');
    assert.equal(getXattrRaw(path.join(root, 'new'), 'user.k'), 'v');
    assert.equal(layer.lookup(layer.root(), 'new'), h);
  });

  it('createNode makes symlinks, fifos, and opaque/redirected directories in the kernel encoding', () => {
    layer.createNode(layer.root(), 'sl', { type: 'symlink', mode: 0o120777, target: '/etc/passwd' });
    assert.equal(fs.readlinkSync(path.join(root, 'sl')), '/etc/passwd');
    layer.createNode(layer.root(), 'fifo', { type: 'other', mode: fs.constants.S_IFIFO | 0o600 });
    assert.ok(fs.lstatSync(path.join(root, 'fifo')).isFIFO());
    layer.createNode(at('d'), 'od', { type: 'dir', mode: 0o40750, opaque: true });
    assert.equal(getXattrRaw(path.join(root, 'd/od'), 'trusted.overlay.opaque'), 'y');
    assert.equal(fs.lstatSync(path.join(root, 'd/od')).mode & 0o7777, 0o750);
    // Same lower parent → relative, as the kernel writes it; elsewhere → absolute.
    layer.createNode(at('d'), 'moved', { type: 'dir', mode: 0o40755, redirect: '/d/orig' });
    assert.equal(getXattrRaw(path.join(root, 'd/moved'), 'trusted.overlay.redirect'), 'orig');
    assert.equal(layer.redirect(at('d/moved')), '/d/orig');
    layer.createNode(layer.root(), 'far', { type: 'dir', mode: 0o40755, redirect: '/d/e' });
    assert.equal(getXattrRaw(path.join(root, 'far'), 'trusted.overlay.redirect'), '/d/e');
  });

  it('refuses to create a 0/0 character device (it would read back as a whiteout): EPERM', () => {
    assert.throws(() => layer.createNode(layer.root(), 'c00', { type: 'other', mode: fs.constants.S_IFCHR | 0o600, rdev: 0 }), { code: 'EPERM' });
    assert.equal(fs.existsSync(path.join(root, 'c00')), false);
  });

  it('createNode is atomic: a failure part-way leaves nothing at the name and nothing in the work dir', () => {
    const workBefore = fs.readdirSync(`${root}.strata-work`).sort();
    assert.throws(() => layer.createNode(layer.root(), 'half', {
      type: 'file', mode: 0o644, data: bytes('x'), xattrs: { 'bogus.namespace': bytes('1') },
    }), { code: 'ENOTSUP' });
    assert.equal(fs.existsSync(path.join(root, 'half')), false);
    assert.deepEqual(fs.readdirSync(`${root}.strata-work`).sort(), workBefore);
    // Replacing: the old object stays intact when the new one cannot be built.
    assert.throws(() => layer.createNode(at('d'), 'f', {
      type: 'file', mode: 0o644, data: bytes('new'), xattrs: { 'bogus.namespace': bytes('1') },
    }));
    assert.equal(fs.readFileSync(path.join(root, 'd/f'), 'utf8'), 'lower');
  });

  it('putWhiteout leaves a 0/0 device, over a file or an empty directory; not over a full one', () => {
    layer.putWhiteout(at('d'), 'f');
    assert.ok(isWhiteoutOnDisk(path.join(root, 'd/f')));
    assert.equal(layer.lookup(at('d'), 'f'), WHITEOUT);
    layer.putWhiteout(at('d'), 'e');
    assert.ok(isWhiteoutOnDisk(path.join(root, 'd/e')));
    layer.putWhiteout(at('d'), 'fresh');
    assert.ok(isWhiteoutOnDisk(path.join(root, 'd/fresh')));
    assert.throws(() => layer.putWhiteout(layer.root(), 'full'), { code: 'ENOTEMPTY' });
    assert.equal(fs.readFileSync(path.join(root, 'full/x'), 'utf8'), '1');
  });

  it('createNode over a whiteout replaces it (a directory too, which rename(2) cannot do in one step)', () => {
    layer.createNode(at('d'), 'f', { type: 'file', mode: 0o644, data: bytes('back') });
    assert.equal(fs.readFileSync(path.join(root, 'd/f'), 'utf8'), 'back');
    layer.createNode(at('d'), 'e', { type: 'dir', mode: 0o755, opaque: true });
    assert.ok(fs.lstatSync(path.join(root, 'd/e')).isDirectory());
    assert.throws(() => layer.createNode(layer.root(), 'full', { type: 'dir', mode: 0o755 }), { code: 'ENOTEMPTY' });
  });

  it('removeName removes files, empty directories and whiteouts; ENOENT for nothing', () => {
    layer.removeName(at('d'), 'fresh');
    assert.equal(fs.existsSync(path.join(root, 'd/fresh')), false);
    layer.removeName(at('d'), 'e');
    assert.equal(fs.existsSync(path.join(root, 'd/e')), false);
    assert.throws(() => layer.removeName(at('d'), 'e'), { code: 'ENOENT' });
    assert.throws(() => layer.removeName(layer.root(), 'full'), { code: 'ENOTEMPTY' });
  });

  it('writeData replaces the data and clears metacopy; set* change metadata in place', () => {
    const m = at('meta');
    assert.equal(layer.isMetacopy(m), true);
    layer.writeData(m, bytes('real data'));
    assert.equal(layer.isMetacopy(m), false);
    assert.equal(fs.readFileSync(path.join(root, 'meta'), 'utf8'), 'real data');
    layer.setMode(m, 0o600);
    assert.equal(fs.lstatSync(path.join(root, 'meta')).mode & 0o7777, 0o600);
    layer.setOwner(m, 12, 34);
    assert.equal(fs.lstatSync(path.join(root, 'meta')).uid, 12);
    layer.setTimes(m, 2_000_000_000_000, 2_000_000_000_000);
    assert.equal(fs.lstatSync(path.join(root, 'meta')).mtimeMs, 2_000_000_000_000);
    layer.setXattr(m, 'user.a', bytes('1'));
    assert.equal(getXattrRaw(path.join(root, 'meta'), 'user.a'), '1');
    layer.setXattr(m, 'user.a', undefined);
    assert.deepEqual(listXattrsRaw(path.join(root, 'meta')).filter((k) => k.startsWith('user.')), []);
    assert.throws(() => layer.setXattr(m, 'trusted.overlay.opaque', bytes('y')), { code: 'EPERM' });
  });

  it('setOpaqueMark and setRedirectMark write and clear the xattrs', () => {
    const d = at('d');
    layer.setOpaqueMark(d, true);
    assert.equal(getXattrRaw(path.join(root, 'd'), 'trusted.overlay.opaque'), 'y');
    layer.setOpaqueMark(d, false);
    assert.equal(getXattrRaw(path.join(root, 'd'), 'trusted.overlay.opaque'), undefined);
    layer.setRedirectMark(d, '/elsewhere/d');
    assert.equal(layer.redirect(d), '/elsewhere/d');
    layer.setRedirectMark(d, undefined);
    assert.equal(layer.redirect(d), undefined);
  });

  it('renameName replaces the target like rename(2); linkName shares the object', () => {
    layer.createNode(layer.root(), 'src', { type: 'file', mode: 0o644, data: bytes('s') });
    layer.createNode(layer.root(), 'dst', { type: 'file', mode: 0o644, data: bytes('d') });
    const src = at('src');
    const dst = at('dst');
    layer.renameName(layer.root(), 'src', at('d'), 'moved-file');
    assert.equal(fs.readFileSync(path.join(root, 'd/moved-file'), 'utf8'), 's');
    layer.renameName(at('d'), 'moved-file', layer.root(), 'dst');
    assert.equal(at('dst'), src);
    assert.equal(layer.alive(dst), false);
    layer.linkName(src, at('d'), 'hard');
    assert.equal(fs.lstatSync(path.join(root, 'd/hard')).ino, fs.lstatSync(path.join(root, 'dst')).ino);
    assert.throws(() => layer.linkName(at('d'), layer.root(), 'dirlink'), { code: 'EPERM' });
  });

  it('a whiteout is a mark, not a file: a directory can be renamed over it, a file linked over it', () => {
    layer.putWhiteout(layer.root(), 'wd');
    layer.createNode(layer.root(), 'srcdir', { type: 'dir', mode: 0o755 });
    const srcdir = at('srcdir');
    layer.renameName(layer.root(), 'srcdir', layer.root(), 'wd');
    assert.ok(fs.lstatSync(path.join(root, 'wd')).isDirectory());
    assert.equal(at('wd'), srcdir);
    layer.putWhiteout(layer.root(), 'wl');
    layer.linkName(at('dst'), layer.root(), 'wl');
    assert.equal(fs.lstatSync(path.join(root, 'wl')).ino, fs.lstatSync(path.join(root, 'dst')).ino);
    assert.equal(at('wl'), at('dst'));
  });

  it('a relative redirect moved to another directory is rewritten so it still names the same lower', () => {
    layer.createNode(layer.root(), 'rd', { type: 'dir', mode: 0o755 });
    const rd = at('rd');
    layer.setRedirectMark(rd, '/orig');
    assert.equal(getXattrRaw(path.join(root, 'rd'), 'trusted.overlay.redirect'), 'orig', 'same lower parent: relative');
    layer.renameName(layer.root(), 'rd', at('d'), 'rd');
    assert.equal(getXattrRaw(path.join(root, 'd/rd'), 'trusted.overlay.redirect'), '/orig');
    assert.equal(layer.redirect(rd), '/orig');
    layer.renameName(at('d'), 'rd', at('d'), 'rd2');
    assert.equal(layer.redirect(rd), '/orig', 'a rename within one directory keeps it');
  });

  it('names are single components: "..", "." and "a/b" are EINVAL', () => {
    for (const bad of ['..', '.', 'a/b', '', 'nul\0']) {
      assert.throws(() => layer.lookup(layer.root(), bad), { code: 'EINVAL' }, bad);
      assert.throws(() => layer.createNode(layer.root(), bad, { type: 'file', mode: 0o644 }), { code: 'EINVAL' }, bad);
    }
  });
});

describe('DirLayer work directory', { skip: needRoot }, () => {
  it('is refused on another filesystem (EXDEV): a rename from there would not be atomic', () => {
    const shm = '/dev/shm';
    const { base, root } = freshRoot();
    if (!fs.existsSync(shm) || fs.statSync(shm).dev === fs.statSync(root).dev) {
      removeTree(base);
      return;
    }
    const work = fs.mkdtempSync(path.join(shm, 'strata-work-'));
    const layer = new DirLayer(root, { workdir: work });
    try {
      assert.throws(() => layer.createNode(layer.root(), 'x', { type: 'file', mode: 0o644 }), /EXDEV.*same filesystem/);
      assert.equal(fs.existsSync(path.join(root, 'x')), false);
    } finally { layer.close(); removeTree(base); removeTree(work); }
  });
});

describe('DirLayer alternative formats', { skip: needRoot }, () => {
  it("whiteouts: 'oci' reads and writes .wh.<name> files and .wh..wh..opq", () => {
    const { base, root } = freshRoot({ 'a/f': '1', 'a/.wh.g': '', 'o/': null, 'o/.wh..wh..opq': '', 'o/k': '2' });
    const layer = new DirLayer(root, { whiteouts: 'oci' });
    try {
      const a = layer.lookup(layer.root(), 'a');
      const o = layer.lookup(layer.root(), 'o');
      assert.equal(layer.lookup(a, 'g'), WHITEOUT);
      assert.equal(layer.lookup(a, '.wh.g'), ABSENT, 'a .wh. name is never visible itself');
      assert.deepEqual(layer.list(a).sort(), ['f', 'g']);
      assert.equal(layer.isOpaque(o), true);
      assert.deepEqual(layer.list(o), ['k']);
      layer.putWhiteout(a, 'f');
      assert.ok(fs.existsSync(path.join(root, 'a/.wh.f')) && !fs.existsSync(path.join(root, 'a/f')));
      assert.equal(layer.lookup(a, 'f'), WHITEOUT);
      layer.createNode(a, 'g', { type: 'file', mode: 0o644, data: bytes('back') });
      assert.ok(!fs.existsSync(path.join(root, 'a/.wh.g')));
      layer.createNode(layer.root(), 'n', { type: 'dir', mode: 0o755, opaque: true });
      assert.ok(fs.existsSync(path.join(root, 'n/.wh..wh..opq')));
      assert.equal(layer.isOpaque(layer.lookup(layer.root(), 'n')), true);
      layer.removeName(layer.root(), 'n');
      assert.equal(fs.existsSync(path.join(root, 'n')), false);
      assert.throws(() => layer.createNode(a, '.wh.x', { type: 'file', mode: 0o644 }), { code: 'EINVAL' });
    } finally { layer.close(); removeTree(base); }
  });

  it("xattrs: 'user' is the kernel's userxattr format (user.overlay.*), trusted.* ignored", () => {
    const { base, root } = freshRoot({ 'u/': null, 't/': null });
    setXattrRaw(path.join(root, 'u'), 'user.overlay.opaque', 'y');
    setXattrRaw(path.join(root, 't'), 'trusted.overlay.opaque', 'y');
    const layer = new DirLayer(root, { xattrs: 'user' });
    try {
      assert.equal(layer.isOpaque(layer.lookup(layer.root(), 'u')), true);
      assert.equal(layer.isOpaque(layer.lookup(layer.root(), 't')), false);
      layer.createNode(layer.root(), 'n', { type: 'dir', mode: 0o755, opaque: true });
      assert.equal(getXattrRaw(path.join(root, 'n'), 'user.overlay.opaque'), 'y');
    } finally { layer.close(); removeTree(base); }
  });
});

describe('DirLayer without privileges', { skip: isRoot() && fs.existsSync('/usr/bin/setpriv') ? false : 'needs root to drop to nobody with setpriv' }, () => {
  const dist = path.dirname(fileURLToPath(import.meta.url));
  const asNobody = (script: string) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups',
    process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });

  it("opens a plain directory by default (userxattr format); { xattrs: 'trusted' } says why it cannot", () => {
    const base = scratchDir('nobody');
    fs.chmodSync(base, 0o777);
    const root = path.join(base, 'root');
    fs.mkdirSync(root);
    fs.chmodSync(root, 0o777);
    try {
      const layerModule = JSON.stringify(path.join(dist, '../bindings/layers/dir-layer.js'));
      const refused = asNobody(`import { DirLayer } from ${layerModule};
        try { new DirLayer(${JSON.stringify(root)}, { xattrs: 'trusted' }); console.log('opened'); } catch (e) { console.log(e.code, e.message); }`);
      assert.match(refused.stdout, /^EPERM .*CAP_SYS_ADMIN.*xattrs: 'user'.*--userxattr/, refused.stderr);
      const fallback = asNobody(`import { DirLayer } from ${layerModule};
        const l = new DirLayer(${JSON.stringify(root)});
        if (l.format.xattrs !== 'user') throw new Error('auto chose ' + l.format.xattrs);
        l.createNode(l.root(), 'd', { type: 'dir', mode: 0o755, opaque: true });
        l.putWhiteout(l.root(), 'gone');
        console.log('ok', l.isOpaque(l.lookup(l.root(), 'd')), l.lookup(l.root(), 'gone'));`);
      // Unprivileged whiteout creation is allowed since Linux 5.8.
      assert.match(fallback.stdout, /^ok true -1/, fallback.stderr);
      assert.ok(isWhiteoutOnDisk(path.join(root, 'gone')));
      assert.equal(getXattrRaw(path.join(root, 'd'), 'user.overlay.opaque'), 'y');
    } finally { removeTree(base); }
  });
});

describe('DirLayer watch', { skip: needRoot }, () => {
  async function until(events: LayerChange[], pred: (c: LayerChange) => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      if (events.some(pred)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`no event for ${what}; got ${JSON.stringify(events)}`);
  }

  it('reports host changes (create, remove, replace, whiteout, opaque, data) in directories it was asked about; its own writes once, at once', async () => {
    const { base, root } = freshRoot({ 'a/f': '1', 'a/g': '2', 'b/': null });
    const layer = new DirLayer(root, { watch: true });
    const events: LayerChange[] = [];
    layer.subscribe((c) => events.push(c));
    try {
      const a = layer.lookup(layer.root(), 'a');
      // Watching is lazy: a directory is watched once the layer is asked about its contents.
      assert.equal(layer.watchedDirectories, 1, 'the root only');
      layer.lookup(layer.lookup(layer.root(), 'b'), 'nothing');
      layer.list(a);
      assert.equal(layer.watchedDirectories, 3);
      layer.createNode(a, 'own', { type: 'file', mode: 0o644, data: bytes('x') });
      layer.putWhiteout(a, 'g');
      layer.writeData(layer.lookup(a, 'own'), bytes('y'));
      assert.deepEqual(events.splice(0), [
        { dir: '/a', name: 'own', kind: 'create' },
        { dir: '/a', name: 'g', kind: 'whiteout' },
        { dir: '/a', name: 'own', kind: 'data' },
      ], 'own writes are notified synchronously');
      fs.writeFileSync(path.join(root, 'a/new'), 'n');
      await until(events, (c) => c.dir === '/a' && c.name === 'new' && c.kind === 'create', 'create /a/new');
      assert.deepEqual(events.filter((c) => c.name === 'own' || c.name === 'g'), [], 'the watcher does not report own writes again');
      fs.unlinkSync(path.join(root, 'a/new'));
      await until(events, (c) => c.name === 'new' && c.kind === 'remove', 'remove /a/new');
      fs.rmSync(path.join(root, 'a/f'));
      fs.writeFileSync(path.join(root, 'a/f'), 'replaced');
      await until(events, (c) => c.name === 'f' && (c.kind === 'replace' || c.kind === 'create'), 'replace /a/f');
      makeWhiteoutDevice(path.join(root, 'b/w'));
      await until(events, (c) => c.dir === '/b' && c.name === 'w' && c.kind === 'whiteout', 'whiteout /b/w');
      setXattrRaw(path.join(root, 'b'), 'trusted.overlay.opaque', 'y');
      await until(events, (c) => c.dir === '/b' && c.name === '' && c.kind === 'opaque', 'opaque /b');
      fs.appendFileSync(path.join(root, 'a/g2'), 'x');
      fs.mkdirSync(path.join(root, 'c/d'), { recursive: true });
      fs.writeFileSync(path.join(root, 'c/d/deep'), 'x');
      await until(events, (c) => c.dir === '/' && c.name === 'c' && c.kind === 'create', 'create /c');
      // Not watched until asked about: then every later change is reported.
      assert.deepEqual(events.filter((c) => c.dir.startsWith('/c')), []);
      layer.lookup(layer.lookup(layer.lookup(layer.root(), 'c'), 'd'), 'deep');
      fs.appendFileSync(path.join(root, 'c/d/deep'), 'more');
      await until(events, (c) => c.dir === '/c/d' && c.name === 'deep' && c.kind === 'data', 'data /c/d/deep');
    } finally { layer.close(); removeTree(base); }
  });

  it('expire() and notifyChanged() report on request, without a watcher', () => {
    const { base, root } = freshRoot({ 'a/f': '1' });
    const layer = new DirLayer(root);
    const events: LayerChange[] = [];
    layer.subscribe((c) => events.push(c));
    try {
      layer.expire('/a/f');
      fs.rmSync(path.join(root, 'a/f'));
      layer.notifyChanged('/a/f');
      assert.deepEqual(events, [{ dir: '/a', name: 'f', kind: 'expire' }, { dir: '/a', name: 'f', kind: 'remove' }]);
    } finally { layer.close(); removeTree(base); }
  });
});
