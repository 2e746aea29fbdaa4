// DirLayer's opt-in `trustWatch`: a cached stat of a file in a watched directory makes no host
// call, and a host change becomes visible once its watch event has arrived (waited for, bounded).
// Without the option, the very next call sees the change (the watch queue is read at each
// operation's start; without the native helper, one lstat per cached stat).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import nodeFs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { isRoot, removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

/**
 * How many host lstat calls `fn` makes: node:fs's lstatSync (counted through every import of it)
 * and the native helper's lstatInto (its hot path when built).
 */
function lstatCalls(fn: () => void): number {
  const real = nodeFs.lstatSync;
  const helper = native();
  const realNative = helper?.lstatInto;
  let calls = 0;
  (nodeFs as { lstatSync: typeof fs.lstatSync }).lstatSync = ((...args: Parameters<typeof fs.lstatSync>) => {
    calls++;
    return real(...args);
  }) as typeof fs.lstatSync;
  syncBuiltinESMExports();
  if (helper !== null && realNative !== undefined) {
    helper.lstatInto = (p, out) => {
      calls++;
      return realNative(p, out);
    };
  }
  try {
    fn();
  } finally {
    (nodeFs as { lstatSync: typeof fs.lstatSync }).lstatSync = real;
    syncBuiltinESMExports();
    if (helper !== null && realNative !== undefined) helper.lstatInto = realNative;
  }
  return calls;
}

async function until(pred: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

function stack(trustWatch: boolean) {
  const base = scratchDir('dl-trust');
  const lowerDir = path.join(base, 'lower');
  const upperDir = path.join(base, 'upper');
  fs.mkdirSync(lowerDir);
  fs.mkdirSync(upperDir);
  writeTree(lowerDir, { 'd/f': 'one', 'd/linked': 'x' });
  fs.linkSync(path.join(lowerDir, 'd/linked'), path.join(lowerDir, 'other-name'));
  const lower = new DirLayer(lowerDir, { readOnly: true, trustWatch });
  const upper = new DirLayer(upperDir);
  const ov = new Overlay({ lowers: [lower], upper });
  return { lowerDir, ov, done() { ov.close(); lower.close(); upper.close(); removeTree(base); } };
}

describe('DirLayer trustWatch', { skip: isRoot() ? false : 'needs root (the kernel format)' }, () => {
  it('with it, a cached stat of a watched file makes no host call; a change shows once its event arrived', async () => {
    const s = stack(true);
    try {
      assert.equal(s.ov.stat('/d/f').size, 3);
      assert.equal(s.ov.stat('/d/f').size, 3);
      assert.equal(lstatCalls(() => s.ov.stat('/d/f')), 0);
      fs.appendFileSync(path.join(s.lowerDir, 'd/f'), 'two');
      await until(() => s.ov.stat('/d/f').size === 6, 'the watch event of the append');
      // A file with another hard link: a change through that name raises no event here.
      assert.equal(s.ov.stat('/d/linked').size, 1);
      assert.equal(lstatCalls(() => s.ov.stat('/d/linked')), 1);
      fs.appendFileSync(path.join(s.lowerDir, 'other-name'), 'yz');
      assert.equal(s.ov.stat('/d/linked').size, 3);
    } finally {
      s.done();
    }
  });

  it('a watched directory in a watched directory is vouched for too: its own changes and its entries\' show once their events arrived', async () => {
    const s = stack(true);
    try {
      assert.equal(s.ov.stat('/d/f').size, 3); // looks up in / and in /d: both watched
      s.ov.stat('/d');
      assert.equal(lstatCalls(() => s.ov.stat('/d')), 0);
      // The root: nothing watches its parent; the watch queue reports its own attribute changes.
      s.ov.stat('/');
      assert.equal(lstatCalls(() => s.ov.stat('/')), native() === null ? 1 : 0);
      fs.chmodSync(path.join(s.lowerDir, 'd'), 0o700);
      await until(() => (s.ov.stat('/d').mode & 0o777) === 0o700, 'the watch event of the chmod');
      const before = s.ov.stat('/d').mtimeMs;
      fs.writeFileSync(path.join(s.lowerDir, 'd/new'), 'x');
      await until(() => s.ov.stat('/d').mtimeMs !== before, 'the watch event of an entry created inside');
    } finally {
      s.done();
    }
  });

  it('without it, the very next call sees a host change: the watch queue is read first (no lstat per cached stat), else one lstat', () => {
    const s = stack(false);
    try {
      assert.equal(s.ov.stat('/d/f').size, 3);
      assert.equal(lstatCalls(() => s.ov.stat('/d/f')), native() === null ? 1 : 0);
      fs.appendFileSync(path.join(s.lowerDir, 'd/f'), 'two');
      assert.equal(s.ov.stat('/d/f').size, 6);
    } finally {
      s.done();
    }
  });
});
