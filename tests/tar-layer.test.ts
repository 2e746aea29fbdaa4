// OCI tar layers: the `.wh.` encoding becomes whiteouts and opaque marks, no `.wh.` name is ever
// visible through the overlay, and corrupt or hostile archives are refused whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Overlay, TarLayer } from '../bindings/index.js';
import { tarArchive as archive } from './helpers/tar-archive.js';

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
