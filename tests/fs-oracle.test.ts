// node:fs itself as the oracle: each case runs the same calls on a real temp directory (node:fs)
// and on createFs over an overlay holding an equal tree, and compares what came back — the
// value's shape, or the error's class, code and syscall (paths differ by the temp prefix) — and
// the file's bytes afterwards. Descriptor calls, open flags, writeFile flags, copyFile/cp,
// mkdtemp, opendir, bigint stats, chown and statfs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFs } from '../bindings/fs.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

type AnyFs = Record<string, any>;
type Case = [name: string, run: (fs: AnyFs, p: (s: string) => string) => unknown];

function lower(): MemoryLayer {
  const l = new MemoryLayer({ name: 'lower' });
  l.mkdir('/d/sub', { recursive: true });
  l.writeFile('/d/a.txt', 'hello world');
  l.writeFile('/d/sub/b.txt', 'bee');
  l.symlink('a.txt', '/d/link');
  return l;
}

function onDisk(): string {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-oracle-'));
  nodeFs.mkdirSync(`${root}/d/sub`, { recursive: true });
  nodeFs.writeFileSync(`${root}/d/a.txt`, 'hello world');
  nodeFs.writeFileSync(`${root}/d/sub/b.txt`, 'bee');
  nodeFs.symlinkSync('a.txt', `${root}/d/link`);
  return root;
}

