// The sampled-hash path table (bindings/cache/path-table.ts) behind the stat memo and the path
// memo: slot indexes (find/claim) that a caller keeps its answers by, admission when a probe
// window is full, and that a hot set re-referenced after a flood of one-off paths (the scale
// suite's fill: 9-level files, then ~1e6 '.probe-N' misses) wins the table back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathTable } from '../bindings/cache/path-table.js';

/** One lookup the way StatMemo does it: active() → find() → claim() on a miss unless resting. */
function lookup(t: PathTable<never>, key: string): boolean {
  if (!t.active()) return false;
  if (t.find(key) >= 0) return true;
  if (!t.isResting) t.claim(key);
  return false;
}

test('find and claim agree on one slot per key', () => {
  const t = new PathTable<never>(64);
  assert.equal(t.slots, 64);
  assert.equal(t.find('/a'), -1, 'an empty table finds nothing');
  const keys = ['/a', '/b/c', '/d/e/f', '/g'];
  const at = keys.map((k) => t.claim(k));
  for (const i of at) assert.ok(i >= 0 && i < t.slots);
  assert.equal(new Set(at).size, keys.length, 'distinct keys, distinct slots');
  keys.forEach((k, n) => assert.equal(t.find(k), at[n]));
  keys.forEach((k, n) => assert.equal(t.claim(k), at[n], 'a kept key reclaims its own slot'));
  // A fresh string with the same characters is the same key (confirmed by ===, not by identity).
  assert.equal(t.find(['/b', 'c'].join('/')), at[1]);
  assert.equal(t.size, keys.length);
});

test('a full probe window admits one newcomer in eight, in a slot of that window', () => {
  const t = new PathTable<never>(16);
  // 16 slots, probe windows of 4: fill the table, then offer new keys.
  let filled = 0;
  for (; t.size < 16 && filled < 10_000; filled++) t.claim(`/k${filled}`);
  assert.equal(t.size, 16);
  const offered: number[] = [];
  for (let i = 0; i < 16; i++) offered.push(t.claim(`/new${i}`));
  const admitted = offered.filter((i) => i >= 0);
  assert.equal(admitted.length, 2, `one in eight admitted: ${offered.join(',')}`);
  // The admitted key answers from its slot; the key it displaced does not.
  const n = offered.findIndex((i) => i >= 0);
  assert.equal(t.find(`/new${n}`), offered[n]);
  assert.equal(t.size, 16, 'taking a neighbour\'s slot does not grow the table');
  let resident = 0;
  for (let i = 0; i < filled; i++) if (t.find(`/k${i}`) >= 0) resident++;
  assert.equal(resident, 14, 'each newcomer displaced one key');
});

test('second chance: a key found between admissions keeps its slot, one not found loses it', () => {
  const survives = (refind: boolean): boolean => {
    const t = new PathTable<never>(16);
    for (let i = 0; t.size < 16 && i < 10_000; i++) t.claim(`/k${i}`);
    const hot = '/k0';
    assert.ok(t.find(hot) >= 0);
    // 400 newcomers: 50 admissions, each passing over a window of 4 of the 16 slots.
    for (let i = 0; i < 400; i++) {
      t.claim(`/new${i}`);
      if (refind && t.find(hot) < 0) return false;
    }
    return t.find(hot) >= 0;
  };
  assert.equal(survives(true), true, 'found after every newcomer: never displaced');
  assert.equal(survives(false), false, 'never found again: displaced like any other key');
});

test('a hot set re-referenced after a flood of one-off paths wins the table back', () => {
  const t = new PathTable<never>(32768);
  const hot = Array.from({ length: 5896 }, (_, i) => `/lib/a${i % 7}/b${i % 13}/c${i % 5}/d/e/f/g/file-${i}.js`);
  // The flood: ten table-fulls of paths seen once (the fill's probes); the table rests on them.
  for (let i = 0; i < 327_680; i++) lookup(t, `/lib/a${i % 7}/.probe-${i}`);
  // The hot set, cycled: after the rest periods, one newcomer in eight takes a slot nobody asked
  // for since; a hot key that got in is found every cycle, so it keeps its slot.
  const cycle = () => {
    let hits = 0;
    for (const k of hot) if (lookup(t, k.slice(0, 4) + k.slice(4))) hits++;
    return hits;
  };
  let hits = 0;
  for (let c = 0; c < 60; c++) hits = cycle();
  // A few keys share a crowded neighbourhood (more than a window holds): 5888 of 5896 with this
  // policy; a blind rotating victim had 5860 here and was still evicting hot keys for each other.
  assert.ok(hits >= 5880, `hits in cycle 60: ${hits} of ${hot.length}`);
  const admitted = t.counts.admitted;
  for (let c = 0; c < 20; c++) hits = cycle();
  assert.ok(hits >= 5880, `hits in cycle 80: ${hits}`);
  assert.ok(t.counts.admitted - admitted <= 10, `settled: ${t.counts.admitted - admitted} admissions in 20 more cycles`);
});
