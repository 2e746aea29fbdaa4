// createFs(overlay): the node:fs-shaped adapter. Checks that the sync, callback and promise forms
// give the same answers and leave the same overlay state (success and error), that bad arguments
// fail exactly as node:fs fails on them, that encodings and recursive readdir match node:fs on an
// equal tree on disk, and that enhanced-resolve resolves packages held in layers through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import enhancedResolve from 'enhanced-resolve';
import { createFs, type OverlayFs } from '../bindings/fs.js';
import { NODE_FS } from '../bindings/fs/node-version.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

const { CachedInputFileSystem, ResolverFactory } = enhancedResolve;

// ------------------------------------------------------------------ fixtures

const HOSTS = '127.0.0.1 localhost\n';

// Fixed clocks: fixtures built a few milliseconds apart must hold equal timestamps.
const clock = () => 1_700_000_000_000;

function lowerLayer(): MemoryLayer {
  const lower = new MemoryLayer({ name: 'lower', clock });
  lower.mkdir('/etc', { recursive: true });
  lower.writeFile('/etc/hosts', HOSTS);
  lower.symlink('hosts', '/etc/alias');
  lower.symlink('/nowhere', '/etc/dangling');
  lower.mkdir('/lib/sub', { recursive: true });
  lower.writeFile('/lib/sub/a.txt', 'a');
  lower.writeFile('/lib/b.txt', 'bb');
  lower.writeFile('/lib/gone', 'hidden by the upper');
  return lower;
}

function upperLayer(): MemoryLayer {
  const upper = new MemoryLayer({ name: 'upper', clock });
  upper.mkdir('/home/u', { recursive: true });
  upper.writeFile('/home/u/notes', 'n');
  upper.mkdir('/lib');
  upper.whiteout('/lib/gone');
  return upper;
}

function overlay(writable = true): Overlay {
  return new Overlay({ lowers: [lowerLayer()], upper: writable ? upperLayer() : undefined });
}

/** The whole visible tree as text: what a write did, compared across the three forms. */
function dump(ov: Overlay, dir = '/'): string {
  const lines: string[] = [];
  for (const name of ov.readdir(dir)) {
    const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
    const st = ov.lstat(p);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) lines.push(`${p}/ ${mode}`, dump(ov, p));
    else if (st.isSymbolicLink()) lines.push(`${p} -> ${ov.readlink(p)}`);
    else lines.push(`${p} ${mode} ${st.mtimeMs > 0 ? 't' : '0'} ${JSON.stringify(ov.readFile(p, 'utf8'))}`);
  }
  return lines.filter((l) => l !== '').join('\n');
}

// ------------------------------------------------------------------ outcomes

type Outcome = { ok: unknown } | { error: Record<string, unknown> };

function describeValue(v: unknown): unknown {
  if (v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return { buffer: v.toString('hex') };
  if (Array.isArray(v)) return v.map(describeValue);
  if (typeof v === 'object' && v !== null && 'isDirectory' in v) {
    const s = v as nodeFs.Stats & { name?: string; parentPath?: string };
    const type = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'symlink' : 'other';
    if (typeof s.name === 'string') return { dirent: s.name, parentPath: s.parentPath, type };
    return { type, ino: s.ino, size: s.size, mode: s.mode, nlink: s.nlink, mtimeMs: s.mtimeMs };
  }
  return v;
}

function describeError(e: unknown): { error: Record<string, unknown> } {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  return { error: { kind: err.constructor.name, code: err.code, syscall: err.syscall, path: err.path, dest: err.dest, message: err.message } };
}

function viaSync(fs: OverlayFs, op: string, args: unknown[]): Outcome {
  try {
    return { ok: describeValue((fs as unknown as Record<string, (...a: unknown[]) => unknown>)[`${op}Sync`](...args)) };
  } catch (e) {
    return describeError(e);
  }
}

function viaCallback(fs: OverlayFs, op: string, args: unknown[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let returned = false;
    (fs as unknown as Record<string, (...a: unknown[]) => void>)[op](...args, (err: unknown, result: unknown) => {
      if (!returned) reject(new Error(`${op}: callback ran before the call returned`));
      resolve(err ? describeError(err) : { ok: describeValue(result) });
    });
    returned = true;
  });
}

