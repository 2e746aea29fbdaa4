// The default DirLayer never answers from a stale cache while its host directory changes
// underneath: seeded random host changes (node:fs straight on the directory: create, rewrite,
// append, chmod, utimes, unlink, mkdir, rm -r, rename of files and directories) interleaved with
// overlay reads, every answer compared at once — no await — with what the host says now.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { createRng, testSeeds, type Rng } from '../bindings/verify/prng.js';

const NAMES = ['a', 'b', 'c', 'd'];
const STEPS = 3000;

/** Every path of depth ≤ 3 over NAMES (the candidates for changes and reads). */
function candidates(): string[] {
  const out: string[] = [];
  const grow = (prefix: string, depth: number) => {
    for (const n of NAMES) {
      const p = `${prefix}/${n}`;
      out.push(p);
      if (depth < 3) grow(p, depth + 1);
    }
  };
  grow('', 1);
  return out;
}

/** The host's lstat of `p`; undefined when missing, 'ENOTDIR' when a file is on the way. */
function hostStat(p: string): fs.Stats | undefined | 'ENOTDIR' {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOTDIR') return 'ENOTDIR';
    throw err;
  }
}

/** One random change of the host tree under `root` at `p` (anything that fails is skipped). */
function change(rng: Rng, root: string, p: string, paths: string[], step: number): void {
  const full = root + p;
  const found = hostStat(full);
  const st = found === 'ENOTDIR' ? undefined : found;
  try {
    switch (rng.int(8)) {
      case 0: if (st === undefined) fs.writeFileSync(full, `new ${step}`); break;
      case 1: if (st?.isFile()) fs.writeFileSync(full, `rewritten ${step}`.repeat(rng.int(3) + 1)); break;
      case 2: if (st?.isFile()) fs.appendFileSync(full, '+'); break;
      case 3: if (st !== undefined) fs.chmodSync(full, rng.int(2) === 0 ? 0o700 : 0o755); break;
      case 4: if (st !== undefined) fs.utimesSync(full, step, step + rng.int(1000)); break;
      case 5: if (st === undefined) fs.mkdirSync(full); break;
      case 6: if (st?.isDirectory()) fs.rmSync(full, { recursive: true }); else if (st !== undefined) fs.unlinkSync(full); break;
      case 7: {
        const to = root + paths[rng.int(paths.length)]!;
        if (st !== undefined && !to.startsWith(full + '/') && to !== full) fs.renameSync(full, to);
        break;
      }
    }
  } catch (err) {
    // ENOENT (no parent), ENOTDIR, EISDIR, ENOTEMPTY, EINVAL: that change is not possible now.
    if (!['ENOENT', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EEXIST', 'EINVAL'].includes((err as { code?: string }).code ?? '')) throw err;
  }
}

/** The overlay's answer for `p` checked against the host's, now. */
function check(ov: Overlay, root: string, p: string, step: number): void {
  const what = `step ${step}, ${p}`;
  const host = hostStat(root + p);
  if (host === 'ENOTDIR') {
    assert.throws(() => ov.stat(p, { throwIfNoEntry: false }), { code: 'ENOTDIR' }, `${what}: a file on the way`);
    return;
  }
  const mine = ov.stat(p, { throwIfNoEntry: false });
  if (host === undefined) {
    assert.equal(mine, undefined, `${what}: gone on the host`);
    assert.equal(ov.exists(p), false, `${what}: exists`);
    return;
  }
  assert.ok(mine !== undefined, `${what}: there on the host`);
  assert.equal(mine.mode, host.mode, `${what}: mode`);
  assert.equal(mine.mtimeMs, host.mtimeMs, `${what}: mtime`);
  if (host.isDirectory()) {
    assert.deepEqual((ov.readdir(p) as string[]).sort(), fs.readdirSync(root + p).sort(), `${what}: listing`);
  } else {
    assert.equal(mine.size, host.size, `${what}: size`);
    assert.equal(ov.readFile(p, 'utf8'), fs.readFileSync(root + p, 'utf8'), `${what}: content`);
  }
}

const skip = native() === null ? 'no native helper (events come a loop turn late: not exact)' : !isRoot() ? 'needs root (the kernel format)' : false;

describe('DirLayer under host churn (default: the watch queue)', { skip }, () => {
  for (const seed of testSeeds([1, 2], 1, 'dir-layer host churn')) {
    it(`seed ${seed}: ${STEPS} steps, every answer what the host says at that moment`, () => {
      const base = scratchDir('dl-churn');
      const lowerDir = path.join(base, 'lower');
      fs.mkdirSync(lowerDir);
      const lower = new DirLayer(lowerDir, { readOnly: true });
      const ov = new Overlay({ lowers: [lower] });
      const rng = createRng(seed);
      const paths = candidates();
      try {
        for (let step = 0; step < STEPS; step++) {
          if (rng.int(3) === 0) change(rng, lowerDir, paths[rng.int(paths.length)]!, paths, step);
          const p = paths[rng.int(paths.length)]!;
          check(ov, lowerDir, p, step);
          // Answers kept from before: the parent again (a cached listing), and the root.
          check(ov, lowerDir, p.slice(0, p.lastIndexOf('/')) || '/', step);
        }
      } finally {
        ov.close();
        lower.close();
        removeTree(base);
      }
    });
  }
});
