// DirLayer under the engine: host changes made underneath an Overlay are noticed — on the next
// cache hit (the handle's object is gone), after a TTL (re-checked against the host: the same
// object stays valid under every policy but strict-legacy), or when the watcher reports them —
// and each policy answers as docs/semantics.md says. The engine's clock is injected, so expiry needs
// no sleeping; the watcher's events are waited for.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import type { LayerChange } from '../bindings/layers/layer.js';
import { isRoot } from '../bindings/verify/kernel/host-fixtures.js';
import { dirLayerStack } from './helpers/dir-layer-stack.js';

function stack(entries: Parameters<typeof dirLayerStack>[1], layerOptions: Parameters<typeof dirLayerStack>[2] = {}) {
  return dirLayerStack('dl-overlay', entries, layerOptions);
}

describe('DirLayer under the Overlay: changes made on the host', { skip: isRoot() ? false : 'needs root (the kernel format)' }, () => {
  it('a lower file replaced on the host: relaxed answers the new file, strict fails once with ESTALE', () => {
    for (const policy of ['relaxed', 'strict'] as const) {
      const s = stack({ 'd/f': 'old' });
      try {
        const ov = new Overlay({ lowers: [s.lower], upper: s.upper, policy });
        assert.equal(ov.readFile('/d/f', 'utf8'), 'old');
        fs.rmSync(path.join(s.lowerDir, 'd/f'));
        fs.writeFileSync(path.join(s.lowerDir, 'd/f'), 'new');
        if (policy === 'strict') assert.throws(() => ov.stat('/d/f'), { code: 'ESTALE' });
        // (Its inode number may well be the old one: ext4 hands a freed number out again at once.)
        assert.equal(ov.readFile('/d/f', 'utf8'), 'new');
        assert.equal(ov.stat('/d/f').size, 3);
      } finally { s.done(); }
    }
  });

  it('ttlMs: an expired entry for the same host object stays valid (no ESTALE, even strict); a new name appears', () => {
    let now = 0;
    const clock = () => now;
    const s = stack({ 'd/f': 'data' }, { ttlMs: 1000 });
    try {
      const ov = new Overlay({ lowers: [s.lower], upper: s.upper, policy: 'strict', clock });
      assert.equal(ov.exists('/d/g'), false);
      const ino = ov.stat('/d/f').ino;
      fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'appeared');
      // Within the TTL the cached negative answer may stand (the window), or the event may already
      // be in: the upper's watch queue is the lower's too, and it is read at each operation.
      ov.exists('/d/g');
      now += 1001;
      assert.equal(ov.stat('/d/f').ino, ino, 'expired, re-checked: same object, same answer');
      assert.equal(ov.readFile('/d/g', 'utf8'), 'appeared');
      assert.deepEqual(ov.readdir('/d').sort(), ['f', 'g']);
      assert.ok(ov.stats().expired > 0);
      assert.equal(ov.stats().estale, 0);
    } finally { s.done(); }
  });

  it('ttlMs under strict-legacy: expiry alone is ESTALE (the kernel\'s behaviour for remote layers)', () => {
    let now = 0;
    const s = stack({ f: 'data' }, { ttlMs: 10 });
    try {
      const ov = new Overlay({ lowers: [s.lower], upper: s.upper, policy: 'strict-legacy', clock: () => now });
      ov.stat('/f');
      now += 11;
      assert.throws(() => ov.stat('/f'), { code: 'ESTALE' });
      assert.equal(ov.readFile('/f', 'utf8'), 'data');
    } finally { s.done(); }
  });

  it('watch: a file created on the host becomes visible once the event arrives; a removed one goes', async () => {
    const s = stack({ 'd/f': 'data' }, { watch: true });
    const events: LayerChange[] = [];
    s.lower.subscribe((c) => events.push(c));
    const waitFor = async (pred: (c: LayerChange) => boolean, what: string) => {
      for (let i = 0; i < 300 && !events.some(pred); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(events.some(pred), `no event for ${what}: ${JSON.stringify(events)}`);
    };
    try {
      const ov = new Overlay({ lowers: [s.lower], upper: s.upper, policy: 'relaxed' });
      assert.equal(ov.exists('/d/g'), false);
      assert.deepEqual(ov.readdir('/d'), ['f']);
      fs.writeFileSync(path.join(s.lowerDir, 'd/g'), 'new');
      await waitFor((c) => c.dir === '/d' && c.name === 'g', 'create /d/g');
      assert.equal(ov.readFile('/d/g', 'utf8'), 'new');
      assert.deepEqual(ov.readdir('/d').sort(), ['f', 'g']);
      fs.rmSync(path.join(s.lowerDir, 'd/f'));
      await waitFor((c) => c.dir === '/d' && c.name === 'f' && c.kind === 'remove', 'remove /d/f');
      assert.equal(ov.exists('/d/f'), false);
      assert.deepEqual(ov.readdir('/d'), ['g']);
    } finally { s.done(); }
  });

  it('writes through the overlay land in the upper directory in the kernel format', () => {
    const s = stack({ 'd/f': 'lower', 'd/g': 'gone' });
    try {
      const ov = new Overlay({ lowers: [s.lower], upper: s.upper, policy: 'relaxed' });
      ov.appendFile('/d/f', '+upper');
      ov.unlink('/d/g');
      ov.mkdir('/d/g');
      assert.equal(fs.readFileSync(path.join(s.upperDir, 'd/f'), 'utf8'), 'lower+upper');
      assert.equal(fs.readFileSync(path.join(s.lowerDir, 'd/f'), 'utf8'), 'lower', 'the lower is untouched');
      assert.ok(fs.lstatSync(path.join(s.upperDir, 'd/g')).isDirectory());
      assert.deepEqual(ov.readdir('/d').sort(), ['f', 'g']);
    } finally { s.done(); }
  });
});