async function viaPromise(fs: OverlayFs, op: string, args: unknown[]): Promise<Outcome> {
  try {
    return { ok: describeValue(await (fs.promises as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op](...args)) };
  } catch (e) {
    return describeError(e);
  }
}

interface Case {
  op: string;
  args: unknown[];
  /** The expected error code, or a check of the (described) result. */
  expect: string | ((value: any) => void);
  readOnly?: boolean;
}

const T = new Date(1_600_000_000_000);

const CASES: Case[] = [
  { op: 'stat', args: ['/etc/hosts'], expect: (v) => { assert.equal(v.type, 'file'); assert.equal(v.size, HOSTS.length); } },
  { op: 'stat', args: ['/etc/alias'], expect: (v) => assert.equal(v.type, 'file') },
  { op: 'stat', args: ['/etc/dangling'], expect: 'ENOENT' },
  { op: 'stat', args: ['/lib/gone'], expect: 'ENOENT' },
  { op: 'stat', args: ['/etc/hosts/x'], expect: 'ENOTDIR' },
  { op: 'lstat', args: ['/etc/alias'], expect: (v) => assert.equal(v.type, 'symlink') },
  { op: 'lstat', args: ['/'], expect: (v) => { assert.equal(v.type, 'dir'); assert.equal(v.nlink, 1); } },
  { op: 'access', args: ['/etc/hosts'], expect: (v) => assert.equal(v, undefined) },
  { op: 'access', args: ['/nope', nodeFs.constants.R_OK], expect: 'ENOENT' },
  { op: 'readdir', args: ['/lib'], expect: (v) => assert.deepEqual(v, ['b.txt', 'sub']) },
  { op: 'readdir', args: ['/', { withFileTypes: true }], expect: (v) => assert.deepEqual(v.map((d: any) => `${d.dirent}:${d.type}`), ['etc:dir', 'home:dir', 'lib:dir']) },
  { op: 'readdir', args: ['/lib', { recursive: true }], expect: (v) => assert.deepEqual(v, ['b.txt', 'sub', 'sub/a.txt']) },
  { op: 'readdir', args: ['/etc/hosts'], expect: 'ENOTDIR' },
  { op: 'readdir', args: ['/nope'], expect: 'ENOENT' },
  { op: 'readFile', args: ['/etc/alias', 'utf8'], expect: (v) => assert.equal(v, HOSTS) },
  { op: 'readFile', args: ['/lib/b.txt'], expect: (v) => assert.deepEqual(v, { buffer: Buffer.from('bb').toString('hex') }) },
  { op: 'readFile', args: ['/lib', { encoding: 'utf8' }], expect: 'EISDIR' },
  { op: 'readlink', args: ['/etc/dangling'], expect: (v) => assert.equal(v, '/nowhere') },
  { op: 'readlink', args: ['/etc/hosts'], expect: 'EINVAL' },
  { op: 'realpath', args: ['/etc/alias'], expect: (v) => assert.equal(v, '/etc/hosts') },
  { op: 'realpath', args: ['/etc/dangling'], expect: 'ENOENT' },
  { op: 'writeFile', args: ['/etc/hosts', 'new'], expect: (v) => assert.equal(v, undefined) },
  { op: 'writeFile', args: ['/etc/new', Buffer.from('b'), { mode: 0o600 }], expect: (v) => assert.equal(v, undefined) },
  { op: 'writeFile', args: ['/etc/hosts', 'x', { flag: 'wx' }], expect: 'EEXIST' },
  { op: 'writeFile', args: ['/etc/dangling', 'x', { flag: 'wx' }], expect: 'EEXIST' },
  { op: 'writeFile', args: ['/missing/file', 'x'], expect: 'ENOENT' },
  { op: 'writeFile', args: ['/etc/hosts', 'x'], expect: 'EROFS', readOnly: true },
  { op: 'appendFile', args: ['/lib/b.txt', 'cc'], expect: (v) => assert.equal(v, undefined) },
  { op: 'appendFile', args: ['/lib/sub', 'cc'], expect: 'EISDIR' },
  { op: 'mkdir', args: ['/a/b/c', { recursive: true }], expect: (v) => assert.equal(v, '/a') },
  { op: 'mkdir', args: ['/lib/gone'], expect: (v) => assert.equal(v, undefined) },
  { op: 'mkdir', args: ['/etc'], expect: 'EEXIST' },
  { op: 'mkdir', args: ['/x'], expect: 'EROFS', readOnly: true },
  { op: 'rmdir', args: ['/lib'], expect: 'ENOTEMPTY' },
  // rmdir's `recursive` works up to Node 24; from 25 naming it is an argument error (bad-input-node.test.ts).
  ...(NODE_FS.rmdirRecursive ? [
    { op: 'rmdir', args: ['/lib', { recursive: true }], expect: (v) => assert.equal(v, undefined) },
    { op: 'rmdir', args: ['/etc/hosts', { recursive: true }], expect: 'ENOTDIR' },
  ] as Case[] : []),
  { op: 'rm', args: ['/lib', { recursive: true }], expect: (v) => assert.equal(v, undefined) },
  { op: 'rm', args: ['/lib'], expect: 'ERR_FS_EISDIR' },
  { op: 'rm', args: ['/nope', { force: true }], expect: (v) => assert.equal(v, undefined) },
  { op: 'unlink', args: ['/etc/hosts'], expect: (v) => assert.equal(v, undefined) },
  { op: 'unlink', args: ['/etc/nope'], expect: 'ENOENT' },
  { op: 'unlink', args: ['/etc/hosts'], expect: 'EROFS', readOnly: true },
  { op: 'rename', args: ['/etc/hosts', '/home/hosts'], expect: (v) => assert.equal(v, undefined) },
  { op: 'rename', args: ['/lib/sub', '/home/sub'], expect: 'EXDEV' },
  { op: 'rename', args: ['/nope', '/home/x'], expect: 'ENOENT' },
  { op: 'symlink', args: ['../etc/hosts', '/home/link'], expect: (v) => assert.equal(v, undefined) },
  { op: 'symlink', args: ['x', '/etc/hosts'], expect: 'EEXIST' },
  { op: 'link', args: ['/etc/hosts', '/home/hard'], expect: (v) => assert.equal(v, undefined) },
  { op: 'link', args: ['/lib', '/home/dirlink'], expect: 'EPERM' },
  { op: 'truncate', args: ['/etc/hosts', 4], expect: (v) => assert.equal(v, undefined) },
  { op: 'truncate', args: ['/nope'], expect: 'ENOENT' },
  { op: 'chmod', args: ['/lib/b.txt', 0o600], expect: (v) => assert.equal(v, undefined) },
  { op: 'chmod', args: ['/nope', 0o600], expect: 'ENOENT' },
  { op: 'utimes', args: ['/lib/b.txt', T, T], expect: (v) => assert.equal(v, undefined) },
  { op: 'utimes', args: ['/nope', T, T], expect: 'ENOENT' },
];

