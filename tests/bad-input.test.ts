// Bad input: every refused call gets the right Node-style error (code, syscall, path), leaves every
// layer byte-for-byte unchanged (tree, types, modes, data, xattrs, whiteouts, times, inodes), and
// the overlay answers correctly afterwards. Run against the engine and the reference model.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import type { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { assertFsError, type ExpectedError } from './helpers/assert-fs.js';
import { forEachImplementation, type AnyOverlay } from './helpers/implementations.js';
import { diffSnapshots, snapshotLayer } from './helpers/layer-snapshot.js';
import { layer, link, opaque, WH } from './helpers/layer-tree.js';
import { ModelOverlay } from '../bindings/verify/model/model-overlay.js';
import { runOp } from '../bindings/verify/model/ops.js';
import { compareOutcomes, InoMatcher } from '../bindings/verify/outcome-compare.js';
import { treeOps } from '../bindings/verify/model/tree-ops.js';

const clock = () => 1_000_000;
const LONG_NAME = 'x'.repeat(256);
const LONG_PATH = '/' + 'abcdefghi/'.repeat(410); // 4101 bytes

function stack() {
  const upper = layer({ u: { 'mine.txt': 'upper' }, gone: WH, loop: link('/loop') }, { clock, name: 'upper' });
  upper.setXattr('/u/mine.txt', 'user.k', new Uint8Array([1, 2, 3]));
  const lowers = [
    layer({ d: { f: 'lower0 data', sub: { g: 'g' } }, f: 'top file', gone: 'hidden', ping: link('pong'), pong: link('ping') }, { clock, name: 'lower0' }),
    layer({ d: { h: 'lower1' }, o: opaque({ x: '1' }) }, { clock, name: 'lower1' }),
  ];
  return { upper, lowers };
}

type Call = [label: string, call: (ov: AnyOverlay) => unknown, expected: ExpectedError | 'TypeError'];

