// Adversarial: OCI tar layers whose members contradict each other. Tar's rule is last wins,
// whatever the member types; a member the layer cannot hold makes the whole archive corrupt —
// refused with EINVAL like every other corrupt or hostile archive, never some other error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type tar from 'tar-stream';
import { tarArchive } from './helpers/tar-archive.js';
import { MemoryLayer, Overlay, TarLayer } from '../bindings/index.js';

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
