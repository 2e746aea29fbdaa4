// enhanced-resolve (webpack's resolver), with and without CachedInputFileSystem, and fast-glob,
// run through createFs over the project overlay and directly on the merged copy on disk: the same
// requests must resolve to the same files, and the same patterns match the same paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import enhancedResolve from 'enhanced-resolve';
import fg from 'fast-glob';
import { project, rel, ROOT } from './project.js';

const { CachedInputFileSystem, ResolverFactory } = enhancedResolve;

const REQUESTS: [from: string, request: string][] = [
  ['src', './greet'], ['src', './greet.js'], ['src', './added'], ['src', './old'], ['src', './data.json'], ['src', './data'],
  ['src', 'dep'], ['src', 'dep/extra'], ['src', 'dep/lib/main.js'], ['src', 'plain'], ['src', 'nope'], ['', '.'], ['src', '..'],
  ['src', './types'], ['src', '../node_modules/plain'],
];

async function resolveAll(fileSystem: unknown, root: string): Promise<unknown[]> {
  const resolver = ResolverFactory.createResolver({ fileSystem: fileSystem as never, extensions: ['.js', '.json', '.ts'], conditionNames: ['require'] });
  const out: unknown[] = [];
  for (const [from, request] of REQUESTS) {
    out.push(await new Promise((resolve) => resolver.resolve({}, `${root}/${from}`.replace(/\/$/, ''), request, {}, (err, file) => {
      resolve(err ? 'not found' : rel(file, root));
    })));
  }
  return out;
}

test('enhanced-resolve resolves the same files through the overlay as on disk (plain and cached fs)', async () => {
  const p = project();
  try {
    const expected = await resolveAll(new CachedInputFileSystem(nodeFs as never, 4000), p.disk);
    assert.ok(expected.includes('/src/added.js') && expected.includes('not found'), String(expected));
    assert.deepEqual(await resolveAll(p.fs, ROOT), expected);
    assert.deepEqual(await resolveAll(new CachedInputFileSystem(p.fs as never, 4000), ROOT), expected);
    assert.deepEqual(await resolveAll(nodeFs, p.disk), expected);
  } finally {
    p.cleanup();
  }
});

test('fast-glob matches the same paths through the overlay as on disk', async () => {
  const p = project();
  try {
    const patterns = ['**/*.js', 'src/*.{ts,json}', '**/package.json', '!**/node_modules/**', 'src/**'];
    for (const pattern of patterns) {
      const positive = pattern.startsWith('!') ? ['**/*', pattern] : [pattern];
      const onDisk = fg.sync(positive, { cwd: p.disk, dot: true }).sort();
      const viaSync = fg.sync(positive, { cwd: ROOT, dot: true, fs: p.fs as never }).sort();
      const viaAsync = (await fg(positive, { cwd: ROOT, dot: true, fs: p.fs as never })).sort();
      assert.deepEqual(viaSync, onDisk, pattern);
      assert.deepEqual(viaAsync, onDisk, pattern);
    }
    const withTypes = fg.sync('src/*', { cwd: ROOT, fs: p.fs as never, objectMode: true, stats: true });
    assert.ok(withTypes.every((e) => e.stats?.isFile()));
  } finally {
    p.cleanup();
  }
});