test('sync, callback and promise forms agree on answers, errors and resulting state', async () => {
  for (const c of CASES) {
    const label = `${c.op}(${c.args.map((a) => JSON.stringify(a)).join(', ')})${c.readOnly ? ' read-only' : ''}`;
    const overlays = [overlay(!c.readOnly), overlay(!c.readOnly), overlay(!c.readOnly)];
    const [a, b, p] = overlays.map((ov) => createFs(ov));
    const outcomes = [viaSync(a, c.op, c.args), await viaCallback(b, c.op, c.args), await viaPromise(p, c.op, c.args)];
    assert.deepEqual(outcomes[1], outcomes[0], `${label}: callback form differs from sync`);
    assert.deepEqual(outcomes[2], outcomes[0], `${label}: promise form differs from sync`);
    const states = overlays.map((ov) => dump(ov));
    assert.equal(states[1], states[0], `${label}: callback form left a different tree`);
    assert.equal(states[2], states[0], `${label}: promise form left a different tree`);
    const o = outcomes[0];
    if (typeof c.expect === 'string') {
      assert.ok('error' in o, `${label}: expected ${c.expect}, got ${JSON.stringify(o)}`);
      assert.equal(o.error.code, c.expect, label);
    } else {
      assert.ok('ok' in o, `${label}: expected success, got ${JSON.stringify(o)}`);
      c.expect(o.ok);
    }
  }
});

