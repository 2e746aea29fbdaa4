// DirLayer's host resources (issue 12.12, 12.13): directory descriptors are bounded per process,
// however many layers there are, and never exhaust the descriptor limit; deep trees cost linear in
// the depth (counted in component opens, not timed) — past PATH_MAX too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { ABSENT } from '../bindings/layers/layer.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const entry = fileURLToPath(new URL('../bindings/index.js', import.meta.url));
const treeModule = fileURLToPath(new URL('../bindings/layers/host/contained-tree.js', import.meta.url));

describe('DirLayer descriptors', () => {
  it('6 lowers x 120 directories under ulimit -n 256: every read works, held descriptors stay within the budget', () => {
    const base = scratchDir('fds');
    const LOWERS = 6;
    const DIRS = 120;
    try {
      for (let l = 0; l < LOWERS; l++) {
        for (let d = 0; d < DIRS; d++) {
          fs.mkdirSync(path.join(base, `l${l}`, `d${d}`), { recursive: true });
          fs.writeFileSync(path.join(base, `l${l}`, `d${d}`, `f${l}`), `${l}/${d}`);
        }
      }
      const script = `
        const { DirLayer, MemoryLayer, Overlay } = await import(${JSON.stringify(entry)});
        const { heldDirectoryDescriptors } = await import(${JSON.stringify(treeModule)});
        const lowers = [];
        for (let l = 0; l < ${LOWERS}; l++) lowers.push(new DirLayer(${JSON.stringify(base)} + '/l' + l, { readOnly: true, watch: false }));
        const ov = new Overlay({ lowers, upper: new MemoryLayer() });
        const errors = {};
        let ok = 0;
        for (let round = 0; round < 2; round++) {
          for (let d = 0; d < ${DIRS}; d++) {
            for (let l = 0; l < ${LOWERS}; l++) {
              try { if (ov.readFile('/d' + d + '/f' + l, 'utf8') === l + '/' + d) ok++; }
              catch (e) { errors[e.code] = (errors[e.code] ?? 0) + 1; }
            }
          }
        }
        const fs = await import('node:fs');
        const probe = fs.openSync('/dev/null', 'r'); fs.closeSync(probe);
        console.log(JSON.stringify({ ok, errors, ...heldDirectoryDescriptors() }));`;
      const r = spawnSync('sh', ['-c', 'ulimit -n 256 && exec "$0" --input-type=module -e "$1"', process.execPath, script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { ok: number; errors: Record<string, number>; held: number; budget: number };
      assert.deepEqual(out.errors, {});
      assert.equal(out.ok, 2 * LOWERS * DIRS);
      assert.equal(out.budget, 64, 'a quarter of the limit');
      assert.ok(out.held <= out.budget, `${out.held} held`);
    } finally { removeTree(base); }
  });
});

describe('DirLayer big directories', () => {
  it('readdir lists, looks up and types every name in one pass (no per-name lookup or stat); a write updates the cached listing, no rebuild', () => {
    const base = scratchDir('bigdir');
    const N = 2000;
    fs.mkdirSync(path.join(base, 'l/d/sub'), { recursive: true });
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(base, 'l/d', `f${i}`), i % 3 === 0 ? '' : 'x');
    fs.symlinkSync('f1', path.join(base, 'l/d/link'));
    const lower = new DirLayer(path.join(base, 'l'), { readOnly: true });
    const calls = { lookup: 0, stat: 0, listEntries: 0 };
    for (const m of ['lookup', 'stat', 'listEntries'] as const) {
      const orig = lower[m].bind(lower) as (a: number, b?: string) => never;
      (lower as unknown as Record<string, unknown>)[m] = (a: number, b?: string) => { calls[m]++; return orig(a, b); };
    }
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer() });
    try {
      const expected = fs.readdirSync(path.join(base, 'l/d'), { withFileTypes: true })
        .map((e) => `${e.name}:${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'}`).sort();
      const typed = () => ov.readdir('/d', { withFileTypes: true })
        .map((e) => `${e.name}:${e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : 'f'}`).sort();
      ov.stat('/d');
      const before = { ...calls };
      assert.deepEqual(typed(), expected);
      assert.equal(calls.listEntries - before.listEntries, 1);
      ov.writeFile('/d/new', 'n'); // copies /d up: its listing has a new source and is rebuilt once
      assert.equal(typed().length, expected.length + 1);
      const rebuilt = calls.listEntries;
      ov.writeFile('/d/new2', 'n');
      ov.unlink('/d/f5');
      ov.unlink('/d/new2');
      ov.rename('/d/f6', '/d/g6');
      const after = typed();
      assert.equal(calls.listEntries, rebuilt, 'the cached listing was updated in place, not rebuilt');
      assert.equal(after.length, expected.length);
      assert.ok(after.includes('new:f') && !after.includes('f5:f') && !after.includes('f6:f') && after.includes('g6:f'));
      assert.deepEqual(ov.readdir('/d'), [...ov.readdir('/d')].sort(), 'still in order');
      // Two listings of ~2,000 names: before listEntries, one lookup and one stat per name each.
      assert.ok(calls.lookup - before.lookup < 10 && calls.stat - before.stat < 10,
        `names come with their handles and types from listEntries: ${JSON.stringify(calls)}`);
    } finally { lower.close(); removeTree(base); }
  });
});

describe('DirLayer deep trees', { skip: isRoot() ? false : 'needs root (trusted.* xattrs for the writable layer)' }, () => {
  it('1,600 levels (past PATH_MAX): each create, stat and lookup at the bottom costs a bounded number of component opens', () => {
    const base = scratchDir('deep');
    const root = path.join(base, 'root');
    fs.mkdirSync(root);
    const layer = new DirLayer(root, { watch: false });
    try {
      const DEPTH = 1600;
      let dir = layer.root();
      const perLevel: number[] = [];
      for (let i = 0; i < DEPTH; i++) {
        const before = layer.walkSteps;
        dir = layer.createNode(dir, 'dd', { type: 'dir', mode: 0o755 });
        perLevel.push(layer.walkSteps - before);
      }
      // A walk from the root would cost one open per level: ~1,600 at the bottom.
      assert.ok(Math.max(...perLevel.slice(-100)) <= 2, `opens per create near the bottom: ${perLevel.slice(-5)}`);
      const before = layer.walkSteps;
      for (let i = 0; i < 10; i++) {
        assert.equal(layer.stat(dir).type, 'dir');
        assert.equal(layer.alive(dir), true);
        assert.equal(layer.lookup(dir, 'nothing'), ABSENT);
      }
      const leaf = layer.createNode(dir, 'leaf', { type: 'file', mode: 0o644, data: new TextEncoder().encode('deep') });
      assert.equal(new TextDecoder().decode(layer.read(leaf)), 'deep');
      assert.ok(layer.walkSteps - before <= 5, `opens for 30 cached operations and a create at depth ${DEPTH}: ${layer.walkSteps - before}`);
      assert.ok(layer.pathOf(leaf).length > 4096, 'the path is longer than PATH_MAX');
    } finally {
      layer.close();
      // rm -r of a path longer than PATH_MAX: let the shell's rm walk it.
      spawnSync('rm', ['-rf', base]);
      removeTree(base);
    }
  });
});
