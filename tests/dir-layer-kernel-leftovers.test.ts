// The kernel differential cleans up mounts a killed run left behind — and only those. Mounts are
// shared by every process in the mount namespace: another test file, or another worktree's
// `npm test` on the same machine, must never take down a run that is still going (that was the
// intermittent "seed 11" failure under load: a concurrent run's start-up cleanup unmounted it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  isMounted, mountOverlay, mountScratchLabel, probeOverlayMount, removeScratch, type OverlayMountOptions,
} from '../bindings/verify/kernel/kernel-mount.js';
import { scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const support = probeOverlayMount();
const skip = support.ok ? false : support.reason;
const mountModule = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bindings/verify/kernel/kernel-mount.js');

function mountIn(base: string): OverlayMountOptions {
  const d = (n: string) => { const p = path.join(base, n); fs.mkdirSync(p); return p; };
  const o: OverlayMountOptions = {
    lowers: [d('l0')], upper: d('u'), work: d('w'), target: d('m'), redirectDir: false, userxattr: support.userxattr,
  };
  mountOverlay(o);
  return o;
}

/** unmountLeftovers() as another process runs it (e.g. another test file starting up). */
function leftoversFromAnotherProcess(): string[] {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { unmountLeftovers } from ${JSON.stringify(mountModule)}; console.log(JSON.stringify(unmountLeftovers()));`,
  ], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[];
}

describe('kernel differential: leftover mounts', { skip }, () => {
  it("another process's cleanup leaves a live run's mount alone, and takes a dead run's down", () => {
    const live = scratchDir(mountScratchLabel('kdiff', '0'));
    // A run that died: its PID is that of a process that has exited.
    const deadPid = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' }).stdout.trim();
    const dead = fs.mkdtempSync(path.join(path.dirname(live), `strata-kdiff-p${deadPid}-0-`));
    const targets = [path.join(live, 'm'), path.join(dead, 'm')];
    try {
      mountIn(live);
      mountIn(dead);
      const unmounted = leftoversFromAnotherProcess();
      assert.equal(isMounted(targets[0]), true, 'the live run keeps its mount');
      assert.ok(!unmounted.includes(fs.realpathSync(targets[0])));
      assert.equal(isMounted(targets[1]), false, "the dead run's mount is taken down");
    } finally {
      removeScratch(live, [targets[0]]);
      removeScratch(dead, [targets[1]]);
    }
  });
});
