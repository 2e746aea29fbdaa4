// Adversarial: bounded memory. An overlay with a small cache over a big tree must answer right
// while staying within its bound, and no TypeScript-side table may grow with the number of
// distinct paths or objects seen (a flood of unique negative lookups is the classic), nor with
// the number of objects that came and went in the upper.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CACHE_IMPLS } from '../bindings/cache/create-cache.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { FaultyLayer } from './helpers/faulty-layer.js';
import { createRng } from '../bindings/verify/prng.js';

interface Internals {
  table: { gen: unknown[]; reals: unknown[]; listings: unknown[]; inos: unknown[]; redirects: unknown[] };
  redirects: { size: number };
  inodes: { size: number };
}

function tableSizes(ov: Overlay) {
  const x = (ov as unknown as { engine: Internals }).engine;
  const t = x.table;
  return {
    slots: Math.max(t.gen.length, t.reals.length, t.listings.length, t.inos.length, t.redirects.length),
    redirects: x.redirects.size, inodes: x.inodes.size,
  };
}

for (const impl of CACHE_IMPLS) describe(`bounded memory (cache: ${impl})`, () => {
  test('capacity 64 over 2e4 files: 4e4 mixed reads and unique negative lookups, right answers, bounded tables', () => {
    const D = 20, F = 1000;
    const lower = new MemoryLayer();
    for (let d = 0; d < D; d++) {
      lower.mkdir(`/d${d}`);
      for (let f = 0; f < F; f++) lower.writeFile(`/d${d}/f${f}`, `${d}.${f}`);
    }
    const upper = new MemoryLayer();
    upper.mkdir('/d0');
    upper.writeFile('/d0/f1', 'upper');
    const ov = new Overlay({ lowers: [lower], upper, redirectDir: true, cache: { impl, capacity: { entries: 64 } } });
    const rng = createRng(7);
    let peak = 0;
    for (let i = 0; i < 40_000; i++) {
      const d = rng.int(D), f = rng.int(F + F / 2);
      const p = `/d${d}/f${f}`;
      const r = rng.next();
      if (r < 0.4) {
        assert.equal(ov.stat(p, { throwIfNoEntry: false }) !== undefined, f < F, `seed 7, op ${i}: stat ${p}`);
      } else if (r < 0.8) {
        assert.equal(ov.exists(`/d${d}/missing-${i}`), false, `seed 7, op ${i}`);
      } else if (r < 0.99) {
        if (f < F) assert.equal(ov.readFile(p, 'utf8'), d === 0 && f === 1 ? 'upper' : `${d}.${f}`, `seed 7, op ${i}: read ${p}`);
      } else {
        assert.equal(ov.readdir(`/d${d}`).length, F, `seed 7, op ${i}: readdir /d${d}`);
      }
      peak = Math.max(peak, ov.stats().entries);
    }
    assert.ok(peak <= 64, `entries peaked at ${peak}`);
    const sizes = tableSizes(ov);
    assert.ok(sizes.slots <= 64, `per-entry tables have ${sizes.slots} slots`);
    assert.equal(sizes.redirects, 0);
    assert.equal(sizes.inodes, 0);
  });

  test('copy-ups replaced by renames: the inode-number records of dead upper objects are swept', () => {
    const N = 3000;
    const lower = new MemoryLayer();
    for (let i = 0; i < N; i++) lower.writeFile(`/f${i}`, 'x');
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), cache: { impl, capacity: { entries: 64 } } });
    const kept = ov.stat('/f0').ino;
    ov.chmod('/f0', 0o600); // a live copy-up that must keep its origin's number through every sweep
    for (let i = 1; i < N; i++) {
      ov.chmod(`/f${i}`, 0o600); // copy-up: one record
      ov.writeFile('/t', 'y');
      ov.rename('/t', `/f${i}`); // the copy dies
    }
    const { inodes } = tableSizes(ov);
    assert.ok(inodes <= 2048, `${inodes} inode-number records for 1 live copy-up`);
    assert.equal(ov.stat('/f0').ino, kept);
  });

  test('failed writes: the records of rolled-back copy-ups are swept too', () => {
    const N = 2500;
    const lower = new MemoryLayer();
    for (let i = 0; i < N; i++) lower.writeFile(`/f${i}`, 'x');
    const upper = new FaultyLayer();
    const ov = new Overlay({ lowers: [lower], upper, cache: { impl, capacity: { entries: 64 } } });
    for (let i = 0; i < N; i++) {
      upper.failNext('renameName');
      assert.throws(() => ov.rename(`/f${i}`, `/g${i}`), { code: 'ENOSPC' });
    }
    const { inodes } = tableSizes(ov);
    assert.ok(inodes <= 2048, `${inodes} inode-number records, no copy-up alive`);
  });
});
