// The stat memo (engine/stat-memo.ts): a repeated stat/lstat/exists answered from the kept final
// answer. Each test first proves the memo answers (its hit count moves), then makes one change
// and checks the next stat shows it: a stale kept answer would be visible here. Every answer is
// also compared with a fresh, uncached overlay over the same layers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import type { StatMemo } from '../bindings/engine/stat-memo.js';
import type { Stats } from '../bindings/engine/stats.js';
import { assertFsError } from './helpers/assert-fs.js';
import { sampledHash } from '../bindings/cache/path-table.js';
import { layer, link } from './helpers/layer-tree.js';

interface Stack { upper: MemoryLayer; lower: MemoryLayer; ov: Overlay }

function stack(options: { index?: boolean; ttlMs?: number } = {}): Stack {
  const lower = layer({ d: { f: 'lower data', g: 'g' }, top: 'x' }, options.ttlMs ? { ttlMs: options.ttlMs } : undefined);
  const upper = layer({ u: { up: 'upper data' } });
  const ov = new Overlay({ lowers: [lower], upper, index: options.index });
  return { upper, lower, ov };
}

function memoOf(ov: Overlay): StatMemo | undefined {
  return (ov as unknown as { engine: { statMemo: StatMemo | undefined } }).engine.statMemo;
}

/** Counts walks the memo stood in for (hits it replayed), so a test can tell it answered. */
function memoHits(ov: Overlay): number {
  const m = memoOf(ov);
  return m === undefined ? 0 : m.hits + m.negativeHits;
}

/** stat `p` until the memo answers it (the first walk fills the cache, the second is kept). */
function kept(ov: Overlay, p: string, how: 'stat' | 'lstat' = 'stat'): Stats {
  for (let i = 0; i < 3; i++) ov[how](p, { throwIfNoEntry: false });
  const before = memoHits(ov);
  const st = ov[how](p, { throwIfNoEntry: false });
  assert.ok(memoHits(ov) > before, `the memo answered ${how} ${p}`);
  return st!;
}

/** What a fresh overlay (nothing cached) says about `p`. */
function fresh(s: Stack, p: string): Stats | undefined {
  return new Overlay({ lowers: [s.lower], upper: s.upper, cache: { impl: 'ts' } }).lstat(p, { throwIfNoEntry: false });
}

/** Equal answers; inode numbers apart (a fresh overlay numbers a copied-up object anew). */
function same(a: Stats | undefined, b: Stats | undefined): void {
  const plain = (st: Stats | undefined) => st === undefined ? undefined : { ...st, ino: 0 };
  assert.deepEqual(plain(a), plain(b));
}

test('chmod through the overlay (copy-up keeps st_ino) is seen by the next stat', () => {
  const s = stack();
  const before = kept(s.ov, '/d/f');
  s.ov.chmod('/d/f', 0o600);
  const after = s.ov.stat('/d/f');
  assert.equal(after.mode & 0o7777, 0o600);
  assert.equal(after.ino, before.ino, 'fact 10: st_ino survives copy-up');
  same(after, fresh(s, '/d/f'));
  // And again from the memo, now under the new stamp.
  const again = kept(s.ov, '/d/f');
  assert.equal(again.mode & 0o7777, 0o600);
});

test('append, truncate and utimes on an upper file change size and times in the next stat', () => {
  const s = stack();
  const p = '/u/up';
  const size = kept(s.ov, p).size;
  s.ov.appendFile(p, '+more');
  assert.equal(s.ov.stat(p).size, size + 5);
  kept(s.ov, p);
  s.ov.truncate(p, 2);
  assert.equal(s.ov.stat(p).size, 2);
  kept(s.ov, p);
  s.ov.utimes(p, 1000, 2000);
  assert.equal(s.ov.stat(p).mtimeMs, 2000_000);
  same(s.ov.stat(p), fresh(s, p));
});

test('rename over, unlink and create change the answer at a kept name', () => {
  const s = stack();
  const target = kept(s.ov, '/d/f');
  const source = s.ov.stat('/d/g');
  s.ov.rename('/d/g', '/d/f');
  const now = s.ov.stat('/d/f');
  assert.equal(now.ino, source.ino);
  assert.notEqual(now.ino, target.ino);
  assert.equal(now.size, 1);
  kept(s.ov, '/d/f');
  s.ov.unlink('/d/f');
  assert.equal(s.ov.stat('/d/f', { throwIfNoEntry: false }), undefined);
  assertFsError(() => s.ov.stat('/d/f'), { code: 'ENOENT', syscall: 'stat', path: '/d/f' });
  assert.equal(s.ov.exists('/d/f'), false);
  // Kept as a negative answer, then created.
  kept(s.ov, '/d/f', 'lstat');
  assert.equal(s.ov.lstat('/d/f', { throwIfNoEntry: false }), undefined);
  s.ov.writeFile('/d/f', 'new!');
  assert.equal(s.ov.stat('/d/f').size, 4);
  assert.equal(s.ov.exists('/d/f'), true);
});

