// Adversarial: OCI tar layers whose members contradict each other. Tar's rule is last wins,
// whatever the member types; a member the layer cannot hold makes the whole archive corrupt —
// refused with EINVAL like every other corrupt or hostile archive, never some other error.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type tar from 'tar-stream';
import { tarArchive, zstdFrame, zstdStored } from './helpers/tar-archive.js';
import { scratchDir, removeTree } from '../bindings/verify/kernel/host-fixtures.js';
import { MemoryLayer, Overlay, TarLayer } from '../bindings/index.js';
import { createRng, testSeeds } from '../bindings/verify/prng.js';
import { DEFAULT_MAX_BYTES } from '../bindings/layers/tar-layer.js';

type Header = Partial<tar.Headers> & { name: string };

/** Members as [header, data] pairs, as tar-stream takes them. */
const archive = (members: [Header, string?][]) => tarArchive(members.map(([h, data]) => ({ ...h, data })));

/** The whole merged tree, one token per object. */
function tree(ov: Overlay, p = '/'): string[] {
  const st = ov.lstat(p);
  if (st.isSymbolicLink()) return [`${p}->${ov.readlink(p)}`];
  if (!st.isDirectory()) return [`${p}=${ov.readFile(p, 'utf8') as string}`];
  return [`${p}/`.replace('//', '/'), ...ov.readdir(p).flatMap((n) => tree(ov, p === '/' ? `/${n}` : `${p}/${n}`))];
}

test('a directory member replaces an earlier non-directory member of the same name', async () => {
  const layer = await TarLayer.load(await archive([
    [{ name: 'a', type: 'file' }, 'was a file'],
    [{ name: 'a/', type: 'directory', mode: 0o700 }],
    [{ name: 'a/b', type: 'file' }, 'b'],
    [{ name: 's', type: 'symlink', linkname: 'x' }],
    [{ name: 's', type: 'directory' }],
  ]));
  const lower = new MemoryLayer();
  lower.mkdir('/a');
  lower.writeFile('/a/lower', 'l');
  const ov = new Overlay({ lowers: [layer, lower] });
  assert.deepEqual(tree(ov), ['/', '/a/', '/a/b=b', '/a/lower=l', '/s/']);
  assert.equal(ov.stat('/a').mode & 0o777, 0o700);
});

test('members the layer cannot hold make the archive corrupt (EINVAL), not some stray error', async () => {
  const cases: [string, [Header, string?][]][] = [
    ['hard link to nothing', [[{ name: 'h', type: 'link', linkname: 'nope' }]]],
    ['hard link to a directory', [[{ name: 'd/', type: 'directory' }], [{ name: 'h', type: 'link', linkname: 'd' }]]],
    ['a path through a symlink member', [[{ name: 'a', type: 'symlink', linkname: '/etc' }], [{ name: 'a/passwd', type: 'file' }, 'x']]],
    ['a path through a file member', [[{ name: 'f', type: 'file' }, 'x'], [{ name: 'f/g', type: 'file' }, 'y']]],
  ];
  for (const [what, members] of cases) {
    await assert.rejects(TarLayer.load(await archive(members)), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EINVAL', `${what}: ${err.message}`);
      assert.match(err.message, /corrupt or unsafe tar layer/, what);
      return true;
    }, what);
  }
});

/** Rejects with the archive EINVAL, its message matching `why`. */
async function refused(load: Promise<unknown>, why: RegExp, what: string): Promise<void> {
  await assert.rejects(load, (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'EINVAL', `${what}: ${err.message}`);
    assert.equal(err.syscall, 'open', what);
    assert.match(err.message, /corrupt or unsafe tar layer/, what);
    assert.match(err.message, why, what);
    return true;
  }, what);
}

