// index=on on disk, killed at every point: a child process runs one index operation over
// DirLayers and SIGKILLs itself at its k-th host write call (its last five, one earlier). Each state left must
// open in Strata (a fresh overlay with index on) and mount in the kernel (index=on over the same
// work directory), and both must show the same view — an index entry never lacks its origin (the
// kernel refuses to mount then), a half-made one is ignored or cleaned by both alike.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { DirLayer } from '../../bindings/layers/dir-layer.js';
import { Overlay } from '../../bindings/overlay.js';
import { removeTree, scratchDir } from '../../bindings/verify/kernel/host-fixtures.js';
import { mountOverlay, probeOverlayMount, unmountOverlay } from '../../bindings/verify/kernel/kernel-mount.js';
import { createRng } from '../../bindings/verify/prng.js';
import { KILL_AT_WRITE } from '../helpers/kill-at-write.js';

const BINDINGS = fileURLToPath(new URL('../../bindings/', import.meta.url));
const NAMES = ['a', 'b', 'c', 's', 't'];

/** The child: counts host write calls from the start of the operation and SIGKILLs itself at the k-th. */
const CHILD = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const [bindings, base, op, killAt] = process.argv.slice(1);
let armed = false, calls = 0;
${KILL_AT_WRITE}const { Overlay } = await import(bindings + 'overlay.js');
const { DirLayer } = await import(bindings + 'layers/dir-layer.js');
const ov = new Overlay({ lowers: [new DirLayer(base + '/l', { readOnly: true, watch: false })],
  upper: new DirLayer(base + '/u', { watch: false, workdir: base + '/w' }), index: true });
if (op === 'relink') { ov.appendFile('/a', '+a'); ov.unlink('/a'); }
ov.stat('/b'); ov.stat('/t');
armed = true;
if (op === 'copy-up') ov.appendFile('/a', '+a');
else if (op === 'relink') ov.chmod('/b', 0o600);
else ov.unlink('/s');
armed = false;
process.stdout.write(String(calls));
`;

type Op = 'copy-up' | 'relink' | 'unlink-lower';

function prepare(base: string): void {
  removeTree(base);
  for (const d of ['l', 'u', 'w', 'm']) fs.mkdirSync(path.join(base, d), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(base, 'l/a'), 'shared\n');
  fs.linkSync(path.join(base, 'l/a'), path.join(base, 'l/b'));
  fs.linkSync(path.join(base, 'l/a'), path.join(base, 'l/c'));
  fs.writeFileSync(path.join(base, 'l/s'), 'solo\n');
  fs.linkSync(path.join(base, 'l/s'), path.join(base, 'l/t'));
}

function runChild(base: string, op: Op, killAt: number): { killed: boolean; calls: number } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, BINDINGS, base, op, String(killAt)], { encoding: 'utf8' });
  if (r.signal === 'SIGKILL') return { killed: true, calls: killAt };
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return { killed: false, calls: Number(r.stdout) };
}

/** name → data, mode, nlink, first name with the same inode number. */
function view(stat: (n: string) => { ino: number; nlink: number; mode: number } | undefined, read: (n: string) => string): string {
  const first = new Map<number, string>();
  return NAMES.map((n) => {
    const st = stat(n);
    if (st === undefined) return `${n}: -`;
    if (!first.has(st.ino)) first.set(st.ino, n);
    return `${n}: ${JSON.stringify(read(n))} ${(st.mode & 0o777).toString(8)} ${st.nlink} ~${first.get(st.ino)}`;
  }).join('; ');
}

function strataView(base: string): string {
  const lower = new DirLayer(path.join(base, 'l'), { readOnly: true, watch: false });
  const upper = new DirLayer(path.join(base, 'u'), { watch: false, workdir: path.join(base, 'w') });
  const ov = new Overlay({ lowers: [lower], upper, index: true });
  try {
    return view((n) => ov.stat(`/${n}`, { throwIfNoEntry: false }), (n) => ov.readFile(`/${n}`, 'utf8') as string);
  } finally {
    ov.close();
    upper.close();
    lower.close();
  }
}

function kernelView(base: string): string {
  const m = path.join(base, 'm');
  mountOverlay({ lowers: [path.join(base, 'l')], upper: path.join(base, 'u'), work: path.join(base, 'w'), target: m, redirectDir: false, index: true, userxattr: false });
  try {
    return view((n) => fs.statSync(path.join(m, n), { throwIfNoEntry: false }), (n) => fs.readFileSync(path.join(m, n), 'utf8'));
  } finally {
    assert.ok(unmountOverlay(m).ok);
  }
}

const support = probeOverlayMount();
if (!support.ok) console.log(`# index crash points skipped: ${support.reason} (${support.kernel})`);
const skip = !support.ok ? support.reason : support.userxattr ? 'index=on needs trusted.* xattrs (mount as real root)' : false;

describe('index=on on disk: SIGKILL at every host write of an index operation', { skip }, () => {
  // Not a 'kdiff' scratch dir: the kernel differential's leftover sweep would unmount ours under us.
  const root = scratchDir('index-crash');
  after(() => removeTree(root));

  for (const op of ['copy-up', 'relink', 'unlink-lower'] as Op[]) {
    test(`${op}: every state left opens in Strata and in the kernel, with one view`, () => {
      const base = path.join(root, op);
      prepare(base);
      const done = runChild(base, op, 0);
      assert.equal(done.killed, false);
      const finished = strataView(base);
      assert.equal(kernelView(base), finished, 'the finished operation');
      assert.ok(done.calls >= 2, `host write calls in the operation: ${done.calls}`);
      // The index's own steps are the last ones (after the copy is built): each of the last five,
      // and one earlier point drawn from a printed seed (the building itself: tests/crash-atomic).
      const seed = 1300 + op.length;
      const early = 1 + Math.floor(createRng(seed).next() * Math.max(1, done.calls - 5));
      const points = [...new Set([early, ...Array.from({ length: 5 }, (_, i) => done.calls - i).filter((k) => k >= 1)])];
      console.log(`# ${op}: ${done.calls} host writes; killed at ${points.join(', ')} (seed ${seed})`);
      for (const k of points) {
        prepare(base);
        assert.equal(runChild(base, op, k).killed, true);
        const mine = strataView(base);
        assert.equal(kernelView(base), mine, `killed at host write ${k} of ${done.calls}: the kernel shows another view`);
      }
    });
  }
});