test('a change notified by a lower layer (data, mode, replacement) reaches the next stat', () => {
  const s = stack();
  kept(s.ov, '/d/f');
  s.lower.writeFile('/d/f', 'lower data, longer now');
  assert.equal(s.ov.stat('/d/f').size, 22);
  kept(s.ov, '/d/f');
  s.lower.chmod('/d/f', 0o444);
  assert.equal(s.ov.stat('/d/f').mode & 0o7777, 0o444);
  kept(s.ov, '/top');
  s.lower.unlink('/top');
  s.lower.mkdir('/top');
  assert.ok(s.ov.stat('/top').isDirectory());
  same(s.ov.stat('/d/f'), fresh(s, '/d/f'));
});

test('a link count change is seen at both names', () => {
  const s = stack();
  assert.equal(kept(s.ov, '/u/up').nlink, 1);
  s.ov.link('/u/up', '/u/second');
  assert.equal(s.ov.stat('/u/up').nlink, 2);
  assert.equal(kept(s.ov, '/u/second').nlink, 2);
  s.ov.unlink('/u/second');
  assert.equal(s.ov.stat('/u/up').nlink, 1);
});

test('each answer is a fresh, mutable object with own properties, like node:fs', () => {
  const s = stack();
  const a = kept(s.ov, '/d/f');
  const b = s.ov.stat('/d/f');
  assert.notEqual(a, b);
  a.size = -1;
  assert.equal(s.ov.stat('/d/f').size, 10);
  assert.deepEqual(Object.keys(b), Object.keys(fresh(s, '/d/f')!));
  assert.equal(JSON.stringify(b), JSON.stringify(s.ov.lstat('/d/f')));
  assert.ok(b.isFile());
});

test('the cache counters count a memo answer as the walk it stands for', () => {
  const s = stack();
  const ts = new Overlay({ lowers: [s.lower], upper: s.upper, cache: { impl: 'ts' } });
  for (const ov of [s.ov, ts]) {
    for (let i = 0; i < 5; i++) {
      ov.stat('/d/f');
      ov.stat('/d/none', { throwIfNoEntry: false });
      ov.lstat('/none/x', { throwIfNoEntry: false });
      ov.exists('/u/up');
    }
  }
  assert.ok(memoHits(s.ov) > 0);
  const { hits, negativeHits, misses } = s.ov.stats();
  const t = ts.stats();
  assert.deepEqual({ hits, negativeHits, misses }, { hits: t.hits, negativeHits: t.negativeHits, misses: t.misses });
});

test('invalidate(), an eviction or close() end the kept answers', () => {
  const s = stack();
  kept(s.ov, '/d/f');
  s.ov.invalidate('/d');
  const before = memoHits(s.ov);
  s.ov.stat('/d/f');
  assert.equal(memoHits(s.ov), before, 'the walk ran again after invalidate()');
  s.ov.close();
  assertFsError(() => s.ov.stat('/d/f'), { code: 'EBADF', syscall: 'stat', path: '/d/f' });
  assert.equal(s.ov.exists('/d/f'), false);
});

test('not kept: a layer with a TTL (expiry must still be seen), index=on, paths with . or ..', () => {
  const timed = stack({ ttlMs: 1000 });
  for (let i = 0; i < 4; i++) timed.ov.stat('/d/f');
  assert.equal(memoHits(timed.ov), 0);
  const indexed = stack({ index: true });
  assert.equal(memoOf(indexed.ov), undefined);
  const s = stack();
  for (let i = 0; i < 4; i++) { s.ov.stat('/d/./f'); s.ov.stat('/u/../d/f'); }
  assert.equal(memoHits(s.ov), 0);
  same(s.ov.stat('/d/./f'), fresh(s, '/d/f'));
});