// Before the fix a negative PAX size left tar-stream waiting forever (load never settled): the
// timeout turns such a hang into a failure instead of a stuck run.
test('headers tar-stream passes through unchecked (negative or non-numeric PAX size, a directory with data) reject', { timeout: 60_000 }, async () => {
  const cases: [string, Header, RegExp][] = [
    ['PAX size -5', { name: 'f', type: 'file', pax: { size: '-5' } } as Header, /bad size -5/],
    ['PAX size not a number', { name: 'f', type: 'file', pax: { size: 'lots' } } as Header, /bad size/],
    ['PAX uid out of range', { name: 'f', type: 'file', pax: { uid: '99999999999' } } as Header, /bad uid/],
    ['PAX mtime not a number', { name: 'f', type: 'file', pax: { mtime: 'soon' } } as Header, /bad mtime/],
  ];
  for (const [what, header, why] of cases) await refused(TarLayer.load(await archive([[header, 'data'], [{ name: 'g', type: 'file' }, 'g']])), why, what);
  // A size field marked base-256 with a bad marker byte: tar-stream reads null and waits forever
  // (found by the mutation test below); and one that is not octal at all (NaN).
  for (const [what, field, why] of [['size null', [0x81], /bad size null/], ['size NaN', [0x7a, 0x7a, 0x7a], /bad size NaN/]] as const) {
    const bytes = await archive([[{ name: 'f', type: 'file' }, 'x'], [{ name: 'g', type: 'file' }, 'g']]);
    bytes.set(field, 124);
    fixChecksum(bytes, 0);
    await refused(TarLayer.load(bytes), why, what);
  }
  // A directory header claiming data: tar-stream never ends its stream.
  const dir = await archive([[{ name: 'd/', type: 'directory' }], [{ name: 'f', type: 'file' }, 'x'.repeat(600)]]);
  dir.write('0001130\0', 124, 'latin1'); // the size field: 600 bytes
  fixChecksum(dir, 0);
  await refused(TarLayer.load(dir), /directory member with data/, 'directory with data');
});

/** Recompute a ustar header's checksum after editing it. */
function fixChecksum(buf: Buffer, at: number): void {
  buf.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += buf[i];
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', at + 148, 'latin1');
}

test('decompressed size is bounded by maxBytes (gzip and zstd bombs, a big plain file)', { timeout: 120_000 }, async () => {
  assert.equal(DEFAULT_MAX_BYTES, 2 ** 30);
  const mib = 2 ** 20;
  // 64 MiB of zeros: gzip makes it ~64 KiB, zstd RLE blocks 2 KiB; tar reads zeros as end blocks.
  const gzipBomb = gzipSync(Buffer.alloc(64 * mib));
  assert.ok(gzipBomb.length < mib);
  await refused(TarLayer.load(gzipBomb, { maxBytes: 4 * mib }), /more than 4194304 bytes of tar data after gzip decompression \(the maxBytes option\)/, 'gzip bomb');
  const zstdBomb = zstdFrame(Array.from({ length: 512 }, () => ({ rle: 0, size: 128 * 1024 })));
  assert.ok(zstdBomb.length < 4096);
  await refused(TarLayer.load(zstdBomb, { maxBytes: 4 * mib }), /after zstd decompression/, 'zstd bomb');
  const dir = scratchDir('tar-bound');
  try {
    const file = path.join(dir, 'big.tar');
    fs.writeFileSync(file, Buffer.alloc(8 * mib));
    await refused(TarLayer.load(file, { maxBytes: 4 * mib }), /more than 4194304 bytes of tar data \(the maxBytes/, 'plain file');
  } finally {
    removeTree(dir);
  }
  // A member declaring more than the bound is refused at its header, before its data is held.
  const huge = await archive([[{ name: 'big', type: 'file', pax: { size: String(2 ** 40) } } as Header, 'x']]);
  await refused(TarLayer.load(huge, { maxBytes: 4 * mib }), /member 'big': members declare more than 4194304 bytes/, 'declared size');
  // Under the bound, the same archive loads.
  assert.equal((await TarLayer.load(gzipSync(await archive([[{ name: 'f', type: 'file' }, 'x']])), { maxBytes: 4 * mib })).entries, 1);
  await assert.rejects(TarLayer.load(Buffer.alloc(0), { maxBytes: 0 }), RangeError);
});

test('corrupt zstd streams reject with EINVAL, and a window over 128 MiB is refused before allocation', { timeout: 60_000 }, async () => {
  const good = zstdStored(await archive([[{ name: 'f', type: 'file' }, 'x'.repeat(5000)]]));
  await refused(TarLayer.load(good.subarray(0, good.length - 100)), /zstd/, 'truncated zstd');
  await refused(TarLayer.load(Buffer.concat([good.subarray(0, 6), Buffer.from([0x07, 0xff, 0xff, 1, 2, 3])])), /zstd/, 'bad block type');
  await refused(TarLayer.load(zstdFrame([{ rle: 0, size: 1024 }], 30)), /zstd window of 1073741824 bytes is over the 134217728-byte limit/, 'huge window');
  // A later frame is checked too (a pure-JS decoder allocates each frame's window), and a
  // skippable frame before the data is passed over.
  const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
  const tarBytes = await archive([[{ name: 'f', type: 'file' }, 'x']]);
  assert.equal((await TarLayer.load(Buffer.concat([skippable, zstdStored(tarBytes)]))).entries, 1);
  // A tar split over two frames (as parallel compressors write it) loads whole: node:zlib's zstd
  // on Node 22 stops after the first frame and dropped the rest without an error.
  const two = await archive([[{ name: 'a', type: 'file' }, 'x'], [{ name: 'b', type: 'file' }, 'y']]);
  assert.equal((await TarLayer.load(Buffer.concat([zstdStored(two.subarray(0, 512)), zstdStored(two.subarray(512))]))).entries, 2);
  await refused(TarLayer.load(Buffer.concat([zstdStored(tarBytes), skippable, zstdFrame([{ rle: 0, size: 1024 }], 30)])),
    /zstd window of 1073741824 bytes/, 'huge window in a later frame');
  await refused(TarLayer.load(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3])), /gzip/, 'truncated gzip');
});

