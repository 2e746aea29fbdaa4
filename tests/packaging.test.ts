// The package as a user gets it: `npm pack` this repository, install the tarball into an empty
// project with no network (tests/helpers/offline-install.ts), then run the README's usage snippet,
// a few operations through the installed API, a type-check against its declarations, and
// `npx strata stress --ops 20000 --seed 3` — the stress tester must ship, not live in tests/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { cleanEnv, npm, projectFor } from './helpers/offline-install.js';

// dist/tests/packaging.test.js → the repository root (package.json, README.md, build/, dist/).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let scratch: string;
let project: string;
let packed: string[];

function run(args: string[], what: string): string {
  const r = spawnSync(process.execPath, args, { cwd: project, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  scratch = scratchDir('pack');
  project = path.join(scratch, 'project');
  fs.mkdirSync(project);
  // --ignore-scripts: `prepare` would rebuild dist/ under the other test files running now.
  const pack = npm(ROOT, ['pack', '--ignore-scripts', '--json', '--pack-destination', scratch]);
  assert.equal(pack.status, 0, `npm pack failed:\n${pack.stderr}`);
  const [info] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path);
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const { manifest, lock: projectLock } = projectFor(`../${info.filename}`, own, lock);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  fs.writeFileSync(path.join(project, 'package-lock.json'), JSON.stringify(projectLock, null, 2));
  const install = npm(project, ['ci', '--offline', '--no-audit', '--no-fund']);
  assert.equal(install.status, 0, `npm ci --offline failed (is the npm cache filled by \`npm ci\`?):\n${install.stderr}`);
});

after(() => removeTree(scratch));

test('the tarball holds the WASM builds, the JS, its types and the verify tools; no tests', () => {
  for (const file of ['build/strata.wasm', 'build/strata.debug.wasm', 'dist/bindings/index.js', 'dist/bindings/index.d.ts',
    'dist/bindings/cli.js', 'dist/bindings/vfs.js', 'dist/bindings/vfs.d.ts', 'dist/bindings/verify/stress/stress.js', 'dist/bindings/verify/model/model-overlay.js', 'README.md',
    'native/binding.gyp', 'native/strata_native.c', 'native/helper.h', 'native/names.c']) {
    assert.ok(packed.includes(file), `${file} is not in the tarball`);
  }
  const strays = packed.filter((f) => /^(dist\/)?(tests|bench|assembly)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'));
  assert.deepEqual(strays, []);
});

const PREBUILD = `prebuilds/${process.platform}-${process.arch}/strata_native.node`;

test('the native helper ships prebuilt: the install builds nothing, and the installed package loads it', () => {
  assert.ok(packed.includes(PREBUILD), `${PREBUILD} is not in the tarball`);
  assert.ok(packed.includes('native/prebuild.cjs'));
  const installed = path.join(project, 'node_modules', 'strata');
  assert.equal(fs.existsSync(path.join(installed, 'native', 'build')), false, 'the install compiled the helper although the shipped one loads');
  fs.writeFileSync(path.join(project, 'helper.mjs'), `
const { native, nativeUnavailableReason } = await import('./node_modules/strata/dist/bindings/layers/host/native.js');
console.log(JSON.stringify({ loaded: native() !== null, why: nativeUnavailableReason() ?? null, renameAt2: typeof native()?.renameAt2 }));
`);
  assert.deepEqual(JSON.parse(run(['helper.mjs'], 'loading the helper')), { loaded: true, why: null, renameAt2: 'function' });
});

test("the README's usage snippet runs in the installed package", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const usage = /## Usage\n+```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(usage, 'README.md has no ```ts block under "## Usage"');
  fs.writeFileSync(path.join(project, 'usage.mjs'), usage[1]);
  run(['usage.mjs'], 'the usage snippet');
});

test('the installed API: copy-up, whiteout, merged readdir, errors, stable inode numbers, the WASM cache', () => {
  fs.writeFileSync(path.join(project, 'ops.mjs'), `
import { Overlay, MemoryLayer, createCache, createFs } from 'strata';
const base = new MemoryLayer();
base.mkdir('/etc', { recursive: true });
base.writeFile('/etc/hosts', 'lower\\n');
base.writeFile('/etc/motd', 'hi\\n');
const ov = new Overlay({ lowers: [base], upper: new MemoryLayer() });
const ino = ov.stat('/etc/hosts').ino;
ov.writeFile('/etc/hosts', 'upper\\n');
ov.unlink('/etc/motd');
ov.writeFile('/etc/new', 'n');
let error;
try { ov.readFile('/etc/motd'); } catch (e) { error = { code: e.code, syscall: e.syscall, path: e.path }; }
const fs = createFs(ov);
console.log(JSON.stringify({
  hosts: ov.readFile('/etc/hosts', 'utf8'), lower: new Overlay({ lowers: [base] }).readFile('/etc/hosts', 'utf8'),
  sameIno: ov.stat('/etc/hosts').ino === ino, list: fs.readdirSync('/etc').sort(), error,
  layer: ov.resolve('/etc/hosts').layer, wasm: createCache({ impl: 'wasm' }).constructor.name,
}));
ov.close();
`);
  assert.deepEqual(JSON.parse(run(['ops.mjs'], 'the operations')), {
    hosts: 'upper\n', lower: 'lower\n', sameIno: true, list: ['hosts', 'new'],
    error: { code: 'ENOENT', syscall: 'open', path: '/etc/motd' }, layer: 'upper', wasm: 'WasmDentryCache',
  });
});

test("the installed declarations type-check a consumer's TypeScript (and are not `any`)", () => {
  // The consumer's @types/node is ours: the declarations mention Buffer and node:fs types.
  const typeRoots = [path.join(ROOT, 'node_modules', '@types')];
  const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, typeRoots, types: ['node'] };
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['consumer.ts'] }));
  // Without declarations the import fails under strict; were they `any`, the expect-error would be unused.
  fs.writeFileSync(path.join(project, 'consumer.ts'), "import { Overlay, MemoryLayer, type PolicyName } from 'strata';\n" +
    "const policy: PolicyName = 'strict';\nconst ov = new Overlay({ lowers: [new MemoryLayer()], policy });\n" +
    "export const n: number = ov.stat('/').ino;\n// @ts-expect-error ino is a number\nexport const s: string = ov.stat('/').ino;\n");
  run([TSC, '-p', '.'], 'tsc on a consumer');
});

test('npx strata stress --ops 20000 --seed 3 runs from the installed package', () => {
  const r = npm(project, ['exec', '--offline', '--', 'strata', 'stress', '--ops', '20000', '--seed', '3']);
  assert.equal(r.status, 0, `strata stress exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^seed\s+3$/m);
  assert.match(r.stdout, /^events \(ops \+ changes\)\s+20000 /m);
  assert.match(r.stdout, /^wrong answers\s+0$/m);
});