test('stat and lstat keep their own answers (two tables), every attribute as a walk gives it', () => {
  const lower = layer({ d: { f: 'lower data' }, ln: link('/d/f') });
  const upper = layer();
  const s: Stack = { upper, lower, ov: new Overlay({ lowers: [lower], upper }) };
  const followed = (p: string) => new Overlay({ lowers: [lower], upper, cache: { impl: 'ts' } }).stat(p, { throwIfNoEntry: false });
  // Kept by both (a symlink's stat is a walk through it: not kept, still right).
  for (const p of ['/d/f', '/d', '/none']) {
    same(kept(s.ov, p, 'stat'), followed(p));
    same(kept(s.ov, p, 'lstat'), fresh(s, p));
  }
  const link1 = kept(s.ov, '/ln', 'lstat');
  assert.ok(link1.isSymbolicLink());
  same(link1, fresh(s, '/ln'));
  assert.ok(s.ov.stat('/ln').isFile());
  same(s.ov.stat('/ln'), followed('/ln'));
  // A uid and gid above 2^31 and fractional times come back exact from a kept answer.
  s.ov.chown('/d/f', 4294967294, 3000000000);
  s.ov.utimes('/d/f', 1.25, 1712345678.5);
  const st = kept(s.ov, '/d/f');
  assert.equal(st.uid, 4294967294);
  assert.equal(st.gid, 3000000000);
  assert.equal(st.mtimeMs, 1712345678500);
  assert.equal(st.atimeMs, 1250);
  same(st, fresh(s, '/d/f'));
  same(kept(s.ov, '/d/f', 'lstat'), st);
});

test('an lstat and a stat answer kept in the same slot of their tables do not share a row', () => {
  // Two paths whose sampled hash picks the same slot (the memo's tables have 32768 slots each).
  const seen = new Map<number, number>();
  let pair: [number, number] | undefined;
  for (let n = 0; pair === undefined; n++) {
    const slot = sampledHash(`/d/f${n}`) & 32767;
    const other = seen.get(slot);
    if (other !== undefined) pair = [other, n];
    else seen.set(slot, n);
  }
  const [a, b] = pair;
  const lower = layer({ d: { [`f${a}`]: 'a', [`f${b}`]: 'bbbbbbbb' } });
  const s: Stack = { upper: layer(), lower, ov: new Overlay({ lowers: [lower], upper: layer() }) };
  kept(s.ov, `/d/f${a}`, 'lstat');
  kept(s.ov, `/d/f${b}`, 'stat');
  assert.equal(kept(s.ov, `/d/f${a}`, 'lstat').size, 1);
  assert.equal(kept(s.ov, `/d/f${b}`, 'stat').size, 8);
});

test('readlink answers "not a symlink" and "missing" from the lstat memo, and sees a change at once', () => {
  const s = stack();
  kept(s.ov, '/d/f', 'lstat');
  let before = memoHits(s.ov);
  assertFsError(() => s.ov.readlink('/d/f'), { code: 'EINVAL', syscall: 'readlink', path: '/d/f' });
  assert.ok(memoHits(s.ov) > before, 'the memo answered readlink /d/f');
  kept(s.ov, '/d/none', 'lstat');
  before = memoHits(s.ov);
  assertFsError(() => s.ov.readlink('/d/none'), { code: 'ENOENT', syscall: 'readlink', path: '/d/none' });
  assert.ok(memoHits(s.ov) > before, 'the memo answered readlink /d/none');
  assertFsError(() => s.ov.readlink('/d/f/x'), { code: 'ENOTDIR', syscall: 'readlink', path: '/d/f/x' });
  // A lower change (a file replaced by a symlink) and an own write each reach the next readlink.
  s.lower.unlink('/d/f');
  s.lower.symlink('/top', '/d/f');
  assert.equal(s.ov.readlink('/d/f'), '/top');
  kept(s.ov, '/d/f', 'lstat');
  assert.equal(s.ov.readlink('/d/f'), '/top');
  s.ov.symlink('/d/g', '/d/none');
  assert.equal(s.ov.readlink('/d/none'), '/d/g');
  s.ov.unlink('/d/f');
  assertFsError(() => s.ov.readlink('/d/f'), { code: 'ENOENT', syscall: 'readlink', path: '/d/f' });
  // Nothing in the memo (a fresh overlay) gives the same answers.
  const again = new Overlay({ lowers: [s.lower], upper: s.upper, cache: { impl: 'ts' } });
  assert.equal(again.readlink('/d/none'), '/d/g');
  assertFsError(() => again.readlink('/d/g'), { code: 'EINVAL', syscall: 'readlink', path: '/d/g' });
});
