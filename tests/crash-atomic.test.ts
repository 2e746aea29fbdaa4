// Issue 12.6: a writer killed (SIGKILL) at any point of an rmdir of a merged directory, or of a
// directory rename with redirectDir, leaves the old state or the new — never a mix (deleted files
// back, or both names visible). A child process runs the operation over DirLayers and kills
// itself at its k-th host write call (k seeded); each time the view is checked through a fresh
// overlay (which finishes an announced change: engine/intent.ts) and, as root, a kernel mount.
// Both ways a DirLayer replaces: in one step (renameat2 through the native helper, as the kernel)
// and in two (node:fs alone, STRATA_NATIVE=off: the intent record covers the gap).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { Overlay } from '../bindings/overlay.js';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { mountOverlay, probeOverlayMount, unmountOverlay } from '../bindings/verify/kernel/kernel-mount.js';
import { createRng } from '../bindings/verify/prng.js';
import { KILL_AT_WRITE } from './helpers/kill-at-write.js';

const FILES = 40;
const KILLS = 7;
const BINDINGS = fileURLToPath(new URL('../bindings/', import.meta.url));

/** The child: counts host write calls from the start of the operation and SIGKILLs itself at the k-th. */
const CHILD = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const [bindings, lower, upper, op, killAt] = process.argv.slice(1);
let armed = false, calls = 0;
${KILL_AT_WRITE}const { Overlay } = await import(bindings + 'overlay.js');
const { DirLayer } = await import(bindings + 'layers/dir-layer.js');
const ov = new Overlay({ lowers: [new DirLayer(lower, { readOnly: true, watch: false })], upper: new DirLayer(upper, { watch: false }), redirectDir: true });
ov.readdir('/d');
armed = true;
if (op === 'rmdir') ov.rmdir('/d'); else ov.rename('/d', '/e');
armed = false;
process.stdout.write(String(calls));
`;

interface Scenario {
  op: 'rmdir' | 'rename';
  /** How many of /d's lower files are deleted through the overlay first (whiteouts in the upper). */
  deleted: number;
  /** A lower /e whose files were all deleted: the rename replaces a merged directory. */
  target: boolean;
}

const SCENARIOS: Scenario[] = [
  { op: 'rmdir', deleted: FILES, target: false },
  { op: 'rename', deleted: FILES / 2, target: false },
  { op: 'rename', deleted: FILES / 2, target: true },
];

function layers(root: string) {
  return { lower: path.join(root, 'lower'), upper: path.join(root, 'upper') };
}

/** A lower /d of FILES files (and a /keep), an upper where `deleted` of them were removed. */
function prepare(root: string, sc: Scenario): void {
  removeTree(root);
  const { lower, upper } = layers(root);
  fs.mkdirSync(path.join(lower, 'd'), { recursive: true });
  fs.mkdirSync(upper);
  fs.writeFileSync(path.join(lower, 'keep'), 'k');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(path.join(lower, 'd', `f${i}`), `${i}`);
  if (sc.target) fs.mkdirSync(path.join(lower, 'e'));
  for (let i = 0; sc.target && i < FILES / 2; i++) fs.writeFileSync(path.join(lower, 'e', `g${i}`), `${i}`);
  withOverlay(root, (ov) => {
    for (let i = 0; i < sc.deleted; i++) ov.unlink(`/d/f${i}`);
    for (let i = 0; sc.target && i < FILES / 2; i++) ov.unlink(`/e/g${i}`);
  });
}

/** An overlay on the scenario's layers, closed with its layers afterwards (the writer lock goes). */
function withOverlay<T>(root: string, use: (ov: Overlay) => T): T {
  const { lower, upper } = layers(root);
  const lowerLayer = new DirLayer(lower, { readOnly: true, watch: false });
  const upperLayer = new DirLayer(upper, { watch: false });
  const ov = new Overlay({ lowers: [lowerLayer], upper: upperLayer, redirectDir: true });
  try {
    return use(ov);
  } finally {
    ov.close();
    upperLayer.close();
    lowerLayer.close();
  }
}

/** The view of the names an operation touches: the root listing, /d's and /e's. */
function viewOf(list: (p: string) => string[] | undefined): string {
  return JSON.stringify({ '/': list('/'), '/d': list('/d'), '/e': list('/e') });
}

function overlayView(root: string): string {
  return withOverlay(root, (ov) => viewOf((p) => (ov.exists(p) ? ov.readdir(p).slice().sort() : undefined)));
}

type Steps = 'one step' | 'two steps';

function runChild(root: string, sc: Scenario, killAt: number, steps: Steps): { killed: boolean; calls: number } {
  const { lower, upper } = layers(root);
  const env = { ...process.env, STRATA_NATIVE: steps === 'one step' ? process.env.STRATA_NATIVE : 'off' };
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, BINDINGS, lower, upper, sc.op, String(killAt)], { encoding: 'utf8', env });
  if (r.signal === 'SIGKILL') return { killed: true, calls: killAt };
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  return { killed: false, calls: Number(r.stdout) };
}

const support = probeOverlayMount();
/** The helper is there, and may make whiteouts (RENAME_WHITEOUT needs CAP_MKNOD: root). */
const nativeRenames = native()?.renameAt2 !== undefined && process.getuid?.() === 0;

function kernelView(root: string): string {
  const { lower, upper } = layers(root);
  const mnt = path.join(root, 'mnt');
  const work = path.join(root, 'kwork');
  fs.mkdirSync(mnt, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  mountOverlay({ lowers: [lower], upper, work, target: mnt, redirectDir: support.redirectDir, userxattr: support.userxattr });
  try {
    return viewOf((p) => {
      try {
        return fs.readdirSync(mnt + p).filter((n) => n !== 'mnt' && n !== 'kwork').sort();
      } catch {
        return undefined;
      }
    });
  } finally {
    unmountOverlay(mnt);
    removeTree(work);
  }
}

describe('crash atomicity: SIGKILL at every kind of point', () => {
  // Not a 'kdiff' scratch dir: the kernel differential's leftover sweep would unmount ours under us.
  const base = scratchDir('crash');
  after(() => removeTree(base));

  const calls = new Map<string, number>();
  for (const steps of ['two steps', 'one step'] as const) for (const sc of SCENARIOS) {
    const name = `${sc.op} of a merged directory (${sc.deleted} of ${FILES} lower files deleted)${sc.target ? ' over an emptied merged directory' : ''}`;
    test(`${name}, replacing in ${steps}`, () => {
      const seed = sc.op === 'rmdir' ? 126 : sc.target ? 1262 : 1261;
      console.log(`# seed ${seed}`);
      const root = path.join(base, `${sc.op}${sc.target ? '-over' : ''}`);
      prepare(root, sc);
      const before = overlayView(root);
      const done = runChild(root, sc, 0, steps);
      assert.equal(done.killed, false);
      const afterOp = overlayView(root);
      assert.notEqual(afterOp, before, 'the operation changes the view');
      if (steps === 'two steps') {
        assert.ok(done.calls >= 3, `host write calls in the operation: ${done.calls}`);
        calls.set(name, done.calls);
      } else if (nativeRenames) {
        // The replace itself is one renameat2, made by the helper, not a node:fs call.
        assert.ok(done.calls < calls.get(name)!, `host write calls in one step ${done.calls}, in two ${calls.get(name)}`);
      }
      const next = createRng(seed).next;
      const kernel = support.ok && (sc.op === 'rmdir' || support.redirectDir);
      for (let n = 0; n < KILLS; n++) {
        const killAt = 1 + Math.floor(next() * done.calls);
        prepare(root, sc);
        runChild(root, sc, killAt, steps);
        const seen = overlayView(root);
        assert.ok(seen === before || seen === afterOp, `killed at host call ${killAt}: the overlay shows ${seen}\nold ${before}\nnew ${afterOp}`);
        if (kernel) {
          const k = kernelView(root);
          assert.equal(k, seen, `killed at host call ${killAt}: the kernel mount shows another view`);
        }
      }
    });
  }
});
