// The watch queue (bindings/layers/host/watch-queue.ts): by default an overlay reads the pending
// inotify events before it answers, so a host change made before a call is seen by that call —
// negative entries and listings included, with no await — and the kernel dropping events (queue
// overflow) forgets everything the layer vouched for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native } from '../bindings/layers/host/native.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';
import { dirLayerStack } from './helpers/dir-layer-stack.js';

function stack(tree: Record<string, string>) {
  const s = dirLayerStack('dl-queue', tree);
  const ov = new Overlay({ lowers: [s.lower], upper: s.upper });
  return { ...s, ov, done() { ov.close(); s.done(); } };
}

const skip = native() === null ? 'no native helper (fs.watch: events come a loop turn late)' : !isRoot() ? 'needs root (the kernel format)' : false;

describe('DirLayer watch queue (default)', { skip }, () => {
  it('a host change made before a call is seen by it: a cached negative answer, a listing, a removal', () => {
    const s = stack({ 'd/f': 'one' });
    try {
      assert.ok(s.lower.changeSource !== undefined, 'read at each operation');
      assert.equal(s.ov.exists('/d/g'), false);
      assert.deepEqual(s.ov.readdir('/d'), ['f']);
      fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'new');
      assert.equal(s.ov.exists('/d/g'), true);
      assert.deepEqual(s.ov.readdir('/d').sort(), ['f', 'g']);
      fs.unlinkSync(path.join(s.lowerDir, 'd/f'));
      assert.equal(s.ov.stat('/d/f', { throwIfNoEntry: false }), undefined);
      fs.mkdirSync(path.join(s.lowerDir, 'd/f'));
      assert.equal(s.ov.stat('/d/f').isDirectory(), true);
    } finally {
      s.done();
    }
  });

  it('the root is vouched for by its own watch: chmod of the host root is seen by the next call', () => {
    const s = stack({ 'd/f': 'one' });
    const ov = new Overlay({ lowers: [s.lower] });
    try {
      ov.readdir('/');
      assert.equal(ov.stat('/').mode & 0o777, fs.statSync(s.lowerDir).mode & 0o777);
      assert.ok(s.lower.vouches(s.lower.root()), 'answered with no lstat from now on');
      fs.chmodSync(s.lowerDir, 0o711);
      assert.equal(ov.stat('/').mode & 0o777, 0o711);
    } finally {
      ov.close();
      s.done();
    }
  });

  it('trustWatch and a TTL opt out: their layers are not read at each operation', () => {
    const dir = scratchDir('dl-queue-opt');
    try {
      assert.equal(new DirLayer(dir, { readOnly: true, trustWatch: true }).changeSource, undefined);
      assert.equal(new DirLayer(dir, { readOnly: true, ttlMs: 50 }).changeSource, undefined);
      assert.equal(new DirLayer(dir, { readOnly: true, watch: false }).changeSource, undefined);
    } finally {
      removeTree(dir);
    }
  });

  it('two layers over one host directory share its watch: closing one leaves the other told', () => {
    const s = stack({ 'd/f': 'one' });
    const second = new DirLayer(s.lowerDir, { readOnly: true });
    const ov2 = new Overlay({ lowers: [second] });
    try {
      assert.equal(ov2.exists('/d/g'), false);
      assert.equal(s.ov.exists('/d/g'), false);
      s.ov.close();
      s.lower.close();
      fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'new');
      assert.equal(ov2.exists('/d/g'), true);
    } finally {
      ov2.close();
      second.close();
      s.done();
    }
  });

  it('events lost to a queue overflow: everything the layer cached is looked up again', () => {
    const s = stack({ 'd/a': '', 'd/b': '', 'd/f': 'one' });
    try {
      assert.equal(s.ov.exists('/d/new'), false);
      assert.equal(s.ov.stat('/d/f').size, 3);
      // More events than the kernel queues (fs.inotify.max_queued_events), alternating names so
      // that none merges with the one before; then the change whose event is lost.
      const limit = Number(fs.readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8'));
      const a = path.join(s.lowerDir, 'd/a');
      const b = path.join(s.lowerDir, 'd/b');
      for (let i = 0; i <= limit / 2 + 8; i++) {
        fs.utimesSync(a, i, i);
        fs.utimesSync(b, i, i);
      }
      fs.writeFileSync(path.join(s.lowerDir, 'd/new'), 'x');
      assert.equal(s.ov.exists('/d/new'), true, 'the negative entry was forgotten');
      assert.equal(s.ov.stat('/d/f').size, 3);
      // Watching goes on: directories are watched again as they are looked into.
      fs.writeFileSync(path.join(s.lowerDir, 'd/newer'), 'x');
      assert.equal(s.ov.exists('/d/newer'), true);
    } finally {
      s.done();
    }
  });

  it('once the last watch is removed, the event loop empties the queue (no busy loop on what removal queued)', async () => {
    const s = stack({ 'd/f': 'one' });
    s.ov.readdir('/d');
    s.done(); // every watch removed: the kernel queues an IN_IGNORED for each
    await new Promise((r) => setTimeout(r, 20));
    const cpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(native()!.watchQueueRead(Buffer.alloc(4096)), -os.constants.errno.EAGAIN, 'nothing left queued');
    const used = process.cpuUsage(cpu);
    assert.ok(used.user + used.system < 150_000, `idle, not spinning: ${(used.user + used.system) / 1000} ms of CPU in 200 ms`);
  });

  it('subscribers hear of a host change with no operation running (the queue is read from the event loop)', async () => {
    const s = stack({ 'd/f': 'one' });
    try {
      s.ov.readdir('/d');
      const heard = new Promise<string>((resolve) => {
        const off = s.ov.subscribe((c) => { off(); resolve(c.path); });
      });
      fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'new');
      // Watching keeps no process alive (like fs.watch's persistent: false): this timer does.
      const alive = setTimeout(() => {}, 60_000);
      try {
        assert.equal(await heard, '/d/g');
      } finally {
        clearTimeout(alive);
      }
    } finally {
      s.done();
    }
  });
});
