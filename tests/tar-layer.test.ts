// OCI tar layers: the `.wh.` encoding becomes whiteouts and opaque marks, no `.wh.` name is ever
// visible through the overlay, ownership and device numbers come from the archive (set-id bits
// and devices only when trusted), gzip and zstd are found by magic bytes, whole-image archives
// are refused with advice, and corrupt or hostile archives are refused whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemoryLayer, Overlay, TarLayer } from '../bindings/index.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import * as layerApi from '../bindings/layers/layer.js';
import * as memoryApi from '../bindings/layers/memory-layer.js';
import { makedev } from '../bindings/layers/tar/layer-builder.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { tarArchive as archive, zstdStored } from './helpers/tar-archive.js';

const base = () => archive([
  { name: 'etc/', type: 'directory' },
  { name: 'etc/hosts', data: 'base hosts' },
  { name: 'etc/passwd', data: 'root:x:0:0' },
  { name: 'var/', type: 'directory' },
  { name: 'var/cache/', type: 'directory' },
  { name: 'var/cache/old', data: 'stale' },
  { name: 'bin/sh', data: 'ELF' },
  { name: 'bin/bash', type: 'link', linkname: 'bin/sh' },
  { name: 'usr/bin/env', type: 'symlink', linkname: '/bin/sh' },
]);

const patch = () => archive([
  { name: 'etc/.wh.passwd' },
  { name: 'var/cache/.wh..wh..opq' },
  { name: 'var/cache/new', data: 'fresh' },
  { name: 'etc/hosts', data: 'patched hosts' },
]);

test('fact 4/5/7: OCI whiteouts and opaque markers apply, and no .wh. name is visible', async () => {
  const lower = await TarLayer.load(await base());
  const top = await TarLayer.load(gzipSync(await patch()));
  const ov = new Overlay({ lowers: [top, lower] });
  assert.equal(ov.readFile('/etc/hosts', 'utf8'), 'patched hosts');
  assert.equal(ov.exists('/etc/passwd'), false, 'whiteout hides the lower file');
  assert.deepEqual(ov.readdir('/etc').sort(), ['hosts']);
  assert.deepEqual(ov.readdir('/var/cache').sort(), ['new'], 'opaque directory hides the lower contents');
  assert.equal(ov.exists('/etc/.wh.passwd'), false);
  assert.equal(ov.exists('/var/cache/.wh..wh..opq'), false);
  assert.equal(ov.readFile('/bin/bash', 'utf8'), 'ELF');
  assert.equal(ov.stat('/bin/bash').ino, ov.stat('/bin/sh').ino, 'hard links share an inode');
  assert.equal(ov.readlink('/usr/bin/env'), '/bin/sh');
  assert.equal(ov.stat('/etc/hosts').mtimeMs, 1_700_000_000_000, 'times come from the archive');
  assert.throws(() => ov.writeFile('/etc/hosts', 'x'), { code: 'EROFS' });
});

test('a tar layer is read-only but can sit under a writable upper', async () => {
  const { MemoryLayer } = await import('../bindings/index.js');
  const ov = new Overlay({ lowers: [await TarLayer.load(await base())], upper: new MemoryLayer() });
  ov.writeFile('/etc/hosts', 'mine');
  assert.equal(ov.readFile('/etc/hosts', 'utf8'), 'mine');
  assert.equal(ov.resolve('/etc/hosts').layer, 'upper');
});

test('corrupt and hostile archives are refused with EINVAL', async () => {
  const good = await base();
  const truncated = good.subarray(0, 700);
  const garbage = Buffer.alloc(1024, 0x41);
  const escape = await archive([{ name: '../../etc/shadow', data: 'x' }]);
  const longName = await archive([{ name: 'a/' + 'n'.repeat(300), data: 'x' }]);
  const badGzip = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(50, 7)]);
  for (const [what, bytes] of [['truncated', truncated], ['garbage', garbage], ['escape', escape], ['long name', longName], ['bad gzip', badGzip]] as const) {
    await assert.rejects(TarLayer.load(bytes), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EINVAL', `${what}: ${err.message}`);
      assert.match(err.message, /tar layer/);
      return true;
    }, what);
  }
  await assert.rejects(TarLayer.load(42 as unknown as Uint8Array), TypeError);
  await assert.rejects(TarLayer.load('/nonexistent/layer.tar'), { code: 'ENOENT' });
});

