// watch/watchFile on the merged view: events for the adapter's own writes and for changes made
// underneath (a lower's notifications, via watchLayers), with node:fs's event types and names;
// close/abort stop them, and an idle adapter holds no layer subscription. Events are awaited
// with bounded polling, never a timing window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFs } from '../bindings/fs.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

function setup() {
  const lower = new MemoryLayer({ name: 'lower' });
  lower.mkdir('/src/deep', { recursive: true });
  lower.writeFile('/src/a.js', 'a');
  lower.writeFile('/src/deep/d.js', 'd');
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
  return { lower, ov, fs: createFs(ov) };
}

/** Resolves once `check()` is true; fails after a generous bound (turns of the event loop, not time). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never happened: ${what}`);
}

test('watch(dir) reports own writes and lower changes with node:fs event types and names', async () => {
  const { lower, fs } = setup();
  const seen: string[] = [];
  const w = fs.watch('/src', (type: string, name: string | Buffer) => seen.push(`${type}:${name}`));
  fs.writeFileSync('/src/new.js', 'n');
  fs.writeFileSync('/src/a.js', 'A');
  fs.unlinkSync('/src/new.js');
  fs.writeFileSync('/src/deep/d.js', 'not reported without recursive');
  await until(() => seen.length >= 2, 'own writes');
  assert.ok(seen.includes('rename:new.js'), seen.join());
  assert.ok(seen.includes('change:a.js'), seen.join());
  assert.ok(!seen.some((s) => s.includes('d.js')), seen.join());
  seen.length = 0;
  lower.writeFile('/src/from-host.js', 'h');
  await until(() => seen.includes('rename:from-host.js'), 'a lower change');
  // A listener sees the new state: the overlay has taken the change in before delivery.
  assert.equal(fs.readFileSync('/src/from-host.js', 'utf8'), 'h');
  const closed = new Promise((r) => w.once('close', r));
  w.close();
  await closed;
  seen.length = 0;
  fs.writeFileSync('/src/after-close.js', 'x');
  lower.writeFile('/src/after-close-lower.js', 'x');
  let turns = 0;
  await until(() => ++turns > 50, 'a few turns');
  assert.deepEqual(seen, []);
});

test('recursive watch names paths relative to the watched directory; a watched file reports its basename', async () => {
  const { fs, lower } = setup();
  const seen: string[] = [];
  const w = fs.watch('/src', { recursive: true }, (type: string, name: string | Buffer) => seen.push(`${type}:${name}`));
  const f = fs.watch('/src/a.js', (type: string, name: string | Buffer) => seen.push(`file ${type}:${name}`));
  fs.appendFileSync('/src/deep/d.js', '+');
  lower.writeFile('/src/a.js', 'changed underneath');
  await until(() => seen.includes('change:deep/d.js') && seen.includes('file change:a.js'), seen.join());
  w.close();
  f.close();
});

test('watch errors and options: ENOENT names the watch syscall, signal closes, Buffer names', async () => {
  const { fs } = setup();
  assert.throws(() => fs.watch('/nope'), { code: 'ENOENT', syscall: 'watch', path: '/nope' });
  const ac = new AbortController();
  const names: unknown[] = [];
  const w = fs.watch('/src', { signal: ac.signal, encoding: 'buffer' }, (_t: string, n: string | Buffer) => names.push(n));
  fs.writeFileSync('/src/b.js', 'b');
  await until(() => names.length > 0, 'an event');
  assert.ok(Buffer.isBuffer(names[0]));
  const closed = new Promise((r) => w.once('close', r));
  ac.abort();
  await closed;
});

test('promises.watch iterates events until aborted', async () => {
  const { fs } = setup();
  const ac = new AbortController();
  const events: string[] = [];
  const loop = (async () => {
    try {
      for await (const e of fs.promises.watch('/src', { signal: ac.signal })) {
        events.push(`${e.eventType}:${e.filename}`);
        if (events.length === 1) ac.abort();
      }
    } catch (err) {
      assert.equal((err as Error).name, 'AbortError');
    }
  })();
  await new Promise((r) => setImmediate(r));
  fs.writeFileSync('/src/c.js', 'c');
  await loop;
  assert.deepEqual(events, ['rename:c.js']);
});

test('watchFile calls listener(curr, prev) on a change, also for a file created later; unwatchFile stops it', async () => {
  const { fs, lower } = setup();
  const calls: [number, number][] = [];
  const listener = (curr: { size: number }, prev: { size: number }) => calls.push([curr.size, prev.size]);
  fs.watchFile('/src/a.js', { interval: 60_000 }, listener);
  fs.writeFileSync('/src/a.js', 'abc');
  await until(() => calls.length === 1, 'a stat change');
  assert.deepEqual(calls[0], [3, 1]);
  lower.writeFile('/src/later.js', 'later!');
  const later: number[] = [];
  fs.watchFile('/src/later2.js', { interval: 60_000 }, (curr: { size: number; mtimeMs: number }, prev: { size: number; mtimeMs: number }) => later.push(curr.size, prev.mtimeMs));
  fs.writeFileSync('/src/later2.js', 'xy');
  await until(() => later.length === 2, 'a created file');
  assert.deepEqual(later, [2, 0]);
  fs.unwatchFile('/src/a.js', listener);
  fs.unwatchFile('/src/later2.js');
  fs.writeFileSync('/src/a.js', 'abcdef');
  let turns = 0;
  await until(() => ++turns > 50, 'a few turns');
  assert.equal(calls.length, 1);
});

test('an adapter subscribes to the overlay (and deprecated watchLayers) only while something watches', () => {
  const lower = new MemoryLayer({ name: 'lower' });
  lower.mkdir('/src');
  let active = 0;
  const subscribe = lower.subscribe.bind(lower);
  lower.subscribe = (listener) => {
    active++;
    const unsubscribe = subscribe(listener);
    return () => { active--; unsubscribe(); };
  };
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
  let onOverlay = 0;
  const subscribeOverlay = ov.subscribe.bind(ov);
  ov.subscribe = (listener) => {
    onOverlay++;
    const unsubscribe = subscribeOverlay(listener);
    return () => { onOverlay--; unsubscribe(); };
  };
  const before = active; // the overlay's own subscription
  const fs = createFs(ov, { watchLayers: [lower] });
  assert.equal(active, before);
  assert.equal(onOverlay, 0);
  const w1 = fs.watch('/src');
  const w2 = fs.watch('/src');
  fs.watchFile('/src', () => {});
  assert.equal(active, before + 1);
  assert.equal(onOverlay, 1);
  w1.close();
  w2.close();
  assert.equal(active, before + 1);
  fs.unwatchFile('/src');
  assert.equal(active, before);
  assert.equal(onOverlay, 0);
});

test('watch sees writes made through the Overlay itself and changes underneath without watchLayers', async () => {
  const { lower, ov, fs } = setup();
  const seen: string[] = [];
  const w = fs.watch('/src', (type: string, name: string | Buffer) => seen.push(`${type}:${name}`));
  ov.writeFile('/src/direct.js', 'd');
  ov.appendFile('/src/a.js', '+');
  lower.writeFile('/src/under.js', 'u');
  await until(() => ['rename:direct.js', 'change:a.js', 'rename:under.js'].every((e) => seen.includes(e)), seen.join());
  assert.ok(!seen.includes('rename:a.js'), `a copy-up is a change of a visible name: ${seen.join()}`);
  w.close();
});
