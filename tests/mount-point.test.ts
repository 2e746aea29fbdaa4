// Issue 11 §4: a pnpm / npm-link tree carries absolute symlinks into the project. With
// `mountPoint` set to the project's host path they resolve inside the overlay, as on a kernel
// mount at that path (checked against one, as root); targets outside it resolve from the
// overlay's root, as without a mount point.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { mountOverlay, probeOverlayMount, unmountOverlay } from '../bindings/verify/kernel/kernel-mount.js';

const PROJ = '/home/u/proj';

/** A pnpm workspace: the store under node_modules/.pnpm, links to it and between packages absolute. */
function pnpmTree(lower: MemoryLayer | string, root: string): void {
  const files: [string, string][] = [
    ['/package.json', '{"name":"root"}'],
    ['/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/index.js', 'module.exports = "lodash";'],
    ['/packages/lib/index.js', 'export const lib = 1;'],
    ['/packages/app/index.js', 'import { lib } from "@scope/lib";'],
    ['/usr/lib/x', 'inside the overlay'],
  ];
  const links: [string, string][] = [
    ['/node_modules/lodash', `${root}/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash`],
    ['/packages/app/node_modules/@scope/lib', `${root}/packages/lib`],
    ['/packages/app/node_modules/lodash', '../../../node_modules/.pnpm/lodash@4.17.21/node_modules/lodash'],
    ['/self', root],
    ['/odd', `${root.replace(/\//g, '//')}/./packages/lib`],
    ['/sibling', `${root}X/packages/lib`],
    ['/outside', '/usr/lib/x'],
  ];
  for (const [p, data] of files) {
    if (typeof lower === 'string') {
      fs.mkdirSync(path.dirname(lower + p), { recursive: true });
      fs.writeFileSync(lower + p, data);
    } else {
      lower.mkdir(path.posix.dirname(p), { recursive: true });
      lower.writeFile(p, data);
    }
  }
  for (const [p, target] of links) {
    if (typeof lower === 'string') {
      fs.mkdirSync(path.dirname(lower + p), { recursive: true });
      fs.symlinkSync(target, lower + p);
    } else {
      lower.mkdir(path.posix.dirname(p), { recursive: true });
      lower.symlink(target, p);
    }
  }
}

/** What the checks ask of each path: its content or listing, its real path, or the error. */
const PROBES = [
  '/node_modules/lodash/index.js', '/packages/app/node_modules/@scope/lib/index.js',
  '/packages/app/node_modules/lodash/index.js', '/self/packages/lib/index.js', '/self', '/odd/index.js',
  '/sibling/index.js', '/node_modules/lodash', '/packages/app/node_modules/@scope/lib',
];

type Answer = string;

function probe(read: (p: string) => string, real: (p: string) => string, p: string): Answer {
  const attempt = (f: () => string) => {
    try {
      return f();
    } catch (err) {
      return `error ${(err as { code?: string }).code}`;
    }
  };
  return `${attempt(() => read(p))} @ ${attempt(() => real(p))}`;
}

function overlayAnswers(ov: Overlay): Answer[] {
  const read = (p: string) => ov.stat(p).isDirectory() ? ov.readdir(p).join(',') : ov.readFile(p, 'utf8') as string;
  return PROBES.map((p) => probe(read, (q) => ov.realpath(q), p));
}

test('mountPoint: absolute links into the project resolve inside the overlay', () => {
  const lower = new MemoryLayer();
  pnpmTree(lower, PROJ);
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), mountPoint: `${PROJ}/` });
  assert.equal(ov.mountPoint, PROJ);
  assert.equal(ov.readFile('/node_modules/lodash/index.js', 'utf8'), 'module.exports = "lodash";');
  assert.equal(ov.realpath('/packages/app/node_modules/@scope/lib'), '/packages/lib');
  assert.equal(ov.realpath('/self'), '/');
  assert.equal(ov.realpath('/odd'), '/packages/lib', "'//' and '.' in the target");
  // readlink is the link as stored, a host path.
  assert.equal(ov.readlink('/node_modules/lodash'), `${PROJ}/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash`);
  // A target outside the mount point (or only sharing a prefix of its name) resolves from the root.
  assert.equal(ov.readFile('/outside', 'utf8'), 'inside the overlay');
  assert.throws(() => ov.stat('/sibling'), { code: 'ENOENT' });
  // Writes go through the links into the overlay's own tree.
  ov.writeFile('/packages/app/node_modules/@scope/lib/new.js', 'new');
  assert.equal(ov.readFile('/packages/lib/new.js', 'utf8'), 'new');
});

test('mountPoint: without it an absolute link into the project dangles (as before)', () => {
  const lower = new MemoryLayer();
  pnpmTree(lower, PROJ);
  const ov = new Overlay({ lowers: [lower] });
  assert.equal(ov.mountPoint, undefined);
  assert.throws(() => ov.stat('/node_modules/lodash'), { code: 'ENOENT' });
  assert.equal(ov.readFile('/packages/app/node_modules/lodash/index.js', 'utf8'), 'module.exports = "lodash";', 'relative links are unaffected');
});

test('mountPoint: a bad value is an argument error', () => {
  const lowers = [new MemoryLayer()];
  assert.throws(() => new Overlay({ lowers, mountPoint: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.throws(() => new Overlay({ lowers, mountPoint: 'home/u' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.throws(() => new Overlay({ lowers, mountPoint: '/home/../etc' }), { code: 'ERR_INVALID_ARG_VALUE' });
  assert.equal(new Overlay({ lowers, mountPoint: '/' }).mountPoint, '/');
});

const support = probeOverlayMount();
const skip = support.ok ? false : `overlayfs cannot be mounted here: ${support.reason}`;

describe('mountPoint against a kernel mount at that path', { skip }, () => {
  test('the same answers for every link of a pnpm tree', () => {
    // Not a 'kdiff' scratch dir: the kernel differential's leftover sweep would unmount it under us.
    const dir = scratchDir('mount-point');
    const mnt = path.join(dir, 'mnt');
    const lowerDir = path.join(dir, 'lower');
    for (const d of [mnt, lowerDir, path.join(dir, 'upper'), path.join(dir, 'work')]) fs.mkdirSync(d);
    pnpmTree(lowerDir, mnt);
    let mounted = false;
    try {
      mountOverlay({ lowers: [lowerDir], upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), target: mnt, redirectDir: false, userxattr: support.userxattr });
      mounted = true;
      const kernel = PROBES.map((p) => probe(
        (q) => fs.statSync(mnt + q).isDirectory() ? fs.readdirSync(mnt + q).sort().join(',') : fs.readFileSync(mnt + q, 'utf8'),
        (q) => {
          const r = fs.realpathSync(mnt + q);
          return r === mnt ? '/' : r.startsWith(`${mnt}/`) ? r.slice(mnt.length) : `host:${r}`;
        },
        p,
      ));
      // Only the link to a name that merely starts like the mount point dangles on the kernel too.
      assert.deepEqual(kernel.filter((a) => a.startsWith('error')), ['error ENOENT @ error ENOENT']);
      const lower = new DirLayer(lowerDir, { readOnly: true, xattrs: support.userxattr ? 'user' : 'trusted' });
      const ov = new Overlay({ lowers: [lower], mountPoint: mnt });
      assert.deepEqual(overlayAnswers(ov).map((a, i) => `${PROBES[i]}: ${a}`), kernel.map((a, i) => `${PROBES[i]}: ${a}`));
    } finally {
      if (mounted) unmountOverlay(mnt);
      removeTree(dir);
    }
  });
});