function shape(v: unknown): unknown {
  if (v === undefined || v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return 'bigint';
  if (Buffer.isBuffer(v)) return { buffer: v.toString() };
  if (Array.isArray(v)) return v.map(shape);
  if (typeof (v as { isDirectory?: unknown }).isDirectory === 'function') {
    const s = v as nodeFs.Stats & { name?: string };
    const type = s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isSymbolicLink() ? 'symlink' : 'other';
    if (typeof s.name === 'string') return { dirent: s.name, type };
    return { type, size: shape(s.size), ino: typeof s.ino };
  }
  return Object.keys(v as object).sort();
}

function outcome(run: () => unknown): unknown {
  try {
    return { ok: shape(run()) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: { kind: err.constructor.name, code: err.code, syscall: err.syscall } };
  }
}

/** Read back a file by both file systems after a case, so writes are compared too. */
const READ_BACK = ['/d/a.txt', '/d/new.txt', '/d/copy.txt'];

const CASES: Case[] = [
  ['read at positions', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'r');
    const b = Buffer.alloc(5);
    const got = [fs.readSync(fd, b, 0, 5, null), b.toString(), fs.readSync(fd, b, 0, 5, 6), b.toString(), fs.readSync(fd, b, 0, 5, null), b.toString(), fs.readSync(fd, b, { position: 100 })];
    fs.closeSync(fd);
    return got;
  }],
  ['write r+ in the middle, past the end (a hole), then read', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'r+');
    const got = [fs.writeSync(fd, 'HE'), fs.writeSync(fd, Buffer.from('xyz'), 0, 3, 6), fs.writeSync(fd, 'END', 14)];
    fs.closeSync(fd);
    return got;
  }],
  ['a descriptor keeps its file across rename and unlink', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'r+');
    const reader = fs.openSync(p('/d/sub/b.txt'), 'r');
    fs.renameSync(p('/d/a.txt'), p('/d/new.txt'));
    fs.writeSync(fd, 'HE', 0);
    const renamed = fs.readFileSync(p('/d/new.txt'), 'utf8');
    fs.unlinkSync(p('/d/new.txt'));
    fs.writeSync(fd, '!', 11);
    const st = fs.fstatSync(fd);
    const b = Buffer.alloc(20);
    const n = fs.readSync(fd, b, 0, 20, 0);
    fs.writeFileSync(p('/d/sub/b.txt'), 'BEE'); // a reader sees a rewrite of its file
    const r = Buffer.alloc(3);
    fs.readSync(reader, r, 0, 3, 0);
    fs.unlinkSync(p('/d/sub/b.txt'));
    const gone = fs.readSync(reader, Buffer.alloc(3), 0, 3, 0);
    fs.closeSync(fd);
    fs.closeSync(reader);
    return [renamed, st.size, st.nlink, b.toString('utf8', 0, n), r.toString(), gone];
  }],
  ['append mode ignores the position', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'a');
    const got = fs.writeSync(fd, '!', 0);
    fs.closeSync(fd);
    return got;
  }],
  ['w truncates, wx refuses an existing name, ax creates', (fs, p) => {
    const got: unknown[] = [];
    fs.closeSync(fs.openSync(p('/d/a.txt'), 'w'));
    got.push(outcome(() => fs.openSync(p('/d/a.txt'), 'wx')));
    got.push(outcome(() => fs.openSync(p('/d/link'), 'wx')));
    const fd = fs.openSync(p('/d/new.txt'), 'ax');
    fs.writeSync(fd, 'n');
    fs.closeSync(fd);
    return got;
  }],
  ['open errors', (fs, p) => [
    outcome(() => fs.openSync(p('/d/nope'), 'r')), outcome(() => fs.openSync(p('/d'), 'w')),
    outcome(() => fs.openSync(p('/d/a.txt/x'), 'r')), outcome(() => fs.openSync(p('/d/nope/x'), 'w')),
    outcome(() => fs.openSync(p('/d/link'), nodeFs.constants.O_RDONLY | nodeFs.constants.O_NOFOLLOW)),
    outcome(() => fs.openSync(p('/d/a.txt'), nodeFs.constants.O_RDONLY | nodeFs.constants.O_DIRECTORY)),
    outcome(() => fs.openSync(p('/d/a.txt'), 'zz')), outcome(() => fs.openSync(p('/d/a.txt'), 1.5)),
  ]],
  ['a directory opens for reading; reading it is EISDIR', (fs, p) => {
    const fd = fs.openSync(p('/d'), 'r');
    const got = [outcome(() => fs.readSync(fd, Buffer.alloc(1))), shape(fs.fstatSync(fd))];
    fs.closeSync(fd);
    return got;
  }],
  ['descriptor access modes and closed descriptors', (fs, p) => {
    const r = fs.openSync(p('/d/a.txt'), 'r');
    const w = fs.openSync(p('/d/new.txt'), 'w');
    const got = [outcome(() => fs.writeSync(r, 'x')), outcome(() => fs.readSync(w, Buffer.alloc(1))), outcome(() => fs.ftruncateSync(r, 1))];
    fs.closeSync(r);
    fs.closeSync(w);
    got.push(outcome(() => fs.closeSync(r)), outcome(() => fs.fstatSync(r)), outcome(() => fs.readSync(r, Buffer.alloc(1))));
    return got;
  }],
  ['bad descriptor arguments', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'r+');
    const b = Buffer.alloc(4);
    const got = [
      outcome(() => fs.readSync('1', b)), outcome(() => fs.readSync(-1, b)), outcome(() => fs.readSync(fd, 'x')),
      outcome(() => fs.readSync(fd, b, -1, 1, 0)), outcome(() => fs.readSync(fd, b, 0, 5, 0)), outcome(() => fs.readSync(fd, b, 0, 1, -2)),
      outcome(() => fs.readSync(fd, b, 0, 1, 'x')), outcome(() => fs.readSync(fd, Buffer.alloc(0), 0, 1, 0)),
      outcome(() => fs.writeSync(fd, b, 5)), outcome(() => fs.writeSync(fd, b, 0, 5)), outcome(() => fs.writeSync(fd, 123)),
      outcome(() => fs.ftruncateSync(fd, '1')), outcome(() => fs.readvSync(fd, 'z')), outcome(() => fs.futimesSync(fd, 'x', 1)),
      outcome(() => fs.fchmodSync(fd, 'z')), outcome(() => fs.read(fd, b, 0, 1, 0)),
    ];
    fs.closeSync(fd);
    return got;
  }],
  ['readv/writev/ftruncate/fstat', (fs, p) => {
    const fd = fs.openSync(p('/d/a.txt'), 'r+');
    const a = Buffer.alloc(3);
    const b = Buffer.alloc(4);
    const got = [fs.readvSync(fd, [a, b], 0), a.toString(), b.toString(), fs.writevSync(fd, [Buffer.from('12'), Buffer.from('34')], 2)];
    fs.ftruncateSync(fd, 8);
    got.push(shape(fs.fstatSync(fd)), typeof fs.fstatSync(fd, { bigint: true }).size);
    fs.fsyncSync(fd);
    fs.fdatasyncSync(fd);
    fs.closeSync(fd);
    return got;
  }],
  ['writeFile and appendFile flags', (fs, p) => [
    outcome(() => fs.writeFileSync(p('/d/a.txt'), 'HEL', { flag: 'r+' })),
    outcome(() => fs.writeFileSync(p('/d/nope'), 'x', { flag: 'r+' })),
    outcome(() => fs.writeFileSync(p('/d/a.txt'), 'x', { flag: 'wx' })),
    outcome(() => fs.appendFileSync(p('/d/new.txt'), 'x', { flag: 'ax' })),
    outcome(() => fs.appendFileSync(p('/d/new.txt'), 'y', { flag: 'ax' })),
    outcome(() => fs.writeFileSync(p('/d/a.txt'), 'x', { flag: 'zz' })),
  ]],
  ['copyFile', (fs, p) => [
    outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/copy.txt'))),
    outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/copy.txt'), nodeFs.constants.COPYFILE_EXCL)),
    outcome(() => fs.copyFileSync(p('/d/nope'), p('/d/x'))), outcome(() => fs.copyFileSync(p('/d'), p('/d/x'))),
    outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/sub'))), outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/nope/x'))),
    outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/x'), 8)),
  ]],
  ['cp', (fs, p) => [
    outcome(() => fs.cpSync(p('/d'), p('/e'))), outcome(() => fs.cpSync(p('/d/a.txt'), p('/d/a.txt'))),
    outcome(() => fs.cpSync(p('/d/nope'), p('/e'))),
    outcome(() => fs.cpSync(p('/d'), p('/e'), { recursive: true, filter: (s: string) => !s.endsWith('b.txt') })),
    outcome(() => fs.readdirSync(p('/e'), { recursive: true }).sort()), outcome(() => fs.readlinkSync(p('/e/link'))),
    outcome(() => fs.cpSync(p('/d'), p('/d/sub/x'), { recursive: true })),
  ]],
  ['mkdtemp and opendir', (fs, p) => {
    const dir = fs.mkdtempSync(p('/d/t-'));
    const got: unknown[] = [path.basename(dir).length, fs.readdirSync(dir), outcome(() => fs.mkdtempSync(p('/nope/x')))];
    const d = fs.opendirSync(p('/d'));
    const names: string[] = [];
    for (let e = d.readSync(); e !== null; e = d.readSync()) names.push(e.name);
    d.closeSync();
    got.push(names.filter((n) => !n.startsWith('t-')).sort(), outcome(() => d.readSync()), outcome(() => d.closeSync()));
    got.push(outcome(() => fs.opendirSync(p('/d/a.txt'))), outcome(() => fs.opendirSync(p('/d/nope'))));
    return got;
  }],
  ['stats, bigint stats, statfs, chown, lutimes', (fs, p) => {
    const st = fs.statSync(p('/d/a.txt'));
    return [
      shape(fs.statSync(p('/d/a.txt'), { bigint: true })), typeof fs.lstatSync(p('/d/link'), { bigint: true }).mtimeNs,
      Object.keys(fs.statfsSync(p('/d'))).sort(), outcome(() => fs.statfsSync(p('/nope'))),
      outcome(() => fs.chownSync(p('/d/a.txt'), st.uid, st.gid)), outcome(() => fs.chownSync(p('/d/a.txt'), -1, -1)),
      outcome(() => fs.chownSync(p('/nope'), 1, 1)), outcome(() => fs.chownSync(p('/d/a.txt'), 1.5, 1)),
      outcome(() => fs.lutimesSync(p('/nope'), 1, 1)), outcome(() => fs.lutimesSync(p('/d/a.txt'), 1, 2)),
    ];
  }],
  ['bad arguments of the path calls', (fs, p) => [
    outcome(() => fs.copyFileSync(1, p('/d/x'))), outcome(() => fs.copyFileSync(p('/d/a.txt'), p('/d/x'), 'x')),
    outcome(() => fs.cpSync(1, p('/d/x'))), outcome(() => fs.mkdtempSync(1)), outcome(() => fs.opendirSync(p('/d'), { bufferSize: 0 })),
    outcome(() => fs.chownSync(p('/d/a.txt'), '1', 1)), outcome(() => fs.chownSync(p('/d/a.txt'), 1, -2)), outcome(() => fs.statfsSync(1)),
    outcome(() => fs.lutimesSync(p('/d/a.txt'), 'x', 1)), outcome(() => fs.openSync(p('/d/a.txt'), 'r', 'x')),
    outcome(() => fs.openSync(p('/d/a.txt'), {})), outcome(() => fs.fstatSync('x')), outcome(() => fs.closeSync(-1)),
    outcome(() => fs.watch(1)), outcome(() => fs.watchFile(p('/d/a.txt'))),
  ]],
];

