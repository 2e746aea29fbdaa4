// FIFOs, sockets, devices and whiteouts made by the native helper's mknodat (host/whiteout-device.ts):
// no process is spawned, the permission bits are exactly the ones asked for (not cut by the
// umask), and a lower socket copies up as the kernel copies it (without the helper: ENOTSUP).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const skip = native()?.mknodAt !== undefined ? false : 'the native helper is not built';
const { S_IFIFO, S_IFSOCK, S_IFMT } = fs.constants;

/** How many child processes spawnSync started while `fn` ran. */
function spawns(fn: () => void): number {
  const cjs = (childProcess as unknown as { default: { spawnSync: (...a: unknown[]) => unknown } }).default;
  const real = cjs.spawnSync;
  let n = 0;
  cjs.spawnSync = function (this: unknown, ...args: unknown[]) {
    n++;
    return real.apply(this, args);
  };
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    cjs.spawnSync = real;
    syncBuiltinESMExports();
  }
  return n;
}

describe('DirLayer special files through the native helper', { skip }, () => {
  it('a whiteout and a FIFO are made without spawning mknod, with exactly the mode asked for', () => {
    const base = scratchDir('dl-special');
    const root = path.join(base, 'layer');
    fs.mkdirSync(root);
    const layer = new DirLayer(root);
    const umask = process.umask(0o077);
    try {
      const n = spawns(() => {
        layer.putWhiteout(layer.root(), 'w');
        layer.createNode(layer.root(), 'p', { type: 'other', mode: S_IFIFO | 0o666 });
      });
      assert.equal(n, 0, 'processes spawned');
      const w = fs.lstatSync(path.join(root, 'w'));
      assert.ok(w.isCharacterDevice() && w.rdev === 0, 'a 0/0 device');
      const p = fs.lstatSync(path.join(root, 'p'));
      assert.ok(p.isFIFO());
      assert.equal(p.mode & 0o7777, 0o666, 'the umask (077) did not cut the mode');
    } finally {
      process.umask(umask);
      layer.close();
      removeTree(base);
    }
  });

  for (const [what, type] of [['socket', S_IFSOCK], ['FIFO', S_IFIFO]] as const) {
    it(`a lower ${what} copies up on chmod through the overlay: a ${what} in the upper, with the new mode`, () => {
      const base = scratchDir('dl-special');
      const lower = path.join(base, 'lower');
      const upper = path.join(base, 'upper');
      fs.mkdirSync(lower);
      fs.mkdirSync(upper);
      const dir = fs.openSync(lower, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      try {
        assert.equal(native()!.mknodAt!(dir, 's', type | 0o644, 0), 0);
      } finally {
        fs.closeSync(dir);
      }
      const lowerLayer = new DirLayer(lower, { readOnly: true });
      const upperLayer = new DirLayer(upper);
      const ov = new Overlay({ lowers: [lowerLayer], upper: upperLayer });
      try {
        const before = ov.stat('/s');
        assert.equal(before.mode & S_IFMT, type);
        ov.chmod('/s', 0o600);
        assert.equal(fs.lstatSync(path.join(upper, 's')).mode, type | 0o600);
        assert.equal(ov.stat('/s').mode, type | 0o600);
        assert.equal(ov.stat('/s').ino, before.ino, 'the same object to the overlay');
        assert.equal(fs.lstatSync(path.join(lower, 's')).mode, type | 0o644, 'the lower is untouched');
      } finally {
        ov.close();
        upperLayer.close();
        lowerLayer.close();
        removeTree(base);
      }
    });
  }
});
