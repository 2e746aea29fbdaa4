// Adversarial: host directory layers in the places the kernel differential does not go — a
// process without root's permission bypass over a tree with an unreadable directory, a root
// that is itself a symlink, a directory of 4e3 entries changed on the host between readdirs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DirLayer, MemoryLayer, Overlay } from '../bindings/index.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const NOBODY = 65534;
const hasSetpriv = spawnSync('setpriv', ['--version']).status === 0;
const needNobody = isRoot() && hasSetpriv ? false : 'needs root and setpriv (runs a check as user nobody)';

describe('DirLayer as an unprivileged user', { skip: needNobody }, () => {
  const base = scratchDir('adv-host');
  after(() => removeTree(base));

  test('a directory without permissions: stat works every time, readdir and lookups inside are EACCES at the layer path', () => {
    fs.chmodSync(base, 0o755);
    const root = path.join(base, 'root');
    fs.mkdirSync(path.join(root, 'deny', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(root, 'deny', 'sub', 'x'), 'x');
    fs.writeFileSync(path.join(root, 'open'), 'o');
    fs.chmodSync(path.join(root, 'deny'), 0o000);
    const entry = fileURLToPath(new URL('../bindings/index.js', import.meta.url));
    // The second and third stat meet the layer's cached descriptor of /deny, whose containment
    // check (climbing '..' from it) needs the search permission nobody lacks.
    const script = `
      const { DirLayer, MemoryLayer, Overlay } = await import(${JSON.stringify(entry)});
      const ov = new Overlay({ lowers: [new DirLayer(${JSON.stringify(root)}, { readOnly: true, xattrs: 'user' })], upper: new MemoryLayer() });
      const out = (f) => { try { const v = f(); return v === undefined ? 'ok' : v; } catch (e) { return e.code + ' ' + e.syscall + ' ' + e.path; } };
      const log = [];
      log.push(out(() => ov.readdir('/').join(',')));
      for (let i = 0; i < 3; i++) log.push(out(() => (ov.stat('/deny').mode & 0o7777).toString(8)));
      log.push(out(() => ov.readdir('/deny')));
      log.push(out(() => ov.stat('/deny/sub')));
      log.push(out(() => (ov.stat('/deny').mode & 0o7777).toString(8)));
      log.push(out(() => ov.readFile('/open', 'utf8')));
      console.log(JSON.stringify(log));
    `;
    const r = spawnSync('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), [
      'deny,open', '0', '0', '0', 'EACCES scandir /deny', 'EACCES lstat /deny/sub', '0', 'o',
    ]);
  });
});

describe('DirLayer: odd roots and big directories', () => {
  const base = scratchDir('adv-host2');
  after(() => removeTree(base));

  test('a root that is itself a symlink is the directory it points to', () => {
    const real = path.join(base, 'real');
    fs.mkdirSync(path.join(real, 'd'), { recursive: true });
    fs.writeFileSync(path.join(real, 'd', 'f'), 'f');
    fs.symlinkSync(real, path.join(base, 'link'));
    const layer = new DirLayer(path.join(base, 'link'), { readOnly: true, xattrs: 'user' });
    try {
      assert.equal(layer.hostRoot, real);
      const ov = new Overlay({ lowers: [layer] });
      assert.deepEqual(ov.readdir('/'), ['d']);
      assert.equal(ov.readFile('/d/f', 'utf8'), 'f');
      assert.equal(ov.lstat('/').isDirectory(), true);
    } finally {
      layer.close();
    }
  });

  test('4e3 entries, some deleted and added on the host between watched readdirs', async () => {
    const root = path.join(base, 'big');
    fs.mkdirSync(path.join(root, 'd'), { recursive: true });
    for (let i = 0; i < 4_000; i++) fs.writeFileSync(path.join(root, 'd', `f${i}`), '');
    const layer = new DirLayer(root, { readOnly: true, xattrs: 'user', watch: true });
    try {
      const ov = new Overlay({ lowers: [layer], upper: new MemoryLayer() });
      assert.equal(ov.readdir('/d').length, 4_000);
      for (let i = 0; i < 100; i++) fs.unlinkSync(path.join(root, 'd', `f${i}`));
      fs.writeFileSync(path.join(root, 'd', 'new'), 'n');
      // The watcher reports asynchronously: wait for its events to land.
      for (let i = 0; i < 100 && ov.readdir('/d').length !== 3_901; i++) await new Promise((r) => setTimeout(r, 20));
      const names = ov.readdir('/d');
      assert.equal(names.length, 3_901);
      assert.ok(!names.includes('f0') && names.includes('new') && names.includes('f100'));
      assert.equal(ov.exists('/d/f5'), false);
    } finally {
      layer.close();
    }
  });
});