for (const [name, run] of CASES) {
  test(`oracle: ${name}`, () => {
    const root = onDisk();
    try {
      const ours = createFs(new Overlay({ lowers: [lower()], upper: new MemoryLayer({ name: 'upper' }) }));
      const a = outcome(() => run(ours, (s) => s));
      const b = outcome(() => run(nodeFs, (s) => root + s));
      assert.deepEqual(a, b);
      for (const f of READ_BACK) {
        assert.deepEqual(outcome(() => ours.readFileSync(f, 'utf8')), outcome(() => nodeFs.readFileSync(root + f, 'utf8')), f);
      }
    } finally {
      nodeFs.rmSync(root, { recursive: true, force: true });
    }
  });
}

test('chown as node:fs gives it to this process (root: any owner); a read-only overlay: EROFS for W_OK, writes and chown', () => {
  const fs = createFs(new Overlay({ lowers: [lower()], upper: new MemoryLayer({ name: 'upper' }) }));
  if (process.geteuid?.() === 0) {
    fs.chownSync('/d/a.txt', 4242, 4243);
    assert.deepEqual([fs.statSync('/d/a.txt').uid, fs.statSync('/d/a.txt').gid], [4242, 4243]);
  } else {
    assert.throws(() => fs.chownSync('/d/a.txt', 4242, 4242), { code: 'EPERM', syscall: 'chown' });
  }
  const ro = createFs(new Overlay({ lowers: [lower()] }));
  ro.accessSync('/d/a.txt', nodeFs.constants.R_OK);
  assert.throws(() => ro.accessSync('/d/a.txt', nodeFs.constants.W_OK), { code: 'EROFS', syscall: 'access', path: '/d/a.txt' });
  assert.throws(() => ro.openSync('/d/a.txt', 'r+'), { code: 'EROFS', syscall: 'open' });
  assert.throws(() => ro.openSync('/d/nope', 'r+'), { code: 'ENOENT', syscall: 'open' });
  assert.throws(() => ro.chownSync('/d/a.txt', -1, -1), { code: 'EROFS' });
  const fd = ro.openSync('/d/a.txt', 'r');
  assert.equal(ro.readFileSync(fd, 'utf8'), 'hello world');
  ro.closeSync(fd);
});

