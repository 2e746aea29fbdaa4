// The watch queue's ring (native/queue-ring.c): by default an overlay must see every host change
// made before a call, and where the host allows io_uring it learns that none was made without a
// syscall. These tests hold it to both halves: no queue read while nothing changes, and no change
// missed — even one made by another thread while this one never entered the kernel, which only
// the ring's flag (set in the changing thread's own syscall) can report.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Overlay } from '../bindings/overlay.js';
import { native } from '../bindings/layers/host/native.js';
import { WatchQueue } from '../bindings/layers/host/watch-queue.js';
import { isRoot } from '../bindings/verify/kernel/host-fixtures.js';
import { dirLayerStack } from './helpers/dir-layer-stack.js';

const helper = native();
const queue = helper === null ? null : WatchQueue.shared();
const skip = queue === null ? 'no native helper' : !isRoot() ? 'needs root (the kernel format)'
  : !queue.hasRing ? 'this host refuses io_uring (each operation reads the queue instead)' : false;

/** Counts the helper's queue reads while `run` runs. */
function queueReads(run: () => void): number {
  const read = helper!.watchQueueRead;
  let reads = 0;
  helper!.watchQueueRead = (buffer) => {
    reads++;
    return read(buffer);
  };
  try {
    run();
  } finally {
    helper!.watchQueueRead = read;
  }
  return reads;
}

