// The Overlay's writeFile/appendFile/readFile `flag` and readdir's `recursive`, against node:fs
// itself: every flag node:fs knows (and a few numeric ones) × the name being missing, a file, a
// directory, a dangling symlink or a symlink to a file. Each case runs on a fresh temp directory
// (node:fs) and on a fresh Overlay whose lower holds the same tree (so writes copy up); both must
// give the same value or the same error (code and syscall), and leave the same tree behind.
import assert from 'node:assert/strict';
import fs, { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { createFs } from '../bindings/fs.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

const { O_WRONLY, O_RDONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW, O_DIRECTORY } = constants;

const FLAGS: (string | number)[] = [
  'r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+',
  'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+',
  O_WRONLY | O_CREAT | O_NOFOLLOW, O_RDONLY | O_NOFOLLOW, O_RDONLY | O_DIRECTORY,
  O_RDWR | O_APPEND, O_WRONLY, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
];

/** What stands at /d/t before the call; /d/f is always a file ('hello world'). */
const TARGETS = ['missing', 'file', 'dir', 'dangling symlink', 'symlink to file'] as const;
type Target = typeof TARGETS[number];

const OPS = ['writeFile', 'appendFile', 'readFile'] as const;
type Op = typeof OPS[number];

/** The calls both sides answer (node:fs's *Sync functions or the Overlay's methods). */
interface Api {
  mkdir(p: string): unknown;
  writeFile(p: string, d: unknown, o?: unknown): unknown;
  appendFile(p: string, d: unknown, o?: unknown): unknown;
  readFile(p: string, o?: unknown): unknown;
  symlink(t: string, p: string): unknown;
}

const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-flags-'));
  roots.push(root);
  return root;
}

function build(api: Api, target: Target): void {
  api.mkdir('/d');
  api.writeFile('/d/f', 'hello world');
  if (target === 'file') api.writeFile('/d/t', 'hello world');
  if (target === 'dir') api.mkdir('/d/t');
  if (target === 'dangling symlink') api.symlink('nowhere', '/d/t');
  if (target === 'symlink to file') api.symlink('f', '/d/t');
}

function nodeApi(root: string): Api {
  return {
    mkdir: (p) => fs.mkdirSync(root + p),
    writeFile: (p, d, o) => fs.writeFileSync(root + p, d as string, o as never),
    appendFile: (p, d, o) => fs.appendFileSync(root + p, d as string, o as never),
    readFile: (p, o) => fs.readFileSync(root + p, o as never),
    symlink: (t, p) => fs.symlinkSync(t, root + p),
  };
}

function run(api: Api, op: Op, flag: string | number, at = '/d/t'): unknown {
  try {
    if (op === 'readFile') return { ok: String(api.readFile(at, { flag })) };
    return { ok: api[op](at, 'XY', { flag }) ?? null };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code, syscall: (e as NodeJS.ErrnoException).syscall };
  }
}

/** The tree after the call: /d's names, each with its type, data or link target. */
function tree(list: (p: string) => string[], lstat: (p: string) => fs.Stats, read: (p: string) => string, readlink: (p: string) => string): unknown {
  return list('/d').sort().map((name) => {
    const p = `/d/${name}`;
    const st = lstat(p);
    if (st.isFile()) return [name, 'file', read(p)];
    if (st.isSymbolicLink()) return [name, 'symlink', readlink(p)];
    return [name, st.isDirectory() ? 'dir' : 'other', list(p)];
  });
}

function overlayOver(target: Target): Overlay {
  const lower = new MemoryLayer({ name: 'lower' });
  build(lower as unknown as Api, target);
  return new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
}

test('writeFile/appendFile/readFile honour every flag as node:fs does (result, error code, tree after)', () => {
  const root = tempRoot();
  let n = 0;
  const mismatches: string[] = [];
  for (const op of OPS) {
    for (const target of TARGETS) {
      for (const flag of FLAGS) {
        const dir = `${root}/${n++}`;
        fs.mkdirSync(dir);
        build(nodeApi(dir), target);
        const want = run(nodeApi(dir), op, flag);
        const wantTree = tree((p) => fs.readdirSync(dir + p), (p) => fs.lstatSync(dir + p), (p) => fs.readFileSync(dir + p, 'utf8'), (p) => fs.readlinkSync(dir + p));
        const ov = overlayOver(target);
        const got = run(ov as unknown as Api, op, flag);
        const gotTree = tree((p) => ov.readdir(p), (p) => ov.lstat(p) as unknown as fs.Stats, (p) => ov.readFile(p, 'utf8') as string, (p) => ov.readlink(p));
        const label = `${op}(${target}, flag ${JSON.stringify(flag)})`;
        try {
          assert.deepEqual(got, want, `${label}: result`);
          assert.deepEqual(gotTree, wantTree, `${label}: tree after`);
        } catch (err) {
          mismatches.push((err as Error).message.split('\n')[0] + `\n  node:fs ${JSON.stringify([want, wantTree])}\n  overlay ${JSON.stringify([got, gotTree])}`);
        }
      }
    }
  }
  assert.equal(n, OPS.length * TARGETS.length * FLAGS.length);
  assert.deepEqual(mismatches, []);
});

