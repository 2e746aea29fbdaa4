// The replaces the kernel's overlayfs makes in one renameat2, made in one step by DirLayer too
// (host/rename-at2.ts): a name never goes missing on the way from the old entry to the new one.
// - a rename that leaves a whiteout (RENAME_WHITEOUT): when the layer reports the rename, the
//   whiteout already stands at the old name;
// - a directory put where a whiteout was, or a whiteout where a directory was (RENAME_EXCHANGE):
//   the name is never removed from the upper directory (the old object is swapped into the work
//   directory and removed there).
// The two-step path (no helper, or a host refusing the flag) is covered by crash-atomic.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

const helper = native()?.renameAt2 !== undefined ? false : 'the native helper is not built';
// RENAME_WHITEOUT makes a device: CAP_MKNOD.
const whiteoutsToo = helper !== false ? helper : process.getuid?.() === 0 ? false : 'RENAME_WHITEOUT needs root (CAP_MKNOD)';

function stack(lowerFiles: Record<string, string>) {
  const base = scratchDir('dl-one-step');
  const lower = path.join(base, 'lower');
  const upper = path.join(base, 'upper');
  writeTree(lower, lowerFiles);
  fs.mkdirSync(upper);
  const upperLayer = new DirLayer(upper);
  const lowerLayer = new DirLayer(lower, { readOnly: true });
  const ov = new Overlay({ lowers: [lowerLayer], upper: upperLayer, redirectDir: true });
  const close = () => {
    ov.close();
    upperLayer.close();
    lowerLayer.close();
    removeTree(base);
  };
  return { ov, upper, upperLayer, close };
}

/** The last path component of every node:fs call that removed a name while `fn` ran. */
function removals(fn: () => void): string[] {
  const cjs = fs as unknown as { default: Record<string, (...a: unknown[]) => unknown> };
  const target = cjs.default ?? (fs as unknown as Record<string, (...a: unknown[]) => unknown>);
  const names = ['unlinkSync', 'rmdirSync', 'rmSync', 'renameSync'] as const;
  const real = names.map((n) => target[n]);
  const seen: string[] = [];
  names.forEach((n, i) => {
    target[n] = function (this: unknown, ...args: unknown[]) {
      // rename takes a name away from its source (its first argument).
      seen.push(`${n.replace('Sync', '')} ${path.basename(String(args[0]))}`);
      return real[i].apply(this, args);
    };
  });
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    names.forEach((n, i) => { target[n] = real[i]; });
    syncBuiltinESMExports();
  }
  return seen;
}

function isWhiteout(p: string): boolean {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  return st !== undefined && st.isCharacterDevice() && st.rdev === 0;
}

describe('DirLayer replaces in one step where the kernel does', () => {
  it('a rename of a lower file: the whiteout stands at the old name when the rename is reported', { skip: whiteoutsToo }, () => {
    const { ov, upper, upperLayer, close } = stack({ f: 'one' });
    try {
      const atNotice: string[] = [];
      const stop = upperLayer.subscribe((c) => {
        if (c.dir === '/' && c.name === 'f' && c.kind === 'rename') atNotice.push(isWhiteout(path.join(upper, 'f')) ? 'whiteout' : 'no whiteout');
      });
      const seen = removals(() => ov.rename('/f', '/g'));
      stop();
      assert.deepEqual(atNotice, ['whiteout']);
      assert.ok(!seen.includes('rename f'), `node:fs calls: ${seen.join(', ')}`);
      assert.equal(ov.readFile('/g', 'utf8'), 'one');
      assert.equal(ov.exists('/f'), false);
      assert.ok(isWhiteout(path.join(upper, 'f')));
    } finally {
      close();
    }
  });

  it('a directory renamed over a whiteout takes its place by a swap: the name is never removed', { skip: helper }, () => {
    const { ov, upper, close } = stack({ e: 'lower e' });
    try {
      ov.mkdir('/u');
      ov.writeFile('/u/x', 'x');
      ov.unlink('/e');
      assert.ok(isWhiteout(path.join(upper, 'e')));
      const seen = removals(() => ov.rename('/u', '/e'));
      assert.ok(!seen.some((c) => c.endsWith(' e')), `node:fs calls: ${seen.join(', ')}`);
      assert.equal(ov.readFile('/e/x', 'utf8'), 'x');
      assert.equal(ov.exists('/u'), false);
      assert.ok(fs.lstatSync(path.join(upper, 'e')).isDirectory());
      // /u hid nothing below: the whiteout swapped to it is gone.
      assert.equal(fs.lstatSync(path.join(upper, 'u'), { throwIfNoEntry: false }), undefined);
    } finally {
      close();
    }
  });

  it('an rmdir that leaves a whiteout swaps it in for the directory: the name is never removed', { skip: helper }, () => {
    const { ov, upper, close } = stack({ 'd/x': 'x', 'd/y': 'y' });
    try {
      ov.unlink('/d/x');
      ov.unlink('/d/y');
      assert.ok(fs.lstatSync(path.join(upper, 'd')).isDirectory());
      const seen = removals(() => ov.rmdir('/d'));
      assert.ok(!seen.some((c) => c.endsWith(' d')), `node:fs calls: ${seen.join(', ')}`);
      assert.equal(ov.exists('/d'), false);
      assert.ok(isWhiteout(path.join(upper, 'd')));
    } finally {
      close();
    }
  });

  it('a directory made where a whiteout is takes its place by a swap', { skip: helper }, () => {
    const { ov, upper, close } = stack({ w: 'lower w' });
    try {
      ov.unlink('/w');
      const seen = removals(() => ov.mkdir('/w'));
      assert.ok(!seen.some((c) => c.endsWith(' w')), `node:fs calls: ${seen.join(', ')}`);
      assert.ok(ov.stat('/w').isDirectory());
      assert.deepEqual(ov.readdir('/w'), []);
      assert.ok(fs.lstatSync(path.join(upper, 'w')).isDirectory(), 'the upper holds the directory, not the whiteout');
    } finally {
      close();
    }
  });

  it('an rmdir of a directory holding more than whiteouts is refused before any swap (ENOTEMPTY)', { skip: helper }, () => {
    const { ov, upper, close } = stack({ 'd/x': 'x' });
    try {
      ov.unlink('/d/x');
      // Planted on the host, in the upper directory, where the overlay has not looked.
      fs.writeFileSync(path.join(upper, 'd', 'planted'), 'p');
      assert.throws(() => ov.rmdir('/d'), { code: 'ENOTEMPTY' });
      assert.equal(fs.readFileSync(path.join(upper, 'd', 'planted'), 'utf8'), 'p');
    } finally {
      close();
    }
  });
});
