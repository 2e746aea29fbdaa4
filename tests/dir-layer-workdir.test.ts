// DirLayer's work directory and marker files against a hostile host (issue 12, items 1, 2, 4, 7,
// 10): a work dir someone else prepared (another owner, a symlink, group-writable), marker names
// planted as symlinks and FIFOs in an OCI upper, `mknod` planted on $PATH, temp files left by
// killed writers (same PID too), and two writers on one upper (threads and processes).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { WHITEOUT } from '../bindings/layers/layer.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const needRoot = isRoot() ? false : 'needs root (chown to another user, trusted.* xattrs)';
const flockSkip = native()?.flockExclusive === undefined ? 'the native helper is not built'
  : spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status !== 0 ? 'unshare --pid does not work here' : false;

/** Poll `ok` until it holds (up to 10 s). */
async function waitFor(ok: () => boolean): Promise<void> {
  for (const end = Date.now() + 10_000; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const dist = path.dirname(fileURLToPath(import.meta.url));
const layerModule = path.join(dist, '../bindings/layers/dir-layer.js');
const bytes = (s: string) => new TextEncoder().encode(s);

function fresh(): { base: string; root: string; work: string } {
  const base = scratchDir('workdir');
  const root = path.join(base, 'root');
  fs.mkdirSync(root);
  return { base, root, work: `${root}.strata-work` };
}

describe('DirLayer work directory: safe by construction', { skip: needRoot }, () => {
  it("refuses a work dir owned by another user (EPERM) and writes nothing, in it or at the name", () => {
    const { base, root, work } = fresh();
    fs.mkdirSync(work, { mode: 0o700 });
    fs.chownSync(work, 65534, 65534);
    const layer = new DirLayer(root);
    try {
      assert.throws(() => layer.createNode(layer.root(), 'suid', { type: 'file', mode: 0o104755, uid: 0, gid: 0, data: bytes('x') }),
        (e: NodeJS.ErrnoException) => e.code === 'EPERM' && /owned by uid 65534/.test(e.message));
      assert.deepEqual(fs.readdirSync(work), []);
      assert.equal(fs.existsSync(path.join(root, 'suid')), false);
    } finally { layer.close(); removeTree(base); }
  });

  it('refuses a work dir that is a symlink (ELOOP): nothing is created where it points', () => {
    const { base, root, work } = fresh();
    const elsewhere = path.join(base, 'elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.symlinkSync(elsewhere, work);
    const layer = new DirLayer(root);
    try {
      assert.throws(() => layer.putWhiteout(layer.root(), 'w'), (e: NodeJS.ErrnoException) => /ELOOP|ENOTDIR/.test(e.code ?? '') && /not a symlink/.test(e.message));
      assert.deepEqual(fs.readdirSync(elsewhere), []);
    } finally { layer.close(); removeTree(base); }
  });

  it('refuses a work dir writable by group or others (EPERM), even our own', () => {
    const { base, root, work } = fresh();
    fs.mkdirSync(work);
    fs.chmodSync(work, 0o777);
    const layer = new DirLayer(root);
    try {
      assert.throws(() => layer.createNode(layer.root(), 'f', { type: 'file', mode: 0o644 }),
        (e: NodeJS.ErrnoException) => e.code === 'EPERM' && /writable by group or others/.test(e.message));
    } finally { layer.close(); removeTree(base); }
  });

  it('creates the work dir 0700; a set-id copy-up lands with its owner and mode, nothing left in the work dir', () => {
    const { base, root, work } = fresh();
    const layer = new DirLayer(root);
    try {
      layer.createNode(layer.root(), 'suid', { type: 'file', mode: 0o104750, uid: 0, gid: 65534, data: bytes('payload') });
      assert.equal(fs.lstatSync(work).mode & 0o7777, 0o700);
      const st = fs.lstatSync(path.join(root, 'suid'));
      assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o4750, 0, 65534]);
      assert.deepEqual(fs.readdirSync(work).filter((n) => n.startsWith('tmp.')), []);
    } finally { layer.close(); removeTree(base); }
  });
});

describe('DirLayer creates never follow a planted symlink nor open a planted FIFO', { skip: needRoot }, () => {
  it("OCI upper: a .wh.<name> symlink planted on the host is not written through", () => {
    const { base, root } = fresh();
    const outside = path.join(base, 'outside-target');
    fs.mkdirSync(path.join(root, 'd'));
    fs.symlinkSync(outside, path.join(root, 'd/.wh.x'));
    fs.symlinkSync(path.join(base, 'outside-opq'), path.join(root, 'd/.wh..wh..opq'));
    const layer = new DirLayer(root, { whiteouts: 'oci' });
    try {
      const d = layer.lookup(layer.root(), 'd');
      layer.putWhiteout(d, 'x');
      layer.setOpaqueMark(d, true);
      assert.equal(fs.existsSync(outside), false, 'nothing created through the planted symlink');
      assert.equal(fs.existsSync(path.join(base, 'outside-opq')), false);
      assert.equal(layer.lookup(d, 'x'), WHITEOUT, 'the planted name still reads as the marker it is');
    } finally { layer.close(); removeTree(base); }
  });

  it('OCI upper: a FIFO planted at a marker name never blocks a write', () => {
    const { base, root } = fresh();
    fs.mkdirSync(path.join(root, 'd'));
    spawnSync('mkfifo', [path.join(root, 'd/.wh..wh..opq'), path.join(root, 'd/.wh.y')]);
    // In a child with a deadline: a blocked open(2) would freeze this process's event loop.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { DirLayer } from ${JSON.stringify(layerModule)};
      const l = new DirLayer(${JSON.stringify(root)}, { whiteouts: 'oci' });
      const d = l.lookup(l.root(), 'd');
      l.setOpaqueMark(d, true); l.putWhiteout(d, 'y'); l.createNode(d, 'n', { type: 'dir', mode: 0o755, opaque: true });
      console.log('done', l.isOpaque(d), l.lookup(d, 'y')); l.close();`], { encoding: 'utf8', timeout: 60_000 });
    try {
      assert.equal(r.signal, null, 'the writes did not block on the FIFO');
      assert.match(r.stdout, /^done true -1/, r.stderr);
    } finally { removeTree(base); }
  });

  it('a mknod planted on $PATH is never run (the system one, by absolute path, is)', () => {
    const { base, root } = fresh();
    const bin = path.join(base, 'bin');
    fs.mkdirSync(bin);
    const canary = path.join(base, 'canary');
    fs.writeFileSync(path.join(bin, 'mknod'), `#!/bin/sh\necho ran > ${canary}\n`, { mode: 0o755 });
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { DirLayer } from ${JSON.stringify(layerModule)};
      const l = new DirLayer(${JSON.stringify(root)});
      l.putWhiteout(l.root(), 'w'); l.createNode(l.root(), 'p', { type: 'other', mode: 0o10644 });
      console.log('done'); l.close();`], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    try {
      assert.match(r.stdout, /^done/, r.stderr);
      assert.equal(fs.existsSync(canary), false, 'the planted mknod did not run');
      const w = fs.lstatSync(path.join(root, 'w'));
      assert.ok(w.isCharacterDevice() && w.rdev === 0);
      assert.ok(fs.lstatSync(path.join(root, 'p')).isFIFO());
    } finally { removeTree(base); }
  });
});

describe('DirLayer work directory: leftovers and writers', { skip: needRoot }, () => {
  it("removes killed writers' temp files at open; a stale name with our own PID never collides", () => {
    const { base, root, work } = fresh();
    fs.mkdirSync(work, { mode: 0o700 });
    // What earlier writers left: the old predictable names (this very PID: a container's PID 1)
    // and random ones, files and half-built directories.
    for (let n = 1; n <= 5; n++) fs.writeFileSync(path.join(work, `tmp.${process.pid}.${n.toString(36)}`), 'stale');
    fs.mkdirSync(path.join(work, 'tmp.Zm9vYmFyYmF6cXV4'));
    fs.writeFileSync(path.join(work, 'tmp.Zm9vYmFyYmF6cXV4/big'), Buffer.alloc(1 << 16));
    fs.writeFileSync(path.join(work, 'unrelated'), 'not ours');
    const layer = new DirLayer(root);
    try {
      for (let i = 0; i < 5; i++) layer.createNode(layer.root(), `f${i}`, { type: 'file', mode: 0o644, data: bytes(`${i}`) });
      assert.deepEqual(fs.readdirSync(work).filter((n) => n.startsWith('tmp.')), []);
      assert.ok(fs.existsSync(path.join(work, 'unrelated')), 'entries that are not ours are left alone');
      assert.equal(fs.readFileSync(path.join(root, 'f4'), 'utf8'), '4');
    } finally { layer.close(); removeTree(base); }
  });

  it('one writer per upper: a second DirLayer (here or in a worker thread) gets EBUSY; free again after close', async () => {
    const { base, root } = fresh();
    const first = new DirLayer(root);
    try {
      first.createNode(first.root(), 'a', { type: 'file', mode: 0o644 });
      const second = new DirLayer(root);
      assert.throws(() => second.createNode(second.root(), 'b', { type: 'file', mode: 0o644 }),
        (e: NodeJS.ErrnoException) => e.code === 'EBUSY' && /one writing DirLayer per upper/.test(e.message));
      assert.equal(fs.existsSync(path.join(root, 'b')), false);
      const inThread = await new Promise<string>((resolve, reject) => {
        const w = new Worker(`
          const { parentPort } = require('node:worker_threads');
          import(${JSON.stringify(layerModule)}).then(({ DirLayer }) => {
            const l = new DirLayer(${JSON.stringify(root)});
            try { l.createNode(l.root(), 't', { type: 'file', mode: 0o644 }); parentPort.postMessage('wrote'); }
            catch (e) { parentPort.postMessage(e.code); } finally { l.close(); }
          });`, { eval: true });
        w.once('message', (m: string) => { resolve(m); void w.terminate(); });
        w.once('error', reject);
      });
      assert.equal(inThread, 'EBUSY');
      first.close();
      second.createNode(second.root(), 'b', { type: 'file', mode: 0o644 });
      assert.ok(fs.existsSync(path.join(root, 'b')));
      second.close();
    } finally { first.close(); removeTree(base); }
  });

  it('a writer in another PID namespace (a container) holds the upper too: EBUSY, free once it dies', { skip: flockSkip }, async () => {
    const { base, root } = fresh();
    // Its lock file names its PID in its own namespace (1 or so): from here, some other process.
    const child = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', process.execPath, '--input-type=module', '-e', `
      import { DirLayer } from ${JSON.stringify(layerModule)};
      const l = new DirLayer(${JSON.stringify(root)});
      l.createNode(l.root(), 'c', { type: 'file', mode: 0o644 });
      console.log('holding', process.pid); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pidThere = await new Promise<number>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => { const m = /holding (\d+)/.exec(d.toString()); if (m) resolve(Number(m[1])); });
        child.once('exit', () => reject(new Error('the child exited early')));
      });
      assert.ok(pidThere < 10, `a PID of its own namespace (${pidThere})`);
      const layer = new DirLayer(root);
      assert.throws(() => layer.createNode(layer.root(), 'x', { type: 'file', mode: 0o644 }), { code: 'EBUSY' });
      assert.equal(fs.existsSync(path.join(root, 'x')), false);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // unshare's child (the writer) dies with it: the kernel dropped its lock.
      await waitFor(() => { try { layer.createNode(layer.root(), 'x', { type: 'file', mode: 0o644 }); return true; } catch { return false; } });
      assert.ok(fs.existsSync(path.join(root, 'x')));
      layer.close();
    } finally { child.kill('SIGKILL'); removeTree(base); }
  });

  it("a writer killed with SIGKILL leaves a lock that the next writer takes over", async () => {
    const { base, root } = fresh();
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import { DirLayer } from ${JSON.stringify(layerModule)};
      const l = new DirLayer(${JSON.stringify(root)});
      l.createNode(l.root(), 'c', { type: 'file', mode: 0o644 });
      console.log('holding'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('holding')) resolve(); });
        child.once('exit', () => reject(new Error('the child exited early')));
      });
      const layer = new DirLayer(root);
      assert.throws(() => layer.createNode(layer.root(), 'x', { type: 'file', mode: 0o644 }), { code: 'EBUSY' });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      layer.createNode(layer.root(), 'x', { type: 'file', mode: 0o644 });
      assert.ok(fs.existsSync(path.join(root, 'x')));
      layer.close();
    } finally { child.kill('SIGKILL'); removeTree(base); }
  });
});