test('writes through the adapter land in the overlay as overlay writes (copy-up, whiteouts)', () => {
  const ov = overlay();
  const fs = createFs(ov);
  const ino = fs.statSync('/etc/hosts').ino;
  fs.writeFileSync('/etc/hosts', 'changed');
  assert.equal(ov.resolve('/etc/hosts').layer, 'upper');
  assert.equal(fs.statSync('/etc/hosts').ino, ino, 'copy-up keeps the inode number (fact 10)');
  fs.appendFileSync('/etc/hosts', '+more', { flag: 'a' });
  assert.equal(fs.readFileSync('/etc/hosts', 'utf8'), 'changed+more');
  fs.writeFileSync('/etc/hosts', 'again', { flag: 'a' });
  assert.equal(fs.readFileSync('/etc/hosts', 'utf8'), 'changed+moreagain');
  fs.unlinkSync('/lib/b.txt');
  assert.equal(fs.existsSync('/lib/b.txt'), false);
  assert.deepEqual(fs.readdirSync('/lib'), ['sub']);
  assert.equal(fs.mkdirSync('/lib/b.txt'), undefined);
  assert.deepEqual(fs.readdirSync('/lib/b.txt'), []);
});

// ------------------------------------------------------------------ callback timing and throwing

test('callback errors arrive on a later tick, never as a throw', async () => {
  const fs = createFs(overlay());
  let called = false;
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    fs.stat('/nope', (e: NodeJS.ErrnoException) => { called = true; resolve(e); });
    assert.equal(called, false, 'callback ran synchronously');
  });
  assert.equal(err.code, 'ENOENT');
  assert.equal(err.message, "ENOENT: no such file or directory, stat '/nope'");
});

test('stat throwIfNoEntry: false answers undefined in the sync form only, as node:fs', async () => {
  const fs = createFs(overlay());
  assert.equal(fs.statSync('/nope', { throwIfNoEntry: false }), undefined);
  assert.equal(fs.lstatSync('/etc/dangling', { throwIfNoEntry: false })?.isSymbolicLink(), true);
  assert.throws(() => fs.statSync('/etc/hosts/x', { throwIfNoEntry: false }), { code: 'ENOTDIR' });
  const viaCb = await viaCallback(fs, 'stat', ['/nope', { throwIfNoEntry: false }]);
  assert.equal('error' in viaCb && viaCb.error.code, 'ENOENT');
  await assert.rejects(fs.promises.stat('/nope', { throwIfNoEntry: false } as never), { code: 'ENOENT' });
});

test('exists(p, cb) answers a boolean on a later tick; existsSync never throws', async () => {
  const fs = createFs(overlay());
  const answers = await Promise.all(['/etc/alias', '/etc/dangling', '/nope/x'].map((p) => new Promise<boolean>((resolve) => fs.exists(p, resolve))));
  assert.deepEqual(answers, [true, false, false]);
  for (const bad of [123, null, undefined, {}, '/a\0b', new URL('http://x/')]) assert.equal(fs.existsSync(bad), false);
});

// ------------------------------------------------------------------ bad arguments, against node:fs

const BAD_PATHS: [string, unknown][] = [
  ['number', 123],
  ['null', null],
  ['undefined', undefined],
  ['object', {}],
  ['boolean', true],
  ['NUL in string', '/a\0b'],
  ['NUL in Buffer', Buffer.from('/a\0b')],
  ['http URL', new URL('http://example.com/a')],
  ['URL with a host', new URL('file://host/a')],
  ['URL with %2F', new URL('file:///a%2Fb')],
];

function thrown(fn: () => unknown): { kind: string; code: unknown; message: string } | 'no throw' {
  try {
    fn();
    return 'no throw';
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { kind: err.constructor.name, code: err.code, message: err.message };
  }
}

