// createFs's readJson/readJsonSync (enhanced-resolve's optional fs methods) against an oracle:
// JSON.parse of node:fs's bytes of an equal tree on disk, after every step of a seeded random
// sequence of writes (same-size rewrites included), renames, removals and broken JSON, made
// through the adapter and through the overlay directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFs } from '../bindings/fs.js';
import { readJsonOps } from '../bindings/fs/read-json.js';
import type { Stats } from '../bindings/engine/stats.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An outcome of a call on the on-disk oracle, its error's path and message named as in the overlay. */
function relative(o: unknown, root: string): unknown {
  const e = (o as { error?: { path?: string; message?: string } }).error;
  if (e === undefined) return o;
  return { error: { ...e, path: e.path?.replace(root, ''), message: e.message?.replace(root, '') } };
}

function outcome(run: () => unknown): unknown {
  try {
    return { ok: run() };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: { kind: err.constructor.name, code: err.code, syscall: err.syscall, errno: err.errno, path: err.path, message: err.message } };
  }
}

/**
 * Layers whose clock reads old times, one tick later per call: every answer is old enough to be
 * kept (not "racy"), so the cached path is what gets checked, and each write changes the times.
 */
function oldClock(): () => number {
  let t = 1_000_000_000_000;
  return () => ++t;
}

for (const viaAdapterOnly of [true, false]) {
  test(`readJsonSync matches JSON.parse of node:fs's bytes (${viaAdapterOnly ? 'writes through createFs' : 'also direct overlay writes'})`, () => {
    const seed = 1000 + Number(process.env.SEED ?? 0) + (viaAdapterOnly ? 0 : 1);
    console.log(`seed ${seed}`);
    const rand = rng(seed);
    const clock = oldClock();
    const lower = new MemoryLayer({ name: 'lower', clock });
    lower.mkdir('/p', { recursive: true });
    lower.writeFile('/p/package.json', '{"v":0}');
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper', clock }) });
    const fs = createFs(ov);
    const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-readjson-'));
    try {
      nodeFs.mkdirSync(`${root}/p`);
      nodeFs.writeFileSync(`${root}/p/package.json`, '{"v":0}');
      const names = ['/p/package.json', '/p/other.json'];
      for (let step = 0; step < 300; step++) {
        const name = names[Math.floor(rand() * names.length)]!;
        const r = rand();
        // Same size on purpose ({"v":0}..{"v":9}): only the content differs.
        const body = r < 0.1 ? '{"v":' : `{"v":${Math.floor(rand() * 10)}}`;
        const direct = !viaAdapterOnly && rand() < 0.5;
        if (r < 0.6) {
          if (direct) ov.writeFile(name, body); else fs.writeFileSync(name, body);
          nodeFs.writeFileSync(root + name, body);
        } else if (r < 0.75) {
          const other = names.find((n) => n !== name)!;
          const ok = nodeFs.existsSync(root + name);
          if (ok) {
            if (direct) ov.rename(name, other); else fs.renameSync(name, other);
            nodeFs.renameSync(root + name, root + other);
          }
        } else if (r < 0.85) {
          if (nodeFs.existsSync(root + name)) {
            if (direct) ov.unlink(name); else fs.unlinkSync(name);
            nodeFs.unlinkSync(root + name);
          }
        }
        for (const n of names) {
          // Errors are compared field by field with the paths made relative to the tree.
          const want = relative(outcome(() => JSON.parse(nodeFs.readFileSync(root + n, 'utf8'))), root);
          const got = outcome(() => fs.readJsonSync(n));
          const again = outcome(() => fs.readJsonSync(n));
          assert.deepEqual(got, want, `step ${step} ${n}`);
          assert.deepEqual(again, want, `step ${step} ${n} (second read)`);
        }
      }
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  });
}

test('readJsonSync parses a file once per content version; readJson calls back asynchronously', async () => {
  const clock = oldClock();
  const lower = new MemoryLayer({ name: 'lower', clock });
  lower.writeFile('/package.json', '{"name":"a","main":"x.js"}');
  const fs = createFs(new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper', clock }) }));
  const first = fs.readJsonSync('/package.json');
  assert.deepEqual(first, { name: 'a', main: 'x.js' });
  assert.equal(fs.readJsonSync('/package.json'), first, 'the same parsed value while the file is unchanged');
  fs.writeFileSync('/package.json', '{"name":"b","main":"x.js"}');
  const second = fs.readJsonSync('/package.json');
  assert.deepEqual(second, { name: 'b', main: 'x.js' });
  let sync = true;
  const viaCallback = await new Promise((resolve, reject) => {
    fs.readJson('/package.json', (err, value) => (err ? reject(err) : resolve([sync, value])));
    sync = false;
  });
  assert.deepEqual(viaCallback, [false, second]);
  const missing = await new Promise<NodeJS.ErrnoException | null>((resolve) => fs.readJson('/none.json', (err) => resolve(err as NodeJS.ErrnoException)));
  assert.equal(missing?.code, 'ENOENT');
});

test('a file changed within the racy window is parsed again on every call', () => {
  // Default clock (Date.now): a rewrite in the same millisecond keeps size and times.
  const fs = createFs(new Overlay({ lowers: [new MemoryLayer({ name: 'lower' })], upper: new MemoryLayer({ name: 'upper' }) }));
  const ov = fs.overlay as Overlay;
  ov.writeFile('/a.json', '{"v":1}');
  assert.deepEqual(fs.readJsonSync('/a.json'), { v: 1 });
  ov.writeFile('/a.json', '{"v":2}');
  assert.deepEqual(fs.readJsonSync('/a.json'), { v: 2 });
});

test('readJsonSync of a missing file or through a file fails as readFileSync does (every field)', () => {
  const ov = new Overlay({ upper: new MemoryLayer(), lowers: [new MemoryLayer()] });
  const fs = createFs(ov);
  fs.writeFileSync('/f.json', '{}');
  for (const p of ['/missing.json', '/f.json/package.json', '/no/dir/package.json']) {
    const want = outcome(() => fs.readFileSync(p));
    assert.deepEqual(outcome(() => fs.readJsonSync(p)), want, p);
    assert.equal((want as { error: { syscall: string } }).error.syscall, 'open');
  }
});

test('readJsonSync keeps a bounded number of parsed files; a file asked for again and again stays kept', () => {
  // A source of 20,000 distinct, unchanging files (old times: none is racy).
  const stat = (p: string) => ({ dev: 1, ino: Number(p.slice(2)), size: 2, mtimeMs: 1000, ctimeMs: 1000 }) as unknown as Stats;
  let parses = 0;
  const ops = readJsonOps({
    statOrUndefined: (p) => stat(String(p)),
    readFileSync: () => { parses++; return Buffer.from('{}'); },
    writes: () => 0,
    missing: (p) => new Error(p),
  });
  const hot = ops.readJsonSync('/f0');
  for (let i = 1; i <= 20_000; i++) {
    ops.readJsonSync(`/f${i}`);
    assert.equal(ops.readJsonSync('/f0'), hot, `the hot file was dropped after ${i} others`);
  }
  assert.ok(ops.kept() <= 4096, `kept ${ops.kept()}`);
  assert.ok(ops.kept() > 1000, `kept ${ops.kept()}: the table holds a working set`);
  assert.equal(parses, 20_001, 'each file parsed once, the hot one never again');
});