test('TarLayer wraps its tree: only the Layer interface, every write refused with EROFS', async () => {
  const layer = await TarLayer.load(await base());
  assert.equal(layer instanceof MemoryLayer, false);
  for (const method of ['writeFile', 'mkdir', 'unlink', 'rmdir', 'rename', 'chmod', 'symlink', 'link', 'mknod', 'whiteout', 'setOpaque', 'clone']) {
    assert.equal((layer as unknown as Record<string, unknown>)[method], undefined, `no ${method}`);
  }
  const etc = layer.lookup(layer.root(), 'etc');
  const hosts = layer.lookup(etc, 'hosts');
  const before = layer.snapshot();
  for (const write of [
    () => layer.createNode(etc, 'x', { type: 'file', mode: 0o644 }), () => layer.writeData(hosts, new Uint8Array(1)),
    () => layer.setMode(hosts, 0o777), () => layer.setOwner(hosts, 1, 1), () => layer.setTimes(hosts, 0, 0),
    () => layer.setXattr(hosts, 'user.x', new Uint8Array(1)), () => layer.setOpaqueMark(etc, true),
    () => layer.setRedirectMark(etc, '/x'), () => layer.removeName(etc, 'hosts'), () => layer.putWhiteout(etc, 'hosts'),
    () => layer.renameName(etc, 'hosts', etc, 'h2'), () => layer.linkName(hosts, etc, 'h3'),
  ]) assert.throws(write, { code: 'EROFS' });
  assert.equal(layer.snapshot(), before);
  assert.equal(layer.writable, false);
  // The mode constants live with the Layer interface; memory-layer re-exports the same values.
  for (const k of ['S_IFMT', 'S_IFREG', 'S_IFDIR', 'S_IFLNK', 'S_IFCHR', 'S_IFBLK', 'S_IFIFO', 'S_IFSOCK'] as const) {
    assert.equal(typeof layerApi[k], 'number', k);
    assert.equal(memoryApi[k], layerApi[k], k);
  }
});

const owned = () => archive([
  { name: 'srv/', type: 'directory', uid: 1000, gid: 1001, mode: 0o2775 },
  { name: 'srv/suid', data: 'payload', mode: 0o4777, uid: 65534, gid: 65534 },
  { name: 'srv/plain', data: 'p', mode: 0o640, uid: 42, gid: 43 },
  { name: 'srv/big-ids', data: 'b', pax: { uid: '4000000000', gid: '3000000000' } } as never,
]);

test('ownership comes from the archive and survives copy-up; nosuid (the default) strips set-id bits', async () => {
  const ov = new Overlay({ lowers: [await TarLayer.load(await owned())], upper: new MemoryLayer() });
  const st = ov.stat('/srv/suid');
  assert.deepEqual([st.uid, st.gid, st.mode & 0o7777], [65534, 65534, 0o777], 'owner kept, setuid stripped');
  assert.deepEqual([ov.stat('/srv/plain').uid, ov.stat('/srv/plain').gid], [42, 43]);
  assert.deepEqual([ov.stat('/srv/big-ids').uid, ov.stat('/srv/big-ids').gid], [4000000000, 3000000000], 'PAX ids');
  assert.deepEqual([ov.stat('/srv').uid, ov.stat('/srv').gid, ov.stat('/srv').mode & 0o7777], [1000, 1001, 0o2775], 'a setgid directory keeps it');
  ov.appendFile('/srv/suid', '!');
  assert.equal(ov.resolve('/srv/suid').layer, 'upper');
  const up = ov.stat('/srv/suid');
  assert.deepEqual([up.uid, up.gid, up.mode & 0o7777], [65534, 65534, 0o777], 'the copy-up keeps the archive owner');
  assert.deepEqual([ov.stat('/srv').uid, ov.stat('/srv').gid], [1000, 1001], 'copied-up parent keeps its owner');

  const trusted = new Overlay({ lowers: [await TarLayer.load(await owned(), { nosuid: false })], upper: new MemoryLayer() });
  assert.equal(trusted.stat('/srv/suid').mode & 0o7777, 0o4777, 'a trusted archive keeps setuid');
});

test('copy-up of an archive member into a host upper (DirLayer, as root) keeps its owner and no setuid', { skip: isRoot() ? false : 'needs root (chown)' }, async () => {
  const dir = scratchDir('tar-upper');
  const upper = new DirLayer(dir);
  try {
    const ov = new Overlay({ lowers: [await TarLayer.load(await owned())], upper });
    ov.appendFile('/srv/suid', '!');
    const host = fs.statSync(path.join(dir, 'srv/suid'));
    assert.deepEqual([host.uid, host.gid, host.mode & 0o7777], [65534, 65534, 0o777]);
    assert.equal(fs.readFileSync(path.join(dir, 'srv/suid'), 'utf8'), 'payload!');
    const parent = fs.statSync(path.join(dir, 'srv'));
    assert.deepEqual([parent.uid, parent.gid], [1000, 1001]);
  } finally {
    upper.close();
    removeTree(dir);
  }
});