test('bad path arguments fail exactly as node:fs fails (sync forms)', () => {
  const fs = createFs(overlay());
  const ops = ['statSync', 'lstatSync', 'readdirSync', 'readlinkSync', 'realpathSync', 'accessSync', 'unlinkSync', 'rmdirSync'] as const;
  for (const [label, bad] of BAD_PATHS) {
    for (const op of ops) {
      const ours = thrown(() => (fs[op] as (p: unknown) => unknown)(bad));
      // node:fs's JS realpathSync turns any value into a string first; its .native validates.
      const nodeOp = op === 'realpathSync' ? nodeFs.realpathSync.native : nodeFs[op];
      const node = thrown(() => (nodeOp as (p: unknown) => unknown)(bad));
      assert.notEqual(node, 'no throw', `${op}(${label}): node:fs accepted it — bad fixture`);
      // Node 20's readlinkSync calls its argument "oldPath" (a slip in node:fs); we say "path".
      if (op === 'readlinkSync' && typeof node === 'object') node.message = node.message.replace(/(["'])oldPath\1/, '$1path$1');
      assert.deepEqual(ours, node, `${op}(${label})`);
    }
  }
  // Two-path operations name the argument that is wrong.
  assert.deepEqual(thrown(() => fs.renameSync('/etc/hosts', 5 as never)), thrown(() => nodeFs.renameSync('/etc/hosts', 5 as never)));
  assert.deepEqual(thrown(() => fs.linkSync(5 as never, '/x')), thrown(() => nodeFs.linkSync(5 as never, '/x')));
  assert.deepEqual(thrown(() => fs.symlinkSync(5 as never, '/x')), thrown(() => nodeFs.symlinkSync(5 as never, '/x')));
});

test('bad arguments: the callback form throws at once and never calls back; the promise form rejects', async () => {
  const fs = createFs(overlay());
  for (const [label, bad] of BAD_PATHS) {
    let called = false;
    const ours = thrown(() => fs.stat(bad, () => { called = true; }));
    const node = thrown(() => nodeFs.stat(bad as string, () => {}));
    assert.deepEqual(ours, node, `stat(${label}, cb)`);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(called, false, `stat(${label}, cb) also called back`);
    const rejection = await fs.promises.stat(bad as string).then(() => 'resolved', (e: NodeJS.ErrnoException) => e.code);
    const nodeRejection = await nodeFs.promises.stat(bad as string).then(() => 'resolved', (e: NodeJS.ErrnoException) => e.code);
    assert.equal(rejection, nodeRejection, `promises.stat(${label})`);
  }
  // A missing callback is node:fs's own error too.
  assert.deepEqual(thrown(() => fs.stat('/etc')), thrown(() => (nodeFs.stat as (...a: unknown[]) => void)('/etc')));
  assert.deepEqual(thrown(() => fs.stat('/etc', {})), thrown(() => (nodeFs.stat as (...a: unknown[]) => void)('/etc', {})));
  assert.deepEqual(thrown(() => fs.unlink('/etc/x', 5)), thrown(() => (nodeFs.unlink as (...a: unknown[]) => void)('/etc/x', 5)));
  assert.deepEqual(thrown(() => fs.writeFile('/etc/x', 'data', {}, 'no')), thrown(() => (nodeFs.writeFile as (...a: unknown[]) => void)('/etc/x', 'data', {}, 'no')));
  assert.deepEqual(thrown(() => fs.exists('/etc', undefined as never)), { kind: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'The "cb" argument must be of type function. Received undefined' });
});

test('an empty path is ENOENT, as node:fs says', () => {
  const fs = createFs(overlay());
  assert.deepEqual(thrown(() => fs.statSync('')), thrown(() => nodeFs.statSync('')));
  assert.deepEqual(thrown(() => fs.readdirSync('')), thrown(() => nodeFs.readdirSync('')));
  assert.throws(() => fs.renameSync('', '/x'), { code: 'ENOENT', message: "ENOENT: no such file or directory, rename '' -> '/x'" });
});

test('bad option values are TypeErrors/RangeErrors like node:fs; unsupported ones are refused loudly', () => {
  const fs = createFs(overlay());
  const tmp = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-fs-'));
  try {
    const file = path.join(tmp, 'f');
    nodeFs.writeFileSync(file, 'x');
    const pairs: [() => unknown, () => unknown][] = [
      [() => fs.readFileSync('/etc/hosts', 'nope' as never), () => nodeFs.readFileSync(file, 'nope' as never)],
      [() => fs.readdirSync('/etc', { encoding: 'nope' as never }), () => nodeFs.readdirSync(tmp, { encoding: 'nope' as never })],
      [() => fs.readFileSync('/etc/hosts', 42 as never), () => nodeFs.readFileSync(file, 42 as never)],
      [() => fs.accessSync('/etc/hosts', 8), () => nodeFs.accessSync(file, 8)],
      [() => fs.accessSync('/etc/hosts', '1' as never), () => nodeFs.accessSync(file, '1' as never)],
      [() => fs.writeFileSync('/etc/new', 42 as never), () => nodeFs.writeFileSync(path.join(tmp, 'g'), 42 as never)],
    ];
    for (const [ours, node] of pairs) {
      const a = thrown(ours);
      const b = thrown(node);
      assert.notEqual(b, 'no throw');
      assert.deepEqual({ kind: (a as { kind: string }).kind, code: (a as { code: unknown }).code }, { kind: (b as { kind: string }).kind, code: (b as { code: unknown }).code }, String(ours));
    }
  } finally {
    nodeFs.rmSync(tmp, { recursive: true, force: true });
  }
  assert.equal(typeof (fs.statSync('/etc', { bigint: true }) as unknown as { ino: unknown }).ino, 'bigint');
  assert.throws(() => fs.writeFileSync('/etc/hosts', 'x', { flag: 'nope' }), { code: 'ERR_INVALID_ARG_VALUE' });
  // A write-only readFile flag opens (here creating) as node:fs does, then cannot read.
  assert.throws(() => fs.readFileSync('/etc/made-by-read', { flag: 'a' } as never), { code: 'EBADF', syscall: 'read' });
  assert.equal(fs.existsSync('/etc/made-by-read'), true);
  assert.equal(fs.readFileSync('/etc/hosts', { flag: 'r' }).toString(), HOSTS);
  assert.throws(() => createFs(overlay(), { cwd: 'relative' }), { code: 'ERR_INVALID_ARG_TYPE' });
});

// ------------------------------------------------------------------ accepted path forms

test('Buffers, file: URLs and relative paths (against cwd) name the same objects', async () => {
  const ov = overlay();
  const fs = createFs(ov);
  const ino = fs.statSync('/etc/hosts').ino;
  assert.equal(fs.statSync(Buffer.from('/etc/hosts')).ino, ino);
  assert.equal(fs.statSync(new Uint8Array(Buffer.from('/etc/hosts'))).ino, ino);
  assert.equal(fs.statSync(new URL('file:///etc/hosts')).ino, ino);
  fs.writeFileSync(pathToFileURL('/etc/with space%'), 'percent-decoded');
  assert.equal(fs.readFileSync('/etc/with space%', 'utf8'), 'percent-decoded');
  assert.equal(fs.readFileSync(new URL('file:///etc/%68osts'), 'utf8'), HOSTS);
  assert.equal(fs.statSync('etc/hosts').ino, ino, "relative to the default cwd '/'");
  const inEtc = createFs(ov, { cwd: '/etc' });
  assert.equal(inEtc.statSync('hosts').ino, ino);
  assert.equal(inEtc.realpathSync('alias'), '/etc/hosts');
  inEtc.renameSync('hosts', '../home/hosts');
  assert.equal(fs.statSync('/home/hosts').ino, ino, 'rename keeps the inode number (fact 10)');
  assert.equal((await fs.promises.stat(new URL('file:///home/hosts'))).ino, ino);
  // A symlink target is stored as given, never resolved against cwd.
  inEtc.symlinkSync('rel/target', 'link');
  assert.equal(fs.readlinkSync('/etc/link'), 'rel/target');
});

// ------------------------------------------------------------------ encodings, readdir, against node:fs

/** The same small tree in a MemoryLayer and in a host directory. */
function twinTrees(): { ov: Overlay; host: string } {
  const host = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-twin-'));
  const layer = new MemoryLayer();
  const dirs = ['/d', '/d/e', '/d/e/f', '/g'];
  const files: [string, string][] = [['/a.txt', 'alpha'], ['/d/b.bin', '\u00e9t\u00e9'], ['/d/e/c', ''], ['/d/e/f/z', 'zz'], ['/g/h', 'h']];
  for (const d of dirs) { layer.mkdir(d); nodeFs.mkdirSync(host + d); }
  for (const [f, data] of files) { layer.writeFile(f, data); nodeFs.writeFileSync(host + f, data); }
  layer.symlink('d/e', '/link-to-dir'); nodeFs.symlinkSync('d/e', host + '/link-to-dir');
  return { ov: new Overlay({ lowers: [layer] }), host };
}

test('readdir (recursive, withFileTypes, encodings) lists what node:fs lists for an equal tree', () => {
  const { ov, host } = twinTrees();
  const fs = createFs(ov);
  try {
    const sorted = <T>(xs: T[], key: (x: T) => string) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    const rel = (p: string) => p.slice(host.length) || '/';
    // Node 20's names form enters symlinked directories (its withFileTypes form does not): the
    // expected names come from the withFileTypes form, which is what the adapter does for both.
    // From Node 22 both forms enter them, and so does the adapter.
    const nodeNames = (dir: string) => nodeFs.readdirSync(dir, { recursive: true, withFileTypes: true }).map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
    assert.deepEqual(sorted(fs.readdirSync('/', { recursive: true }), String), sorted(nodeNames(host), String));
    assert.deepEqual(sorted(fs.readdirSync('/d/', { recursive: true }), String), sorted(nodeNames(host + '/d/'), String));
    assert.ok(fs.readdirSync('/', { recursive: true }).includes('link-to-dir'));
    assert.equal(fs.readdirSync('/', { recursive: true }).includes('link-to-dir/c'), NODE_FS.recursiveReaddirEntersLinks);
    const typed = (ds: nodeFs.Dirent[], strip: (p: string) => string) => sorted(ds.map((d) => `${strip(d.parentPath)}|${d.name}|${d.isDirectory()}|${d.isSymbolicLink()}`), String);
    assert.deepEqual(
      typed(fs.readdirSync('/', { recursive: true, withFileTypes: true }) as unknown as nodeFs.Dirent[], (p) => p),
      typed(nodeFs.readdirSync(host, { recursive: true, withFileTypes: true }), rel),
    );
    for (const enc of ['hex', 'base64', 'latin1', 'utf8'] as const) {
      assert.deepEqual(sorted(fs.readdirSync('/d', enc), String), sorted(nodeFs.readdirSync(host + '/d', enc), String), enc);
      assert.equal(fs.readFileSync('/d/b.bin', enc), nodeFs.readFileSync(host + '/d/b.bin', enc), enc);
      assert.equal(fs.readlinkSync('/link-to-dir', { encoding: enc }), nodeFs.readlinkSync(host + '/link-to-dir', { encoding: enc }), enc);
    }
    const names = fs.readdirSync('/d', 'buffer');
    assert.ok(names.every((n) => Buffer.isBuffer(n)));
    assert.deepEqual(sorted(names.map(String), String), sorted(nodeFs.readdirSync(host + '/d', 'buffer').map(String), String));
    const bufDirents = fs.readdirSync('/d', { withFileTypes: true, encoding: 'buffer' as never });
    assert.ok(bufDirents.every((d) => Buffer.isBuffer(d.name)));
    assert.deepEqual(fs.readlinkSync('/link-to-dir', 'buffer'), nodeFs.readlinkSync(host + '/link-to-dir', 'buffer'));
    assert.deepEqual(fs.realpathSync('/link-to-dir/f', 'buffer'), Buffer.from('/d/e/f'));
    assert.equal(fs.realpathSync.native('/link-to-dir/f'), '/d/e/f');
    assert.deepEqual(fs.readFileSync('/d/b.bin'), nodeFs.readFileSync(host + '/d/b.bin'));
  } finally {
    nodeFs.rmSync(host, { recursive: true, force: true });
  }
});

test('access: existence through symlinks; the error names the access syscall as node:fs does', async () => {
  const fs = createFs(overlay());
  fs.accessSync('/etc/alias', nodeFs.constants.R_OK | nodeFs.constants.W_OK);
  assert.throws(() => fs.accessSync('/etc/dangling'), { code: 'ENOENT', syscall: 'access', message: "ENOENT: no such file or directory, access '/etc/dangling'" });
  assert.throws(() => fs.accessSync('/etc/hosts/x'), { code: 'ENOTDIR', syscall: 'access' });
  await assert.rejects(fs.promises.access('/nope'), { code: 'ENOENT', syscall: 'access' });
  // No fs.constants of its own (fs-monkey's patchFs would assign it onto node:fs's read-only one).
  assert.equal((fs as unknown as { constants?: unknown }).constants, undefined);
  assert.equal(fs.promises.constants, nodeFs.constants);
});

// ------------------------------------------------------------------ enhanced-resolve

function packageTree(): Overlay {
  const lower = new MemoryLayer({ name: 'image' });
  const json = (p: string, v: unknown) => lower.writeFile(p, JSON.stringify(v));
  lower.mkdir('/app/node_modules/pkg/lib', { recursive: true });
  json('/app/node_modules/pkg/package.json', { name: 'pkg', main: 'lib/main.js' });
  lower.writeFile('/app/node_modules/pkg/lib/main.js', 'module.exports = "lower";');
  lower.writeFile('/app/node_modules/pkg/lib/util.js', '');
  lower.mkdir('/app/node_modules/plain', { recursive: true });
  lower.writeFile('/app/node_modules/plain/index.json', '{}');
  lower.mkdir('/app/node_modules/removed', { recursive: true });
  lower.writeFile('/app/node_modules/removed/index.js', '');
  // pnpm-style: the package is a symlink into a store; resolvers answer with the real path.
  lower.mkdir('/app/.store/linked@1.0.0', { recursive: true });
  json('/app/.store/linked@1.0.0/package.json', { name: 'linked', main: 'entry' });
  lower.writeFile('/app/.store/linked@1.0.0/entry.js', '');
  lower.symlink('../.store/linked@1.0.0', '/app/node_modules/linked');
  lower.mkdir('/app/src', { recursive: true });
  lower.writeFile('/app/src/index.js', '');
  lower.writeFile('/app/src/helper.js', '');

  const upper = new MemoryLayer({ name: 'upper' });
  upper.mkdir('/app/node_modules/pkg/lib', { recursive: true });
  // The upper overrides the manifest: its main now points at a file only the upper has.
  upper.writeFile('/app/node_modules/pkg/package.json', JSON.stringify({ name: 'pkg', main: 'lib/patched.js' }));
  upper.writeFile('/app/node_modules/pkg/lib/patched.js', 'module.exports = "upper";');
  upper.whiteout('/app/node_modules/removed');
  return new Overlay({ lowers: [lower], upper });
}

function resolverOver(fs: OverlayFs, sync: boolean) {
  const fileSystem = new CachedInputFileSystem(fs as never, 4000);
  const resolver = ResolverFactory.createResolver({ fileSystem, extensions: ['.js', '.json'], useSyncFileSystemCalls: sync });
  return { fileSystem, resolver };
}

function resolveAsync(resolver: ReturnType<typeof ResolverFactory.createResolver>, from: string, request: string): Promise<string | false | undefined> {
  return new Promise((resolve, reject) => resolver.resolve({}, from, request, {}, (err, result) => (err ? reject(err) : resolve(result))));
}

test('enhanced-resolve (CachedInputFileSystem) resolves packages held in layers', async () => {
  const fs = createFs(packageTree());
  const expected: [string, string, string][] = [
    ['/app/src', 'pkg', '/app/node_modules/pkg/lib/patched.js'],
    ['/app/src', 'pkg/lib/util', '/app/node_modules/pkg/lib/util.js'],
    ['/app/src', 'plain', '/app/node_modules/plain/index.json'],
    ['/app/src', 'linked', '/app/.store/linked@1.0.0/entry.js'],
    ['/app/src', './helper', '/app/src/helper.js'],
    ['/app', './src', '/app/src/index.js'],
  ];
  for (const sync of [false, true]) {
    const { resolver } = resolverOver(fs, sync);
    for (const [from, request, want] of expected) {
      const got = sync ? resolver.resolveSync({}, from, request) : await resolveAsync(resolver, from, request);
      assert.equal(got, want, `${sync ? 'sync' : 'async'}: ${request} from ${from}`);
    }
    // The whiteout hides the package from the resolver as from everyone else.
    if (sync) assert.throws(() => resolver.resolveSync({}, '/app/src', 'removed'), /Can't resolve 'removed'/);
    else await assert.rejects(resolveAsync(resolver, '/app/src', 'removed'), /Can't resolve 'removed'/);
  }
});

test('enhanced-resolve sees writes made through the adapter once its own cache is purged', async () => {
  const fs = createFs(packageTree());
  const { fileSystem, resolver } = resolverOver(fs, false);
  assert.equal(await resolveAsync(resolver, '/app/src', 'pkg'), '/app/node_modules/pkg/lib/patched.js');
  await fs.promises.writeFile('/app/node_modules/pkg/package.json', JSON.stringify({ name: 'pkg', main: 'lib/main.js' }));
  fs.mkdirSync('/app/node_modules/removed');
  fs.writeFileSync('/app/node_modules/removed/index.js', '');
  fileSystem.purge();
  assert.equal(await resolveAsync(resolver, '/app/src', 'pkg'), '/app/node_modules/pkg/lib/main.js');
  // mkdir over the whiteout made an opaque directory: only the new index.js is there.
  assert.equal(await resolveAsync(resolver, '/app/src', 'removed'), '/app/node_modules/removed/index.js');
  assert.deepEqual(fs.readdirSync('/app/node_modules/removed'), ['index.js']);
});