test('callback, promise and FileHandle forms of the descriptor calls', async () => {
  const fs = createFs(new Overlay({ lowers: [lower()], upper: new MemoryLayer({ name: 'upper' }) }));
  const fd: number = await new Promise((resolve, reject) => fs.open('/d/a.txt', 'r+', (e: Error | null, n: number) => (e ? reject(e) : resolve(n))));
  const [n, buf] = await new Promise<[number, Buffer]>((resolve, reject) => fs.read(fd, Buffer.alloc(5), 0, 5, 0, (e: Error | null, k: number, b: Buffer) => (e ? reject(e) : resolve([k, b]))));
  assert.deepEqual([n, buf.toString()], [5, 'hello']);
  await new Promise<void>((resolve, reject) => fs.write(fd, 'J', 0, (e: Error | null) => (e ? reject(e) : resolve())));
  await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  assert.equal(fs.readFileSync('/d/a.txt', 'utf8'), 'Jello world');
  const h = await fs.promises.open('/d/a.txt', 'r+');
  assert.equal((await h.read(Buffer.alloc(4), 0, 4, 1)).bytesRead, 4);
  await h.write('W', 0);
  assert.equal(await h.readFile('utf8'), 'Wello world');
  assert.equal((await h.stat()).size, 11);
  await h.truncate(5);
  await h.close();
  await assert.rejects(h.read(Buffer.alloc(1)), { code: 'EBADF' });
  assert.equal(String(await fs.promises.readFile('/d/a.txt')), 'Wello');
  await fs.promises.writeFile('/d/chunks', (async function* () { yield 'a'; yield Buffer.from('b'); })());
  assert.equal(fs.readFileSync('/d/chunks', 'utf8'), 'ab');
  await fs.promises.cp('/d', '/e', { recursive: true, filter: async (s: string) => !s.endsWith('sub') });
  assert.deepEqual(fs.readdirSync('/e').sort(), ['a.txt', 'chunks', 'link']);
  await assert.rejects(fs.promises.lchmod('/d/a.txt', 0o600), { code: 'ERR_METHOD_NOT_IMPLEMENTED' });
  const dir = await fs.promises.opendir('/d/sub');
  const names: string[] = [];
  for await (const d of dir) names.push(d.name);
  assert.deepEqual(names, ['b.txt']);
});