const devices = () => archive([
  { name: 'dev/', type: 'directory' },
  { name: 'dev/sda256', type: 'block-device', devmajor: 8, devminor: 256, mode: 0o660, uid: 0, gid: 6 },
  { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
  { name: 'dev/big', type: 'character-device', devmajor: 4095, devminor: 0o777777, mode: 0o600 }, // tar-stream packs 6 octal digits,
  { name: 'dev/null-link', type: 'link', linkname: 'dev/null' },
  { name: 'dev/fifo', type: 'fifo', mode: 0o644 },
]);

test('device numbers use Linux makedev(); nodev (the default) leaves devices out, listing them', async () => {
  // glibc: makedev(8, 256) = 0x100800 (8:256 must not become 9:0), makedev(4095, 0xfffff) = 0xfffffff.
  assert.equal(makedev(8, 256), 0x100800);
  assert.equal(makedev(1, 3), 0x103);
  assert.equal(makedev(4095, 0xfffff), 0xffffffff);
  assert.equal(makedev(4096, 0), 2 ** 44);
  const safe = await TarLayer.load(await devices());
  const ov = new Overlay({ lowers: [safe] });
  assert.deepEqual(ov.readdir('/dev').sort(), ['fifo']);
  assert.deepEqual([...safe.omitted].sort(), ['/dev/big', '/dev/null', '/dev/null-link', '/dev/sda256']);
  assert.ok(ov.stat('/dev/fifo').isFIFO());

  const trusted = await TarLayer.load(await devices(), { nodev: false });
  const tov = new Overlay({ lowers: [trusted], upper: new MemoryLayer() });
  const sda = tov.stat('/dev/sda256');
  assert.ok(sda.isBlockDevice());
  assert.deepEqual([sda.rdev, sda.mode & 0o7777, sda.gid], [0x100800, 0o660, 6]);
  assert.equal(tov.stat('/dev/null').rdev, 0x103);
  assert.equal(tov.stat('/dev/big').rdev, 0x3fffffff);
  assert.equal(tov.stat('/dev/null-link').ino, tov.stat('/dev/null').ino);
  tov.utimes('/dev/sda256', 5, 5);
  assert.equal(tov.resolve('/dev/sda256').layer, 'upper');
  assert.equal(tov.stat('/dev/sda256').rdev, 0x100800, 'the copy-up keeps the device number');
});

test('OCI whiteouts apply to lower layers only (image-spec): a same-layer name stays, a directory becomes opaque', async () => {
  const lower = new MemoryLayer();
  lower.mkdir('/d');
  lower.writeFile('/d/old', 'lower');
  lower.mkdir('/e');
  lower.writeFile('/e/old', 'lower');
  lower.writeFile('/x', 'lower x');
  lower.writeFile('/y', 'lower y');
  lower.writeFile('/cdev', 'lower');
  lower.mkdir('/gone');
  lower.writeFile('/gone/inner', 'lower');
  const layer = await TarLayer.load(await archive([
    { name: 'x', data: 'same-layer x' }, { name: '.wh.x' }, // whiteout after its target
    { name: '.wh.y' }, { name: 'y', data: 'same-layer y' }, // whiteout before its target
    { name: '.wh.d' }, { name: 'd/new', data: 'n' }, // recreated directory: the lower one is gone
    { name: 'e/' , type: 'directory' }, { name: 'e/new', data: 'n' }, { name: '.wh.e' },
    { name: 'cdev', type: 'character-device', devmajor: 0, devminor: 0 }, // the kernel's whiteout
    { name: '.wh.gone' }, { name: 'gone/.wh.inner' }, { name: 'gone/.wh..wh..opq' }, // `rm -rf gone`, as some tools write it
    { name: 'gone/x', type: 'character-device', devmajor: 0, devminor: 0 },
  ]));
  const ov = new Overlay({ lowers: [layer, lower] });
  assert.equal(ov.readFile('/x', 'utf8'), 'same-layer x');
  assert.equal(ov.readFile('/y', 'utf8'), 'same-layer y');
  assert.deepEqual(ov.readdir('/d'), ['new']);
  assert.deepEqual(ov.readdir('/e'), ['new']);
  assert.equal(ov.exists('/cdev'), false, 'a 0/0 character device hides the lower name, as on a kernel mount');
  assert.equal(ov.exists('/gone'), false, 'a whiteout under a deleted name does not bring it back');
  assert.deepEqual(ov.readdir('/').sort(), ['d', 'e', 'x', 'y']);
});

// A small real zstd layer (made with `zstd -19`): a directory, a file, a whiteout, an owned tool.
const ZSTD_LAYER = Buffer.from(
  'KLUv/WQADx0FAEKHFxhwbw7IGxM9msQO4HFmQUhCZpMNvoAJeGTP9Z67PVE0CchR+j9TSQmloakGIJiiBR/GTHkFxYEYyZXt' +
  '68a8+6KE8YmTICP9dYJTUsrK3P929u+71/E2dmXM/V+JZcYZIGAlKUl1+KE//JsAxgaoEzl1wmJGxgBSPkbFPTxFipkBJAVM' +
  'lRrAqhuC7WE0OMAC0qUAHAEsnSA1FQCC1+HpaAFUVYiG', 'base64');

test('zstd layers (application/vnd.oci.image.layer.v1.tar+zstd) load; compression is sniffed, not named', async () => {
  const lower = new MemoryLayer();
  lower.mkdir('/etc');
  lower.writeFile('/etc/passwd', 'root');
  const ov = new Overlay({ lowers: [await TarLayer.load(ZSTD_LAYER), lower] });
  assert.equal(ov.readFile('/etc/os-release', 'utf8'), 'NAME="zstd layer"\n'.repeat(20));
  assert.equal(ov.exists('/etc/passwd'), false);
  assert.deepEqual([ov.stat('/bin/tool').uid, ov.stat('/bin/tool').mode & 0o777], [1000, 0o755]);
  const stored = await TarLayer.load(zstdStored(await base()));
  assert.equal(new Overlay({ lowers: [stored] }).readFile('/etc/hosts', 'utf8'), 'base hosts');

  // File names say nothing: a gzip named .tar and a zstd named .gz both load.
  const dir = scratchDir('tar-sniff');
  try {
    fs.writeFileSync(path.join(dir, 'layer.tar'), gzipSync(await base()));
    fs.writeFileSync(path.join(dir, 'layer.tar.gz'), ZSTD_LAYER);
    assert.equal(new Overlay({ lowers: [await TarLayer.load(path.join(dir, 'layer.tar'))] }).readFile('/etc/hosts', 'utf8'), 'base hosts');
    assert.equal((await TarLayer.load(path.join(dir, 'layer.tar.gz'))).entries, 4);
  } finally {
    removeTree(dir);
  }
  for (const [what, magic] of [['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]], ['bzip2', [0x42, 0x5a, 0x68, 0x39]]] as const) {
    await assert.rejects(TarLayer.load(Buffer.concat([Buffer.from(magic), Buffer.alloc(600)])), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EINVAL');
      assert.match(err.message, new RegExp(`${what} compression is not supported`));
      return true;
    });
  }
});

test('a whole image (OCI image layout or docker save) given as a layer is refused, naming the layer blobs', async () => {
  const digest = (c: string) => c.repeat(64);
  const manifest = { schemaVersion: 2, layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${digest('a')}` },
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: `sha256:${digest('b')}` },
  ] };
  const oci = await archive([
    { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
    { name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ digest: `sha256:${digest('c')}` }] }) },
    { name: `blobs/sha256/${digest('c')}`, data: JSON.stringify(manifest) },
    { name: `blobs/sha256/${digest('a')}`, data: 'x' },
    { name: `blobs/sha256/${digest('b')}`, data: 'y' },
  ]);
  await assert.rejects(TarLayer.load(oci), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'EINVAL');
    assert.match(err.message, /^EINVAL: not a tar layer, open '<buffer>': this is an OCI image layout/);
    assert.ok(err.message.includes(`--lower blobs/sha256/${digest('b')} --lower blobs/sha256/${digest('a')}`), err.message);
    return true;
  });
  const docker = await archive([
    { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]) },
    { name: 'l1/layer.tar', data: 'x' },
    { name: 'l2/layer.tar', data: 'y' },
  ]);
  await assert.rejects(TarLayer.load(gzipSync(docker)), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'EINVAL');
    assert.match(err.message, /docker save/);
    assert.ok(err.message.includes('--lower l2/layer.tar --lower l1/layer.tar'), err.message);
    return true;
  });
  // A layer that merely holds a file called manifest.json is a layer.
  assert.equal((await TarLayer.load(await archive([{ name: 'manifest.json', data: '{"name":"pkg"}' }]))).entries, 1);
});
