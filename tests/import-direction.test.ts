// Imports run one way: tools (cli, commands, verify, bench) → API (index, overlay, fs, …) → engine →
// {cache, layers} → base (abi, errors, policy: leaves everyone may use). Nothing imports a module
// of a higher rank, cache and layers do not import each other, and nothing shipped (bindings/,
// bench/) imports tests/ — an installed package has no tests/. Read from the sources' real imports
// (static, dynamic and type-only), as TypeScript's own pre-processor finds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

// dist/tests/import-direction.test.js → the repository root, where the .ts sources are.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Leaf modules every layer may import: they import nothing of ours but each other. The Node
 * majors' rules table is one: the engine's Stats and Dirent follow it too.
 */
const BASE = new Set(['bindings/abi.ts', 'bindings/errors.ts', 'bindings/policy.ts', 'bindings/arg-errors.ts', 'bindings/fs/arg-errors.ts', 'bindings/fs/node-version.ts']);

type Group = 'tools' | 'api' | 'engine' | 'cache' | 'layers' | 'base' | 'tests';
const RANK: Record<Group, number> = { tests: 6, tools: 5, api: 4, engine: 3, cache: 2, layers: 2, base: 1 };

function groupOf(file: string): Group {
  if (BASE.has(file)) return 'base';
  const [top, second] = file.split('/');
  if (top === 'tests') return 'tests';
  if (top === 'bench') return 'tools';
  assert.equal(top, 'bindings', `${file}: outside bindings/, bench/ and tests/`);
  if (second === 'cli.ts' || second === 'commands' || second === 'verify') return 'tools';
  if (second === 'engine' || second === 'cache' || second === 'layers') return second;
  // Any other file directly in bindings/ (index, overlay, fs, vfs…) or below bindings/fs/ is API.
  return 'api';
}

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Relative imports of a source file, as repository paths of the .ts files they name. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.normalize(path.join(path.dirname(file), name)).replace(/\.js$/, '.ts'));
}

const shipped = [...sources('bindings'), ...sources('bench')];

test('the import graph is read: shipped sources and their imports are found', () => {
  assert.ok(shipped.length >= 80, `only ${shipped.length} sources under bindings/ and bench/?`);
  const edges = shipped.flatMap(importsOf);
  assert.ok(edges.length >= 200, `only ${edges.length} imports found?`);
  assert.ok(importsOf('bindings/cli.ts').includes('bindings/commands/stress.ts'), "cli.ts's dynamic import not seen");
});

test('nothing shipped (bindings/, bench/) imports tests/', () => {
  const bad = shipped.flatMap((file) => importsOf(file).filter((t) => t.startsWith('tests/')).map((t) => `${file} → ${t}`));
  assert.deepEqual(bad, []);
});

/** Why `file` may not import `target`, or undefined when it may. */
function violation(file: string, target: string): string | undefined {
  const from = groupOf(file);
  const to = groupOf(target);
  if (from === to) return undefined;
  const sideways = (from === 'cache' && to === 'layers') || (from === 'layers' && to === 'cache');
  return sideways || RANK[to] >= RANK[from] ? `${file} (${from}) → ${target} (${to})` : undefined;
}

test('imports run one way: tools → API → engine → {cache, layers} → base', () => {
  const bad = shipped.flatMap((file) => importsOf(file).flatMap((target) => violation(file, target) ?? []));
  assert.deepEqual(bad, [], 'upward or sideways imports (a new shared leaf module belongs in BASE above)');
});

test('the rule itself: upward and sideways edges are violations, downward ones are not', () => {
  assert.ok(violation('bindings/engine/lookup.ts', 'bindings/overlay.ts'));
  assert.ok(violation('bindings/cache/wasm-cache.ts', 'bindings/engine/stats.ts'));
  assert.ok(violation('bindings/cache/wasm-cache.ts', 'bindings/layers/layer.ts'));
  assert.ok(violation('bindings/errors.ts', 'bindings/layers/layer.ts'));
  assert.ok(violation('bindings/overlay.ts', 'bindings/verify/prng.ts'));
  assert.ok(violation('bench/run.ts', 'tests/helpers/layer-tree.ts'));
  assert.equal(violation('bindings/overlay.ts', 'bindings/engine/lookup.ts'), undefined);
  assert.equal(violation('bindings/engine/args.ts', 'bindings/fs/arg-errors.ts'), undefined);
  assert.equal(violation('bindings/verify/stress/stress.ts', 'bindings/overlay.ts'), undefined);
  assert.equal(violation('bindings/commands/stress.ts', 'bindings/verify/stress/stress.ts'), undefined);
});