describe('DirLayer watch queue ring', { skip }, () => {
  it('an unchanged host: cached answers make no queue read; a change is read before the next answer', () => {
    const s = dirLayerStack('dl-ring', { 'd/f': 'one' });
    const ov = new Overlay({ lowers: [s.lower], upper: s.upper });
    try {
      ov.stat('/d/f');
      ov.exists('/d/g');
      const quiet = queueReads(() => {
        for (let i = 0; i < 1000; i++) {
          assert.equal(ov.stat('/d/f').size, 3);
          assert.equal(ov.exists('/d/g'), false);
        }
      });
      assert.equal(quiet, 0);
      const changed = queueReads(() => {
        fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'new');
        assert.equal(ov.exists('/d/g'), true);
      });
      assert.ok(changed >= 1, `the change was read (${changed} reads)`);
      // Another process's change: the same, with nothing in this process between.
      assert.equal(spawnSync('rm', [path.join(s.lowerDir, 'd/f')]).status, 0);
      assert.equal(ov.exists('/d/f'), false);
    } finally {
      ov.close();
      s.done();
    }
  });

  it("another thread's change is seen though this thread made no syscall since (the flag, not the completion)", async () => {
    const s = dirLayerStack('dl-ring-thread', { 'd/f': 'one' });
    const ov = new Overlay({ lowers: [s.lower] });
    const turns = 400;
    // [0]: the turn the worker may take; [1]: the turn it finished.
    const sync = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(`
      const { workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const sync = new Int32Array(workerData.sync);
      for (let turn = 1; turn <= ${turns}; turn++) {
        while (Atomics.load(sync, 0) !== turn);
        // Turns 1, 4, 7, … change nothing; the others add or remove d/g.
        if (turn % 3 === 2) fs.writeFileSync(workerData.dir + '/d/g', 'x');
        if (turn % 3 === 0) fs.unlinkSync(workerData.dir + '/d/g');
        Atomics.store(sync, 1, turn);
      }`, { eval: true, workerData: { sync: sync.buffer, dir: s.lowerDir } });
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      let present = false;
      assert.equal(ov.exists('/d/g'), present);
      for (let turn = 1; turn <= turns; turn++) {
        Atomics.store(sync, 0, turn);
        // Spinning in JavaScript: this thread does not enter the kernel until the answer.
        while (Atomics.load(sync, 1) !== turn);
        if (turn % 3 === 2) present = true;
        if (turn % 3 === 0) present = false;
        assert.equal(ov.exists('/d/g'), present, `turn ${turn}`);
      }
    } finally {
      await worker.terminate();
      ov.close();
      s.done();
    }
  });

  it('changes racing the operations: once the racing thread stops, every answer is the host\'s', async () => {
    const names = Array.from({ length: 16 }, (_, i) => `f${i}`);
    const s = dirLayerStack('dl-ring-race', { 'd/f0': 'x', 'e/f1': 'y' });
    const ov = new Overlay({ lowers: [s.lower] });
    // [0]: 1 = race, 3 = pause (checking), 2 = stop; [1]: the racer's rounds done.
    const sync = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(`
      const { workerData } = require('node:worker_threads');
      const fs = require('node:fs');
      const sync = new Int32Array(workerData.sync);
      let seed = 7;
      const next = (n) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
      for (let round = 1; ; round++) {
        while (Atomics.load(sync, 0) === 0);
        if (Atomics.load(sync, 0) === 2) break;
        while (Atomics.load(sync, 0) === 1) {
          const dir = workerData.dir + (next(2) ? '/d/' : '/e/');
          const a = dir + 'f' + next(16);
          const b = (next(2) ? workerData.dir + '/d/' : workerData.dir + '/e/') + 'f' + next(16);
          try {
            if (next(3) === 0) fs.renameSync(a, b);
            else if (fs.existsSync(a)) fs.unlinkSync(a);
            else fs.writeFileSync(a, 'z'.repeat(next(5)));
          } catch {}
        }
        Atomics.store(sync, 1, round);
        while (Atomics.load(sync, 0) === 3);
      }`, { eval: true, workerData: { sync: sync.buffer, dir: s.lowerDir } });
    try {
      await new Promise((resolve) => worker.once('online', resolve));
      for (let round = 1; round <= 6; round++) {
        Atomics.store(sync, 0, 1);
        const until = Date.now() + 150;
        for (let k = 0; Date.now() < until; k++) {
          ov.exists(`/${k & 1 ? 'd' : 'e'}/${names[k % 16]}`);
          ov.stat(`/${k & 2 ? 'd' : 'e'}/${names[(k >> 2) % 16]}`, { throwIfNoEntry: false });
          if (k % 32 === 0) ov.readdir(k & 64 ? '/d' : '/e');
        }
        // Stop the racer and wait for it without entering the kernel.
        Atomics.store(sync, 0, 3);
        while (Atomics.load(sync, 1) !== round);
        for (const dir of ['d', 'e']) {
          assert.deepEqual(ov.readdir(`/${dir}`).sort(), fs.readdirSync(path.join(s.lowerDir, dir)).sort(), `round ${round}: /${dir}`);
          for (const name of names) {
            const host = fs.statSync(path.join(s.lowerDir, dir, name), { throwIfNoEntry: false });
            assert.equal(ov.stat(`/${dir}/${name}`, { throwIfNoEntry: false })?.size, host?.size, `round ${round}: /${dir}/${name}`);
          }
        }
      }
    } finally {
      Atomics.store(sync, 0, 2);
      await worker.terminate();
      ov.close();
      s.done();
    }
  });

  it('where the host refuses io_uring, each operation reads the queue, and no change is missed', () => {
    const s = dirLayerStack('dl-ring-off', { 'd/f': 'one' });
    const module = (name: string) => JSON.stringify(new URL(`../bindings/${name}`, import.meta.url).pathname);
    try {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import { native } from ${module('layers/host/native.js')};
        import { WatchQueue } from ${module('layers/host/watch-queue.js')};
        import { DirLayer } from ${module('layers/dir-layer.js')};
        import { Overlay } from ${module('overlay.js')};
        import * as fs from 'node:fs';
        const helper = native();
        helper.watchQueueRing = () => -38; // ENOSYS, as under a seccomp profile without io_uring
        let reads = 0;
        const read = helper.watchQueueRead;
        helper.watchQueueRead = (b) => { reads++; return read(b); };
        const ov = new Overlay({ lowers: [new DirLayer(${JSON.stringify(s.lowerDir)}, { readOnly: true })] });
        const before = ov.exists('/d/g');
        reads = 0;
        for (let i = 0; i < 10; i++) ov.exists('/d/f');
        const perCall = reads / 10;
        fs.writeFileSync(${JSON.stringify(s.lowerDir)} + '/d/g', 'x');
        console.log(JSON.stringify({ ring: WatchQueue.shared().hasRing, before, perCall, after: ov.exists('/d/g') }));
        ov.close();`], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { ring: false, before: false, perCall: 1, after: true });
    } finally {
      s.done();
    }
  });
});