/** Inputs every overlay must refuse, with the error node:fs (or Strata's walk contract) gives. */
const BAD_CALLS: Call[] = [
  // NUL bytes: the walk contract refuses them with EINVAL.
  ['NUL in stat', (ov) => ov.stat('/d/f\0x'), { code: 'EINVAL', syscall: 'stat', path: '/d/f\0x' }],
  ['NUL in writeFile', (ov) => ov.writeFile('/d/new\0', 'x'), { code: 'EINVAL', syscall: 'open', path: '/d/new\0' }],
  ['NUL in mkdir', (ov) => ov.mkdir('/n\0m'), { code: 'EINVAL', syscall: 'mkdir', path: '/n\0m' }],
  ['NUL in a rename target', (ov) => ov.rename('/f', '/g\0'), { code: 'EINVAL', syscall: 'rename', path: '/f', dest: '/g\0' }],
  ['NUL in unlink', (ov) => ov.unlink('/f\0'), { code: 'EINVAL', syscall: 'unlink', path: '/f\0' }],
  // '..' above the root.
  ['.. at the root', (ov) => ov.stat('/..'), { code: 'EINVAL', syscall: 'stat', path: '/..' }],
  ['.. above the root, later', (ov) => ov.readdir('/d/../..'), { code: 'EINVAL', syscall: 'scandir', path: '/d/../..' }],
  ['.. above the root in mkdir', (ov) => ov.mkdir('/../x'), { code: 'EINVAL', syscall: 'mkdir', path: '/../x' }],
  ['.. above the root in writeFile', (ov) => ov.writeFile('/../../etc/passwd', 'x'), { code: 'EINVAL', syscall: 'open' }],
  ['.. above the root as the last name of unlink', (ov) => ov.unlink('/..'), { code: 'EINVAL', syscall: 'unlink' }],
  // A trailing slash on a non-directory.
  ['trailing slash: stat', (ov) => ov.stat('/f/'), { code: 'ENOTDIR', syscall: 'stat', path: '/f/' }],
  ['trailing slash: lstat', (ov) => ov.lstat('/d/f/'), { code: 'ENOTDIR', syscall: 'lstat', path: '/d/f/' }],
  ['trailing slash: readFile', (ov) => ov.readFile('/f/'), { code: 'ENOTDIR', syscall: 'open', path: '/f/' }],
  ['trailing slash: readdir', (ov) => ov.readdir('/f/'), { code: 'ENOTDIR', syscall: 'scandir', path: '/f/' }],
  ['trailing slash: unlink', (ov) => ov.unlink('/f/'), { code: 'ENOTDIR', syscall: 'unlink', path: '/f/' }],
  ['trailing slash: rmdir', (ov) => ov.rmdir('/d/f/'), { code: 'ENOTDIR', syscall: 'rmdir', path: '/d/f/' }],
  ['trailing slash: rename', (ov) => ov.rename('/f/', '/g'), { code: 'ENOTDIR', syscall: 'rename', path: '/f/', dest: '/g' }],
  ['trailing slash: a component inside a file', (ov) => ov.stat('/f/x'), { code: 'ENOTDIR', syscall: 'stat', path: '/f/x' }],
  // open(O_CREAT) of a name with a trailing slash is EISDIR in node:fs and Linux.
  ['trailing slash: writeFile', (ov) => ov.writeFile('/f/', 'x'), { code: 'EISDIR', syscall: 'open', path: '/f/' }],
  // Names over NAME_MAX (255 bytes) and paths over PATH_MAX (4096 bytes).
  ['long name: stat', (ov) => ov.stat(`/d/${LONG_NAME}`), { code: 'ENAMETOOLONG', syscall: 'stat', path: `/d/${LONG_NAME}` }],
  ['long name: mkdir', (ov) => ov.mkdir(`/${LONG_NAME}`), { code: 'ENAMETOOLONG', syscall: 'mkdir' }],
  ['long name: writeFile', (ov) => ov.writeFile(`/d/${LONG_NAME}`, 'x'), { code: 'ENAMETOOLONG', syscall: 'open' }],
  ['long name in bytes (128 × é)', (ov) => ov.writeFile(`/${'é'.repeat(128)}`, 'x'), { code: 'ENAMETOOLONG', syscall: 'open' }],
  ['long name: rename target', (ov) => ov.rename('/f', `/${LONG_NAME}`), { code: 'ENAMETOOLONG', syscall: 'rename' }],
  ['long path: stat', (ov) => ov.stat(LONG_PATH), { code: 'ENAMETOOLONG', syscall: 'stat' }],
  ['long path: writeFile', (ov) => ov.writeFile(LONG_PATH, 'x'), { code: 'ENAMETOOLONG', syscall: 'open' }],
  ['long path: mkdir -p', (ov) => ov.mkdir(LONG_PATH, { recursive: true }), { code: 'ENAMETOOLONG', syscall: 'mkdir' }],
  // Non-string paths.
  ['number path', (ov) => ov.stat(42), 'TypeError'],
  ['undefined path', (ov) => ov.readFile(undefined), 'TypeError'],
  ['null path in writeFile', (ov) => ov.writeFile(null, 'x'), 'TypeError'],
  ['object path in mkdir', (ov) => ov.mkdir({}), 'TypeError'],
  ['number rename target', (ov) => ov.rename('/f', 7), 'TypeError'],
  ['number symlink target', (ov) => ov.symlink(5, '/s'), 'TypeError'],
  // Relative paths.
  ['relative stat', (ov) => ov.stat('d/f'), { code: 'EINVAL', syscall: 'stat', path: 'd/f' }],
  ['relative writeFile', (ov) => ov.writeFile('x', '1'), { code: 'EINVAL', syscall: 'open', path: 'x' }],
  ['relative rename source', (ov) => ov.rename('f', '/g'), { code: 'EINVAL', syscall: 'rename' }],
  // Symlink loops.
  ['loop: stat', (ov) => ov.stat('/loop'), { code: 'ELOOP', syscall: 'stat', path: '/loop' }],
  ['loop of two: readFile', (ov) => ov.readFile('/ping'), { code: 'ELOOP', syscall: 'open', path: '/ping' }],
  ['loop: writeFile through it', (ov) => ov.writeFile('/loop', 'x'), { code: 'ELOOP', syscall: 'open', path: '/loop' }],
  ['loop: a path through it', (ov) => ov.mkdir('/ping/x'), { code: 'ELOOP', syscall: 'mkdir' }],
  ['loop: readdir', (ov) => ov.readdir('/pong/'), { code: 'ELOOP', syscall: 'scandir' }],
  ['loop: realpath', (ov) => ov.realpath('/loop'), { code: 'ELOOP' }],
  ['loop: chmod', (ov) => ov.chmod('/loop', 0o600), { code: 'ELOOP', syscall: 'chmod' }],
];

/** Writes into an overlay with no upper: EROFS, with the syscall node:fs would report. */
const READ_ONLY_CALLS: Call[] = [
  ['writeFile of a lower file', (ov) => ov.writeFile('/f', 'x'), { code: 'EROFS', syscall: 'open', path: '/f' }],
  ['writeFile of a new name', (ov) => ov.writeFile('/d/new', 'x'), { code: 'EROFS', syscall: 'open', path: '/d/new' }],
  ['appendFile', (ov) => ov.appendFile('/d/f', 'x'), { code: 'EROFS', syscall: 'open' }],
  ['truncate', (ov) => ov.truncate('/d/f'), { code: 'EROFS', syscall: 'open' }],
  ['mkdir', (ov) => ov.mkdir('/newdir'), { code: 'EROFS', syscall: 'mkdir', path: '/newdir' }],
  ['mkdir -p', (ov) => ov.mkdir('/d/a/b', { recursive: true }), { code: 'EROFS', syscall: 'mkdir' }],
  ['unlink', (ov) => ov.unlink('/f'), { code: 'EROFS', syscall: 'unlink', path: '/f' }],
  ['rmdir', (ov) => ov.rmdir('/o'), { code: 'EROFS', syscall: 'rmdir', path: '/o' }],
  ['rm -r', (ov) => ov.rm('/d', { recursive: true }), { code: 'EROFS' }],
  ['rename', (ov) => ov.rename('/f', '/g'), { code: 'EROFS', syscall: 'rename', path: '/f', dest: '/g' }],
  ['symlink', (ov) => ov.symlink('/f', '/s'), { code: 'EROFS', syscall: 'symlink' }],
  ['link', (ov) => ov.link('/f', '/h'), { code: 'EROFS', syscall: 'link', path: '/f', dest: '/h' }],
  ['chmod', (ov) => ov.chmod('/d', 0o700), { code: 'EROFS', syscall: 'chmod', path: '/d' }],
  ['utimes', (ov) => ov.utimes('/f', 1, 2), { code: 'EROFS', syscall: 'utime', path: '/f' }],
];

