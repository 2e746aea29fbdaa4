// The rules table createFs reads the running Node's differences from (bindings/fs/node-version.ts),
// and the functions only newer Nodes have (bindings/fs/newer-functions.ts), built here for the
// rules of other majors so `npm test` on Node 20 checks them too. tests/node-majors.test.ts runs
// the oracle suites on the real Node 26.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFs } from '../bindings/fs.js';
import { newerFunctions } from '../bindings/fs/newer-functions.js';
import { majorOf, NODE_FS, nodeFsRules } from '../bindings/fs/node-version.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

test('the rules follow the major of process.versions.node, each change from the major that made it', () => {
  assert.equal(majorOf('26.10.0'), 26);
  assert.equal(NODE_FS.major, majorOf(process.versions.node));
  const pick = (major: number) => {
    const { major: _, statsDates: __, ...rest } = nodeFsRules(major);
    return Object.entries(rest).filter(([, v]) => v === true || v === 'one-of').map(([k]) => k).sort();
  };
  assert.deepEqual(pick(20), ['direntPath', 'promiseReaddirStack', 'rmdirRecursive']);
  assert.deepEqual(pick(22), ['direntPath', 'glob', 'invalidDateKeepsTime', 'promiseReaddirStack', 'recursiveReaddirEntersLinks', 'rmdirRecursive']);
  assert.deepEqual(pick(24), ['glob', 'invalidDateKeepsTime', 'mkdtempDisposable', 'promiseReaddirStack', 'recursiveReaddirEntersLinks', 'rmdirRecursive', 'statfsFrsize', 'symlinkType']);
  assert.deepEqual(pick(25), ['glob', 'invalidDateKeepsTime', 'mkdtempDisposable', 'promiseReaddirStack', 'recursiveReaddirEntersLinks', 'statfsFrsize', 'symlinkType']);
  assert.deepEqual(pick(26), [...pick(25).filter((k) => k !== 'promiseReaddirStack'), 'openAsBlobSync', 'statsInstants'].sort());
});

test("Stats' time fields by major: own Dates (20), getters keeping them hidden (22), kept as plain properties (24 on)", () => {
  assert.deepEqual([20, 21, 22, 23, 24, 25, 26].map((m) => nodeFsRules(m).statsDates),
    ['own', 'own', 'getters-kept-hidden', 'getters-kept-hidden', 'getters-kept', 'getters-kept', 'getters-kept']);
});

test('Dirent.path up to 22, the *Instant getters from 26, the promise readdir walk up to 25', () => {
  const by = (key: 'direntPath' | 'statsInstants' | 'promiseReaddirStack') => [20, 22, 23, 24, 25, 26].map((m) => nodeFsRules(m)[key]);
  assert.deepEqual(by('direntPath'), [true, true, true, false, false, false]);
  assert.deepEqual(by('statsInstants'), [false, false, false, false, false, true]);
  assert.deepEqual(by('promiseReaddirStack'), [true, true, true, true, true, false]);
});

function sources() {
  const ov = new Overlay({ lowers: [new MemoryLayer({ name: 'lower' })], upper: new MemoryLayer({ name: 'upper' }) });
  const fs = createFs(ov);
  fs.mkdirSync('/tmp');
  fs.writeFileSync('/tmp/f', 'bytes');
  const src = {
    mkdtempSync: (p: unknown) => fs.mkdtempSync(p as string),
    rmSync: (p: string, o: { recursive: boolean; force: boolean }) => fs.rmSync(p, o),
    readFileSync: (p: unknown) => fs.readFileSync(p as string) as Buffer,
  };
  return { ov, src };
}

test('Node 20 gets none of the newer functions; Node 26 gets all of them', () => {
  const { src } = sources();
  const none = newerFunctions(nodeFsRules(20), src);
  assert.deepEqual([Object.keys(none.fs), Object.keys(none.promises)], [[], []]);
  const all = newerFunctions(nodeFsRules(26), src);
  assert.deepEqual(Object.keys(all.fs).sort(), ['glob', 'globSync', 'mkdtempDisposableSync', 'openAsBlobSync']);
  assert.deepEqual(Object.keys(all.promises).sort(), ['glob', 'mkdtempDisposable']);
});

test('mkdtempDisposable: a directory in the overlay that removes itself (rm -rf), once or again', async () => {
  const { ov, src } = sources();
  const { fs, promises } = newerFunctions(nodeFsRules(26), src) as Record<string, any>;
  const dir = fs.mkdtempDisposableSync('/tmp/x-');
  assert.match(dir.path, /^\/tmp\/x-.{6}$/);
  ov.writeFile(`${dir.path}/inner`, 'i');
  dir[Symbol.dispose]();
  assert.equal(ov.exists(dir.path), false);
  dir.remove();
  const later = await promises.mkdtempDisposable('/tmp/y-');
  assert.ok(ov.stat(later.path).isDirectory());
  await later[Symbol.asyncDispose]();
  assert.equal(ov.exists(later.path), false);
  await later.remove();
});

test('openAsBlobSync: the file\'s bytes as a Blob; glob refuses with ERR_METHOD_NOT_IMPLEMENTED in each form', async () => {
  const { src } = sources();
  const { fs, promises } = newerFunctions(nodeFsRules(26), src) as Record<string, any>;
  const blob = fs.openAsBlobSync('/tmp/f', { type: 'text/plain' });
  assert.equal(await blob.text(), 'bytes');
  assert.equal(blob.type, 'text/plain');
  assert.throws(() => fs.openAsBlobSync('/tmp/nope'), { code: 'ENOENT' });
  const refused = { code: 'ERR_METHOD_NOT_IMPLEMENTED' };
  assert.throws(() => fs.globSync('*'), refused);
  const err = await new Promise((resolve) => fs.glob('*', resolve));
  assert.equal((err as { code?: string }).code, refused.code);
  assert.throws(() => fs.glob('*', {}), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(async () => { for await (const _ of promises.glob('*')) { /* never */ } }, refused);
});
