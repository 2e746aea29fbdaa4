// createFs's `lightErrors`: the answers a resolver asks for by the thousand (a missing path to
// stat/lstat/readJson, readlink of a non-symlink) thrown as light errors. Each is compared with
// what the default adapter throws for the same call (itself checked against node:fs by the
// oracle suites): every field, the message and stack, and how String, JSON and util.inspect show
// it. Only nativeness differs, by design.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as util from 'node:util';
import { createFs } from '../bindings/fs.js';
import { Overlay } from '../bindings/overlay.js';
import { layer, link } from './helpers/layer-tree.js';

function adapters() {
  const lower = layer({ d: { f: 'data', 'p.json': '{"a":1}', l: link('f') } });
  const ov = new Overlay({ lowers: [lower] });
  return { light: createFs(ov, { lightErrors: true }), plain: createFs(ov) };
}

type Fs = ReturnType<typeof createFs>;

function thrown(fn: () => unknown): unknown {
  try {
    return { value: fn() };
  } catch (err) {
    return err;
  }
}

/** Everything a caller can read of an error, nativeness apart. */
function shape(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const x = e as NodeJS.ErrnoException;
  return {
    code: x.code, errno: x.errno, syscall: x.syscall, path: x.path, message: x.message, stack: x.stack, name: x.name,
    constructor: x.constructor, string: String(x), json: JSON.stringify(x), keys: Object.keys(x),
    tag: Object.prototype.toString.call(x), inspect: util.inspect(x),
  };
}

const CALLS: [string, (fs: Fs) => unknown][] = [
  ['statSync missing', (fs) => fs.statSync('/d/none')],
  ['statSync missing, throwIfNoEntry false', (fs) => fs.statSync('/d/none', { throwIfNoEntry: false })],
  ['statSync missing, bigint', (fs) => fs.statSync('/d/none', { bigint: true })],
  ['statSync below a file', (fs) => fs.statSync('/d/f/x')],
  ['lstatSync missing', (fs) => fs.lstatSync('/none')],
  ['readlinkSync of a file', (fs) => fs.readlinkSync('/d/f')],
  ['readlinkSync of a directory', (fs) => fs.readlinkSync('/d')],
  ['readlinkSync missing', (fs) => fs.readlinkSync('/d/none')],
  ['readlinkSync below a file', (fs) => fs.readlinkSync('/d/f/x')],
  ['readlinkSync of a symlink', (fs) => fs.readlinkSync('/d/l')],
  ['readlinkSync of a symlink, trailing slash', (fs) => fs.readlinkSync('/d/l/')],
  ['readlinkSync of a directory, trailing slash', (fs) => fs.readlinkSync('/d/')],
  ['lstatSync of a file, trailing slash', (fs) => fs.lstatSync('/d/f/')],
  ['readJsonSync missing', (fs) => fs.readJsonSync('/d/none.json')],
  ['readJsonSync', (fs) => fs.readJsonSync('/d/p.json')],
];

test('lightErrors: each answer reads as the default adapter\'s error (or value), field by field', () => {
  const { light, plain } = adapters();
  for (const [what, call] of CALLS) {
    // Twice: the second call is answered by the overlay's cache.
    for (let i = 0; i < 2; i++) assert.deepEqual(shape(thrown(() => call(light))), shape(thrown(() => call(plain))), what);
  }
});

test('lightErrors: the callback and promise forms reject with the same light errors', async () => {
  const { light, plain } = adapters();
  const viaCallback = (fs: Fs) => new Promise((resolve) => fs.stat('/d/none', (err: NodeJS.ErrnoException | null) => resolve(err)));
  assert.deepEqual(shape(await viaCallback(light)), shape(await viaCallback(plain)));
  const viaPromise = (fs: Fs) => fs.promises.readlink('/d/f').then(() => undefined, (err: unknown) => err);
  assert.deepEqual(shape(await viaPromise(light)), shape(await viaPromise(plain)));
});

test('lightErrors: light, not native; message and stack stay writable like an Error\'s', () => {
  const { light, plain } = adapters();
  const e = thrown(() => light.statSync('/d/none')) as Error;
  assert.equal(util.types.isNativeError(e), false);
  assert.equal(util.types.isNativeError(thrown(() => plain.statSync('/d/none'))), true);
  assert.ok(e instanceof Error);
  e.message = 'while loading: ' + e.message;
  assert.equal(e.message, "while loading: ENOENT: no such file or directory, stat '/d/none'");
  assert.equal(Object.keys(e).includes('message'), false, 'message stays non-enumerable, as on an Error');
  e.stack = 'replaced';
  assert.equal(e.stack, 'replaced');
  // Another error is not touched by that.
  assert.equal((thrown(() => light.statSync('/d/none')) as Error).message, "ENOENT: no such file or directory, stat '/d/none'");
});