function snapshots(layers: MemoryLayer[]): string[][] {
  return layers.map((l) => snapshotLayer(l));
}

/** After bad input the overlay must still answer like a fresh model over the same layers. */
function assertStillAnswers(ov: AnyOverlay, upper: MemoryLayer | undefined, lowers: MemoryLayer[]): void {
  const fresh = new ModelOverlay({ lowers, upper });
  const inos = new InoMatcher();
  for (const op of treeOps(fresh)) {
    const why = compareOutcomes(runOp(fresh, op), runOp(ov, op), inos);
    assert.equal(why, undefined, `after bad input, ${op.method}(${JSON.stringify(op.args[0])}) is wrong: ${why}`);
  }
  assert.equal(ov.readFile('/d/f', 'utf8'), 'lower0 data');
}

forEachImplementation((impl) => {
  let layers: ReturnType<typeof stack>;
  let ov: AnyOverlay;
  beforeEach(() => {
    layers = stack();
    ov = impl.make({ lowers: layers.lowers, upper: layers.upper });
    ov.stat('/d/f'); // warm a cache, so bad input meets cached entries too
    ov.readdir('/d');
  });

  for (const [label, call, expected] of BAD_CALLS) {
    test(`bad input: ${label}`, () => {
      const all = [layers.upper, ...layers.lowers];
      const before = snapshots(all);
      if (expected === 'TypeError') assert.throws(() => call(ov), TypeError);
      else assertFsError(() => call(ov), expected);
      const after = snapshots(all);
      for (let i = 0; i < all.length; i++) assert.equal(diffSnapshots(before[i], after[i]), '', `layer ${all[i].name} changed`);
      assertStillAnswers(ov, layers.upper, layers.lowers);
    });
  }

  test('bad input: exists() answers false to anything it cannot resolve', () => {
    for (const p of [42, undefined, '/d/f\0', '/..', 'd/f', `/${LONG_NAME}`, LONG_PATH, '/loop', '/f/']) {
      assert.equal(ov.exists(p), false, `exists(${JSON.stringify(p)})`);
    }
    assert.equal(ov.exists('/d/f'), true);
  });

  test('bad input: limits are exact (255-byte names and 4095-byte paths are fine: PATH_MAX counts the NUL)', () => {
    assertFsError(() => ov.stat(`/${'x'.repeat(255)}`), 'ENOENT');
    assertFsError(() => ov.stat(`/${'é'.repeat(127)}x`), 'ENOENT');
    const exact = '/d/' + 'y'.repeat(4092); // 4095 bytes, with a 4092-byte last name
    assert.equal(Buffer.byteLength(exact), 4095);
    assertFsError(() => ov.stat(exact), 'ENAMETOOLONG'); // the name is too long, not the path
    const exactPath = ('/' + 'z'.repeat(255)).repeat(15) + '/' + 'z'.repeat(254); // 4095 bytes of names up to 255
    assert.equal(Buffer.byteLength(exactPath), 4095);
    assertFsError(() => ov.stat(exactPath), 'ENOENT');
    assertFsError(() => ov.stat(exactPath + '/'), 'ENAMETOOLONG'); // 4096 bytes, as the kernel says
  });

  test('bad input: 40 symlinks in a row resolve, 41 are ELOOP', () => {
    for (let i = 0; i < 41; i++) layers.lowers[1].symlink(`/c${i + 1}`, `/c${i}`);
    layers.lowers[1].writeFile('/c41', 'end');
    const fresh = impl.make({ lowers: layers.lowers, upper: layers.upper });
    assert.equal(fresh.readFile('/c1', 'utf8'), 'end', '40 follows');
    assertFsError(() => fresh.readFile('/c0'), { code: 'ELOOP', syscall: 'open' });
  });

  for (const [label, call, expected] of READ_ONLY_CALLS) {
    test(`bad input: read-only overlay refuses ${label}`, () => {
      const ro = impl.make({ lowers: layers.lowers });
      const before = snapshots(layers.lowers);
      assertFsError(() => call(ro), expected as ExpectedError);
      const after = snapshots(layers.lowers);
      for (let i = 0; i < layers.lowers.length; i++) assert.equal(diffSnapshots(before[i], after[i]), '');
      assertStillAnswers(ro, undefined, layers.lowers);
    });
  }
});
