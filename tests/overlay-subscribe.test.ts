// Overlay.subscribe (issue 11 §3 follow-up): changes of the merged view in overlay paths, from the
// overlay's own writes and from layers changed underneath, delivered after the operation returns
// and after the cache took them in (a listener that looks sees the new state).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';
import type { OverlayChange } from '../bindings/engine/change-feed.js';

function setup() {
  const lower = new MemoryLayer({ name: 'lower' });
  lower.mkdir('/d');
  lower.writeFile('/d/low', 'l');
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) });
  return { lower, ov };
}

const tick = () => new Promise<void>((r) => setImmediate(r));
const brief = (c: OverlayChange) => `${c.kind} ${c.path} ${c.layer}${c.own ? ' own' : ''}`;

test('own writes: after the call returns, in overlay paths; a copy-up is a replace of a visible name', async () => {
  const { ov } = setup();
  const seen: string[] = [];
  const off = ov.subscribe((c) => seen.push(brief(c)));
  ov.writeFile('/d/new', 'n');
  assert.deepEqual(seen, [], 'nothing is delivered inside the operation');
  ov.chmod('/d/low', 0o600);
  ov.unlink('/d/new');
  await tick();
  assert.deepEqual(seen, ['create /d/new upper own', 'replace /d/low upper own', 'remove /d/new upper own']);
  off();
  ov.writeFile('/d/after', 'x');
  await tick();
  assert.equal(seen.length, 3, 'unsubscribed');
});

test('changes underneath: the listener sees the new state (the cache took the change in first)', async () => {
  const { lower, ov } = setup();
  assert.equal(ov.exists('/d/host'), false); // a cached negative entry
  const seen: [string, boolean, string | undefined][] = [];
  ov.subscribe((c) => seen.push([brief(c), ov.exists(c.path), ov.exists(c.path) ? ov.readFile(c.path, 'utf8') as string : undefined]));
  lower.writeFile('/d/host', 'from the host');
  lower.writeFile('/d/low', 'rewritten');
  await tick();
  assert.deepEqual(seen, [['create /d/host 0', true, 'from the host'], ['data /d/low 0', true, 'rewritten']]);
});

test('an open file\'s writes are reported; a closed overlay refuses subscribers and delivers nothing more', async () => {
  const { ov } = setup();
  const seen: string[] = [];
  ov.subscribe((c) => seen.push(brief(c)));
  ov.writeFile('/f', '');
  const file = ov.openFile('/f', true);
  file.append(new Uint8Array([1, 2]));
  file.close();
  await tick();
  assert.deepEqual(seen, ['create /f upper own', 'data /f upper own']);
  ov.writeFile('/g', '');
  ov.close();
  await tick();
  assert.equal(seen.length, 2, 'queued changes of a closed overlay are dropped');
  assert.throws(() => ov.subscribe(() => {}), { code: 'EBADF' });
  assert.throws(() => ov.subscribe('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
});