test('streams are node:fs ReadStream/WriteStream over the overlay (start/end, highWaterMark, append)', async () => {
  const ov = new Overlay({ lowers: [lower()], upper: new MemoryLayer({ name: 'upper' }) });
  const fs = createFs(ov);
  const big = Buffer.alloc(200_000, 'x');
  ov.writeFile('/d/big', big);
  const chunks: Buffer[] = [];
  const rs = fs.createReadStream('/d/big', { highWaterMark: 65536 });
  assert.ok(rs instanceof nodeFs.ReadStream);
  for await (const c of rs) chunks.push(c as Buffer);
  assert.equal(chunks.length, 4);
  assert.ok(Buffer.concat(chunks).equals(big));
  const part: string[] = [];
  for await (const c of fs.createReadStream('/d/a.txt', { start: 2, end: 6, encoding: 'utf8' })) part.push(c as string);
  assert.equal(part.join(''), 'llo w');
  await new Promise<void>((resolve, reject) => {
    const ws = fs.createWriteStream('/d/out');
    assert.ok(ws instanceof nodeFs.WriteStream);
    ws.on('error', reject);
    ws.write('one ');
    ws.end('two', () => resolve());
  });
  await new Promise<void>((resolve) => fs.createWriteStream('/d/out', { flags: 'a' }).end(' three', () => resolve()));
  assert.equal(ov.readFile('/d/out', 'utf8'), 'one two three');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => fs.createReadStream('/d/nope').on('error', resolve));
  assert.equal(err.code, 'ENOENT');
});

test('createFs has every function node:fs has (sync, callback and promises), and patchFs-safe properties', () => {
  const ours = createFs(new Overlay({ lowers: [lower()] })) as unknown as AnyFs;
  const fns = Object.keys(nodeFs).filter((k) => typeof (nodeFs as AnyFs)[k] === 'function' && !/^[A-Z_]/.test(k));
  assert.ok(fns.length >= 88, String(fns.length));
  assert.deepEqual(fns.filter((k) => typeof ours[k] !== 'function'), []);
  assert.deepEqual(Object.keys(nodeFs.promises).filter((k) => ours.promises[k] === undefined), []);
  // fs-monkey copies these onto node:fs, where `constants` and F_OK… are read-only.
  assert.deepEqual(['constants', 'F_OK', 'R_OK', 'W_OK', 'X_OK'].filter((k) => ours[k] !== undefined), []);
});

test('a descriptor keeps the bytes it read only while nothing changed them (adapter writes, changes underneath)', () => {
  let now = 1_700_000_000_000;
  const base = new MemoryLayer({ name: 'lower', clock: () => (now += 5) });
  base.mkdir('/d');
  base.writeFile('/d/f', 'aaaa');
  const ov = new Overlay({ lowers: [base], upper: new MemoryLayer({ name: 'upper', clock: () => (now += 5) }) });
  const fs = createFs(ov);
  const fd = fs.openSync('/d/f', 'r');
  const read = () => {
    const b = Buffer.alloc(4);
    fs.readSync(fd, b, 0, 4, 0);
    return b.toString();
  };
  assert.equal(read(), 'aaaa');
  base.writeFile('/d/f', 'bbbb'); // same size, underneath
  assert.equal(read(), 'bbbb');
  fs.writeFileSync('/d/f', 'cccc'); // same size, through the adapter (copy-up)
  assert.equal(read(), 'cccc');
  ov.writeFile('/d/f', 'dddd'); // same size, the overlay called directly
  assert.equal(read(), 'dddd');
  const w = fs.openSync('/d/f', 'r+');
  fs.writeSync(w, 'E', 0);
  assert.equal(read(), 'Eddd');
  fs.closeSync(w);
  fs.closeSync(fd);
});