test('archive xattrs cannot forge overlay marks or (nosuid) file capabilities', async () => {
  const layer = await TarLayer.load(await archive([[{ name: 'f', type: 'file', pax: {
    'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.overlay.redirect': '/x',
    'SCHILY.xattr.security.capability': 'cap', 'SCHILY.xattr.user.note': 'kept',
  } } as Header, 'f']]));
  const h = layer.handleAt('/f');
  assert.deepEqual(Object.keys(layer.xattrs(h)), ['user.note']);
  const trusted = await TarLayer.load(await archive([[{ name: 'f', type: 'file', pax: { 'SCHILY.xattr.security.capability': 'cap' } } as Header, 'f']]), { nosuid: false });
  assert.deepEqual(Object.keys(trusted.xattrs(trusted.handleAt('/f'))), ['security.capability']);
});

// Seeded mutations of a valid archive (headers re-checksummed most of the time so they reach
// tar-stream's later checks and ours): every load settles, as a layer or as EINVAL. A hang fails
// by the test's timeout, never by a timed assertion.
test('mutated archives always settle: a layer or EINVAL, nothing else', { timeout: 120_000 }, async () => {
  const valid = await archive([
    [{ name: 'etc/', type: 'directory' }], [{ name: 'etc/hosts', type: 'file' }, 'h'.repeat(700)],
    [{ name: 'etc/.wh.passwd', type: 'file' }], [{ name: 'bin/sh', type: 'file' }, 'ELF'],
    [{ name: 'bin/bash', type: 'link', linkname: 'bin/sh' }],
    [{ name: `long/${'n'.repeat(120)}/${'m'.repeat(120)}`, type: 'file', pax: { 'SCHILY.xattr.user.a': 'b', mtime: '1.5' } } as Header, 'deep'],
    [{ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 }],
  ]);
  for (const seed of testSeeds([1, 2], 1, 'tar mutation')) {
    const rng = createRng(seed);
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const bytes = Buffer.from(valid);
      for (let k = 1 + rng.int(8); k > 0; k--) {
        const at = rng.chance(0.7) ? 512 * rng.int(bytes.length / 512) + rng.int(512) : rng.int(bytes.length);
        bytes[at] = rng.chance(0.5) ? rng.int(256) : rng.pick([0x30, 0x37, 0x2d, 0x20, 0, 0x78, 0x80, 0xff]);
      }
      if (rng.chance(0.7)) {
        for (let at = 0; at + 512 <= bytes.length; at += 512) {
          if (bytes.subarray(at + 257, at + 262).toString('latin1') === 'ustar') fixChecksum(bytes, at);
        }
      }
      const outcome = await TarLayer.load(rng.chance(0.3) ? gzipSync(bytes) : bytes).then(
        () => 'layer',
        (err: NodeJS.ErrnoException) => (err.code === 'EINVAL' ? 'EINVAL' : `${err.code}: ${err.message}`),
      );
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      assert.ok(outcome === 'layer' || outcome === 'EINVAL', `seed ${seed} case ${i}: ${outcome}`);
    }
    assert.ok(outcomes.layer > 0 && outcomes.EINVAL > 0, `seed ${seed}: both outcomes occur (${JSON.stringify(outcomes)})`);
  }
});