test('a trailing slash, "." or ".." after the name: the same errors as node:fs (EISDIR, ENOTDIR, EEXIST)', () => {
  const root = tempRoot();
  let n = 0;
  for (const op of OPS) {
    for (const target of ['missing', 'file', 'dir'] as const) {
      for (const flag of ['r', 'r+', 'w', 'wx', 'a+']) {
        for (const suffix of ['/', '/.', '/..']) {
          const dir = `${root}/${n++}`;
          fs.mkdirSync(dir);
          build(nodeApi(dir), target);
          const want = run(nodeApi(dir), op, flag, `/d/t${suffix}`);
          const got = run(overlayOver(target) as unknown as Api, op, flag, `/d/t${suffix}`);
          assert.deepEqual(got, want, `${op}(${target}${suffix}, ${flag})`);
        }
      }
    }
  }
});

test('the flag cases differ from each other (the table can fail): wx over a file, a appends, r+ overwrites the start', () => {
  const ov = overlayOver('file');
  assert.throws(() => ov.writeFile('/d/t', 'XY', { flag: 'wx' }), { code: 'EEXIST', syscall: 'open' });
  ov.appendFile('/d/t', '!', { flag: 'a' });
  ov.writeFile('/d/t', 'HE', { flag: 'r+' });
  assert.equal(ov.readFile('/d/t', 'utf8'), 'HEllo world!');
  assert.throws(() => ov.writeFile('/d/nope', 'x', { flag: 'r+' }), { code: 'ENOENT', syscall: 'open' });
  assert.equal(ov.exists('/d/nope'), false);
});

test('a read-only overlay refuses a creating or truncating readFile flag with EROFS and reads with r', () => {
  const lower = new MemoryLayer({ name: 'lower' });
  build(lower as unknown as Api, 'file');
  const ov = new Overlay({ lowers: [lower] });
  assert.equal(ov.readFile('/d/t', { flag: 'r', encoding: 'utf8' }), 'hello world');
  assert.throws(() => ov.readFile('/d/t', { flag: 'w' }), { code: 'EROFS' });
  assert.throws(() => ov.readFile('/d/new', { flag: 'a+' }), { code: 'EROFS' });
  assert.throws(() => ov.writeFile('/d/t', 'x', { flag: 'r+' }), { code: 'EROFS' });
  assert.equal(ov.readFile('/d/t', 'utf8'), 'hello world');
});

test('the fs adapter passes flags to the overlay: same answers as node:fs for a sample', () => {
  for (const [op, target, flag] of [['writeFile', 'file', 'r+'], ['appendFile', 'dangling symlink', 'ax'], ['readFile', 'file', 'w+'], ['writeFile', 'symlink to file', O_WRONLY | O_NOFOLLOW]] as const) {
    const dir = tempRoot();
    build(nodeApi(dir), target);
    const want = run(nodeApi(dir), op, flag);
    const ofs = createFs(overlayOver(target)) as unknown as Record<string, (...a: unknown[]) => unknown>;
    const got = run({
      mkdir: ofs.mkdirSync, writeFile: ofs.writeFileSync, appendFile: ofs.appendFileSync, readFile: ofs.readFileSync, symlink: ofs.symlinkSync,
    } as Api, op, flag);
    assert.deepEqual(got, want, `${op}(${target}, ${flag})`);
  }
});

test('openFile with flags: open(2) checks, O_CREAT with a mode, O_TRUNC, no object for a directory', () => {
  const ov = overlayOver('file');
  assert.throws(() => ov.openFile('/d/t', 'wx'), { code: 'EEXIST', syscall: 'open' });
  assert.throws(() => ov.openFile('/d/missing', 'r+'), { code: 'ENOENT', syscall: 'open' });
  assert.throws(() => ov.openFile('/d', 'r+'), { code: 'EISDIR', syscall: 'open' });
  assert.throws(() => ov.openFile('/d/t', O_RDONLY | O_DIRECTORY), { code: 'ENOTDIR', syscall: 'open' });
  const dir = ov.openFile('/d', 'r');
  assert.deepEqual([dir.object, dir.isDirectory], [undefined, true]);
  const made = ov.openFile('/d/new', 'ax+', 0o600);
  made.object!.append(Buffer.from('new'));
  assert.deepEqual([ov.readFile('/d/new', 'utf8'), ov.stat('/d/new').mode & 0o777], ['new', 0o600]);
  const cut = ov.openFile('/d/t', 'w+');
  const buf = Buffer.alloc(16);
  assert.equal(cut.object!.read(buf, 0), 0);
  assert.equal(ov.readFile('/d/t', 'utf8'), '');
  assert.throws(() => ov.openFile('/d/t', 'bogus'), { code: 'ERR_INVALID_ARG_VALUE' });
  // The boolean form is unchanged: an object or an error, never an open without one.
  assert.equal(ov.openFile('/d/f').read(buf, 0), 11);
  assert.throws(() => ov.openFile('/d'), { code: 'EISDIR', syscall: 'open' });
});

