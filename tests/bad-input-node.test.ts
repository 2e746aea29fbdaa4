// Bad arguments, call by call against node:fs itself: each call runs on node:fs over a temp
// directory and on an Overlay over the same tree, and both must refuse it with the same error
// class and code (or both accept it). A refused call must leave every layer unchanged.
// The Overlay keeps Node 20's rules on every Node; where a later node:fs answers differently
// (bindings/fs/node-version.ts), createFs answers as the running node:fs, and is compared instead.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createFs } from '../bindings/fs.js';
import { NODE_FS, type NodeFsRules } from '../bindings/fs/node-version.js';
import { Overlay } from '../bindings/overlay.js';
import type { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { diffSnapshots, snapshotLayer } from './helpers/layer-snapshot.js';
import { layer, link } from './helpers/layer-tree.js';

/** The synchronous calls both sides answer: node:fs's *Sync functions, or the Overlay's methods. */
interface Api {
  stat(p: string, o?: unknown): unknown;
  lstat(p: string, o?: unknown): unknown;
  readFile(p: string, o?: unknown): unknown;
  readdir(p: string, o?: unknown): unknown;
  readlink(p: string, o?: unknown): unknown;
  realpath(p: string, o?: unknown): unknown;
  writeFile(p: string, d: unknown, o?: unknown): unknown;
  appendFile(p: string, d: unknown, o?: unknown): unknown;
  truncate(p: string, len?: unknown): unknown;
  chmod(p: string, mode: unknown): unknown;
  utimes(p: string, a: unknown, m: unknown): unknown;
  mkdir(p: string, o?: unknown): unknown;
  rmdir(p: string, o?: unknown): unknown;
  rm(p: string, o?: unknown): unknown;
  unlink(p: string): unknown;
  rename(a: string, b: unknown): unknown;
  symlink(t: string, p: string, type?: unknown): unknown;
  link(a: string, b: unknown): unknown;
}

/** node:fs over `root`: every path argument is prefixed. */
function nodeApi(root: string): Api {
  const p = (x: string) => root + x;
  const f = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const at = (name: string, paths: number) => (...args: unknown[]) => f[`${name}Sync`](...args.map((a, i) => i < paths && typeof a === 'string' ? p(a) : a));
  return {
    stat: at('stat', 1), lstat: at('lstat', 1), readFile: at('readFile', 1), readdir: at('readdir', 1),
    readlink: at('readlink', 1), realpath: at('realpath', 1), writeFile: at('writeFile', 1),
    appendFile: at('appendFile', 1), truncate: at('truncate', 1), chmod: at('chmod', 1), utimes: at('utimes', 1),
    mkdir: at('mkdir', 1), rmdir: at('rmdir', 1), rm: at('rm', 1), unlink: at('unlink', 1), rename: at('rename', 2),
    // The target of a symlink is kept as written (relative), as the Overlay keeps it.
    symlink: (t, x, type) => fs.symlinkSync(t, p(x), type as never), link: at('link', 2),
  };
}

/** createFs's sync forms, as the same Api. */
function adapterApi(ov: Overlay): Api {
  const f = createFs(ov) as unknown as Record<string, (...args: unknown[]) => unknown>;
  const at = (name: string) => (...args: unknown[]) => f[`${name}Sync`](...args);
  const names = ['stat', 'lstat', 'readFile', 'readdir', 'readlink', 'realpath', 'writeFile', 'appendFile', 'truncate', 'chmod',
    'utimes', 'mkdir', 'rmdir', 'rm', 'unlink', 'rename', 'symlink', 'link'];
  return Object.fromEntries(names.map((n) => [n, at(n)])) as unknown as Api;
}

type Call = [label: string, call: (api: Api) => unknown];

/** Calls node:fs answers differently after Node 20, and on which rules it does. */
const CHANGED_AFTER_20: Record<string, (rules: NodeFsRules) => boolean> = {
  'symlink type "bogus"': (r) => r.symlinkType !== 'strings-checked',
  'symlink type "" ': (r) => r.symlinkType !== 'strings-checked',
  'symlink type 5 (ignored)': (r) => r.symlinkType !== 'strings-checked',
  'rmdir { recursive: "yes" }': (r) => !r.rmdirRecursive,
  'rmdir { maxRetries: -1 }': (r) => !r.rmdirRecursive,
  'rmdir { recursive: true } of a file': (r) => !r.rmdirRecursive,
  'rmdir { recursive: true } of nothing': (r) => !r.rmdirRecursive,
  'utimes(p, new Date(NaN))': (r) => r.invalidDateKeepsTime,
  'utimes(missing, new Date(NaN))': (r) => r.invalidDateKeepsTime,
};

const BAD: Call[] = [
  ['stat(p, null)', (a) => a.stat('/f', null)],
  ['lstat(p, null)', (a) => a.lstat('/f', null)],
  ['writeFile mode -1', (a) => a.writeFile('/new', 'x', { mode: -1 })],
  ['writeFile mode "abc"', (a) => a.writeFile('/new', 'x', { mode: 'abc' })],
  ['writeFile mode 1.5', (a) => a.writeFile('/new', 'x', { mode: 1.5 })],
  ['writeFile mode -1 on an existing file', (a) => a.writeFile('/f', 'x', { mode: -1 })],
  ['writeFile mode null (the default)', (a) => a.writeFile('/new', 'x', { mode: null })],
  ['writeFile options 5', (a) => a.writeFile('/new', 'x', 5)],
  ['writeFile options true', (a) => a.writeFile('/new', 'x', true)],
  ['writeFile encoding "bogus"', (a) => a.writeFile('/new', 'x', 'bogus')],
  ['writeFile { encoding: 5 }', (a) => a.writeFile('/new', 'x', { encoding: 5 })],
  ['writeFile flag "bogus"', (a) => a.writeFile('/new', 'x', { flag: 'bogus' })],
  ['writeFile signal 5', (a) => a.writeFile('/new', 'x', { signal: 5 })],
  ['writeFile data 5', (a) => a.writeFile('/new', 5)],
  ['writeFile data {}', (a) => a.writeFile('/new', {})],
  ['appendFile mode -1', (a) => a.appendFile('/f', 'x', { mode: -1 })],
  ['appendFile options 5', (a) => a.appendFile('/f', 'x', 5)],
  ['appendFile flag "zz"', (a) => a.appendFile('/f', 'x', { flag: 'zz' })],
  ['readFile encoding "bogus"', (a) => a.readFile('/f', 'bogus')],
  ['readFile options 5', (a) => a.readFile('/f', 5)],
  ['readFile flag "bogus"', (a) => a.readFile('/f', { flag: 'bogus' })],
  ['readFile options null', (a) => a.readFile('/f', null)],
  ['readdir encoding "bogus"', (a) => a.readdir('/d', 'bogus')],
  ['readdir options 5', (a) => a.readdir('/d', 5)],
  ['readdir recursive "yes"', (a) => a.readdir('/d', { recursive: 'yes' })],
  ['readlink encoding "bogus"', (a) => a.readlink('/s', 'bogus')],
  ['readlink options 5', (a) => a.readlink('/s', 5)],
  ['realpath encoding "bogus"', (a) => a.realpath('/f', { encoding: 'bogus' })],
  ['mkdir { recursive: "yes" }', (a) => a.mkdir('/m', { recursive: 'yes' })],
  ['mkdir { recursive: null }', (a) => a.mkdir('/m', { recursive: null })],
  ['mkdir { mode: null }', (a) => a.mkdir('/m', { mode: null })],
  ['mkdir mode -1', (a) => a.mkdir('/m', -1)],
  ['mkdir mode 1.5', (a) => a.mkdir('/m', { mode: 1.5 })],
  ['mkdir options true (ignored)', (a) => a.mkdir('/m', true)],
  ['symlink type "bogus"', (a) => a.symlink('f', '/s2', 'bogus')],
  ['symlink type "" ', (a) => a.symlink('f', '/s2', '')],
  ['symlink type 5 (ignored)', (a) => a.symlink('f', '/s2', 5)],
  ['rm { recursive: "yes" }', (a) => a.rm('/d', { recursive: 'yes' })],
  ['rm { force: 1 }', (a) => a.rm('/nope', { force: 1 })],
  ['rm { force: undefined }', (a) => a.rm('/nope', { force: undefined })],
  ['rm { maxRetries: -1 }', (a) => a.rm('/nope', { maxRetries: -1, force: true })],
  ['rm { retryDelay: 1.5 }', (a) => a.rm('/nope', { retryDelay: 1.5, force: true })],
  ['rm options 5', (a) => a.rm('/f', 5)],
  ['rm options "x"', (a) => a.rm('/f', 'x')],
  ['rm options null', (a) => a.rm('/f', null)],
  ['rm options []', (a) => a.rm('/f', [])],
  ['rmdir { recursive: "yes" }', (a) => a.rmdir('/d', { recursive: 'yes' })],
  ['rmdir options 5', (a) => a.rmdir('/e', 5)],
  ['rmdir options null', (a) => a.rmdir('/e', null)],
  ['rmdir { maxRetries: -1 }', (a) => a.rmdir('/e', { maxRetries: -1 })],
  ['rmdir { recursive: true } of a file', (a) => a.rmdir('/f', { recursive: true })],
  ['rmdir { recursive: true } of nothing', (a) => a.rmdir('/nope', { recursive: true })],
  ['utimes(p, new Date(NaN))', (a) => a.utimes('/f', new Date(NaN), new Date(NaN))],
  ['utimes(p, 1e20)', (a) => a.utimes('/f', 1e20, 1e20)],
  ['utimes(missing, new Date(NaN))', (a) => a.utimes('/nope', new Date(NaN), 1)],
  ['utimes NaN', (a) => a.utimes('/f', NaN, 1)],
  ['utimes Infinity', (a) => a.utimes('/f', 1, Infinity)],
  ['utimes "abc"', (a) => a.utimes('/f', 'abc', 1)],
  ['utimes null', (a) => a.utimes('/f', null, 1)],
  ['truncate 2**53', (a) => a.truncate('/f', 2 ** 53)],
  ['truncate 1.5', (a) => a.truncate('/f', 1.5)],
  ['truncate "1"', (a) => a.truncate('/f', '1')],
  ['truncate null', (a) => a.truncate('/f', null)],
  ['truncate NaN', (a) => a.truncate('/f', NaN)],
  ['chmod -1', (a) => a.chmod('/f', -1)],
  ['chmod 1.5', (a) => a.chmod('/f', 1.5)],
  ['chmod "abc"', (a) => a.chmod('/f', 'abc')],
  ['chmod undefined', (a) => a.chmod('/f', undefined)],
  ['rename to a number', (a) => a.rename('/f', 7)],
  ['link to a number', (a) => a.link('/f', 7)],
];

interface Outcome {
  ok: boolean;
  kind?: string;
  code?: string;
}

function outcome(call: () => unknown): Outcome {
  try {
    call();
    return { ok: true };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { ok: false, kind: e.constructor.name, code: e.code };
  }
}

/** The tree both sides start from: a file, a directory with a file, an empty directory, a link. */
function build(api: Api): void {
  api.writeFile('/f', 'file');
  api.mkdir('/d');
  api.writeFile('/d/g', 'g');
  api.mkdir('/e');
  api.symlink('f', '/s');
}

let tmp: string;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bad-input-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function overlay(): { ov: Overlay; all: MemoryLayer[] } {
  const lower = layer({ f: 'file', d: { g: 'g' }, e: {}, s: link('f') });
  const upper = layer();
  return { ov: new Overlay({ lowers: [lower], upper }), all: [upper, lower] };
}

for (const [i, [label, call]] of BAD.entries()) {
  const changed = CHANGED_AFTER_20[label]?.(NODE_FS) === true;
  test(`node:fs oracle: ${label}`, () => {
    const root = path.join(tmp, String(i));
    fs.mkdirSync(root);
    const host = nodeApi(root);
    build(host);
    const expected = outcome(() => call(host));
    // The Overlay answers as node:fs 20; on a Node that answers otherwise, createFs is compared.
    if (!changed) compare(expected, (ov) => call(ov as unknown as Api));
    if (label in CHANGED_AFTER_20) compare(expected, (ov) => call(adapterApi(ov)), 'createFs: ');
  });
}

/** One side's answer against node:fs's; a refusal must leave every layer unchanged. */
function compare(expected: Outcome, call: (ov: Overlay) => unknown, who = ''): void {
  const { ov, all } = overlay();
  const before = all.map((l) => snapshotLayer(l));
  const got = outcome(() => call(ov));
  if (expected.ok) {
    assert.deepEqual(got, expected, `${who}node:fs accepts it; the overlay threw ${got.kind} ${got.code}`);
    return;
  }
  assert.equal(got.ok, false, `${who}node:fs refuses it (${expected.kind} ${expected.code}); the overlay accepted it`);
  assert.equal(got.kind, expected.kind, `${who}error class`);
  // node:fs fails stat(p, null) with a bare TypeError from inside; the overlay names the argument.
  assert.equal(got.code, expected.code ?? 'ERR_INVALID_ARG_TYPE', `${who}error code`);
  all.forEach((l, n) => assert.equal(diffSnapshots(before[n], snapshotLayer(l)), '', `${who}layer ${n} changed`));
}

test('utimes: a time past what a Date can show is stored clamped, never as an invalid date', () => {
  const { ov } = overlay();
  ov.utimes('/f', 1e15, 1e15); // node:fs accepts it; ext4 clamps it to the year 2446
  const st = ov.stat('/f');
  assert.ok(Number.isFinite(st.mtime.getTime()), 'mtime is a valid date');
  assert.equal(st.mtimeMs, 8.64e15);
  ov.utimes('/f', new Date(-8.64e15), new Date(-8.64e15));
  assert.equal(ov.stat('/f').atimeMs, -8.64e15);
});

test('truncate past what a layer can hold is EFBIG (a Node-style error), the file unchanged', () => {
  const { ov, all } = overlay();
  const before = all.map((l) => snapshotLayer(l));
  assert.throws(() => ov.truncate('/f', 2 ** 40), (err: Error & { code?: string; syscall?: string; path?: string }) => {
    assert.equal(err.code, 'EFBIG');
    assert.equal(err.syscall, 'ftruncate');
    assert.equal(err.path, '/f');
    return true;
  });
  all.forEach((l, n) => assert.equal(diffSnapshots(before[n], snapshotLayer(l)), '', `layer ${n} changed`));
  assert.equal(ov.readFile('/f', 'utf8'), 'file');
});