// ---------------------------------------------------------------- recursive readdir

function shapeTree(api: { mkdir(p: string): unknown; writeFile(p: string, d: string): unknown; symlink(t: string, p: string): unknown }): void {
  for (const d of ['/t', '/t/a', '/t/a/b', '/t/a/b/c', '/t/z', '/t/z/y', '/t/m']) api.mkdir(d);
  for (const f of ['/t/f1', '/t/a/f2', '/t/a/b/f3', '/t/a/b/c/f4', '/t/z/y/f5', '/t/z/f6']) api.writeFile(f, f);
  api.symlink('a', '/t/to-dir'); // not entered (docs/fs-adapter.md: Node 20's names form would)
  api.symlink('f1', '/t/to-file');
}

type Entry = [name: string, parent: string, type: string];

function entries(list: unknown[], root: string): Entry[] {
  return list.map((d) => {
    const e = d as fs.Dirent & { parentPath: string };
    return [e.name, e.parentPath.slice(root.length), e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : 'file'];
  });
}

const depth = (name: string) => name.split('/').length;

test('readdir recursive: the whole subtree as node:fs 20 lists it (names, Dirents, breadth-first order)', () => {
  const root = tempRoot();
  const n = nodeApi(root);
  shapeTree({ mkdir: n.mkdir, writeFile: n.writeFile, symlink: n.symlink });
  const lower = new MemoryLayer({ name: 'lower' });
  shapeTree(lower as never);
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
  for (const base of ['/t', '/t/']) {
    // Node 20 enters the symlinked directory in the names form: leave out what it found there.
    const wantNames = (fs.readdirSync(root + base, { recursive: true }) as string[]).filter((x) => !x.startsWith('to-dir/'));
    const gotNames = ov.readdir(base, { recursive: true } as never) as string[];
    assert.deepEqual([...gotNames].sort(), [...wantNames].sort(), `names of ${base}`);
    assert.deepEqual(gotNames.map(depth), wantNames.map(depth), `${base}: breadth-first, as node:fs`);
    assert.ok(gotNames.includes('a/b/c/f4') && gotNames.length === 14, `${gotNames}`);
    // Node 22 and later enter it in the Dirent form too; the Overlay keeps Node 20's listing
    // (createFs follows the running Node: fs-adapter.test.ts).
    const inLink = (e: Entry) => e[1] === '/t/to-dir' || e[1].startsWith('/t/to-dir/');
    const want = entries(fs.readdirSync(root + base, { recursive: true, withFileTypes: true }), root).filter((e) => !inLink(e));
    const got = entries(ov.readdir(base, { recursive: true, withFileTypes: true } as never), '');
    assert.deepEqual([...got].sort(), [...want].sort(), `Dirents of ${base}`);
    assert.deepEqual(got.map((e) => e[1].split('/').length), want.map((e) => e[1].split('/').length), `${base}: Dirent order`);
  }
  assert.throws(() => ov.readdir('/t/f1', { recursive: true } as never), { code: 'ENOTDIR', syscall: 'scandir' });
  assert.throws(() => ov.readdir('/nope', { recursive: true } as never), { code: 'ENOENT', syscall: 'scandir' });
});

test('readdir recursive lists the merged view: upper names, no whiteouts, nothing under an opaque dir', () => {
  const lower = new MemoryLayer({ name: 'lower' });
  shapeTree(lower as never);
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
  ov.unlink('/t/a/b/f3');
  ov.rm('/t/z', { recursive: true });
  ov.mkdir('/t/z');
  ov.writeFile('/t/z/new', 'n');
  ov.writeFile('/t/a/b/c/g', 'g');
  const names = ov.readdir('/t', { recursive: true } as never) as string[];
  assert.deepEqual([...names].sort(), ['a', 'a/b', 'a/b/c', 'a/b/c/f4', 'a/b/c/g', 'a/f2', 'f1', 'm', 'to-dir', 'to-file', 'z', 'z/new']);
});
