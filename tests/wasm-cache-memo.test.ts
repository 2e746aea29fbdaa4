// The WASM cache's JS-side path memo and its WASM front table (bindings/cache/path-memo.ts,
// assembly/front.ts): a repeated walk is answered without the component walk, and never after a
// change that could alter the answer; the answers, result record and counters are the TS twin's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RES_SLOTS, ROOT_ID, T_DIR, T_FILE, T_NONE, WALK_CHANGED, WALK_EXPIRED, WALK_FOUND, WALK_NEGATIVE } from '../bindings/abi.js';
import type { DentryCache } from '../bindings/cache/dentry-cache.js';
import { TsDentryCache } from '../bindings/cache/ts-cache.js';
import { WasmDentryCache } from '../bindings/cache/wasm-cache.js';

/** /a/b/c (file, deadline 50 when asked), /a/b/gone (negative). */
function tree(c: DentryCache, deadline = 0): { a: number; b: number; file: number; gone: number } {
  const a = c.insert(ROOT_ID, 'a', T_DIR, 0, 1, 1, 1, 0);
  const b = c.insert(a, 'b', T_DIR, 0, 1, 1, 2, 0);
  const file = c.insert(b, 'c', T_FILE, 0, 1, 1, 3, deadline);
  const gone = c.insert(b, 'gone', T_NONE, 0, 1, 1, 0, 0);
  return { a, b, file, gone };
}

/** The same calls on a WASM cache and the TS twin: statuses, result records and counters agree. */
function both(deadline = 0): { wasm: WasmDentryCache; ts: TsDentryCache; ids: ReturnType<typeof tree>; same(f: (c: DentryCache) => unknown): unknown } {
  const wasm = new WasmDentryCache();
  const ts = new TsDentryCache();
  const ids = tree(wasm, deadline);
  assert.deepEqual(tree(ts, deadline), ids);
  return {
    wasm, ts, ids,
    same(f) {
      const x = f(wasm);
      const y = f(ts);
      assert.deepEqual(x, y);
      assert.deepEqual(Array.from(wasm.result), Array.from(ts.result));
      assert.deepEqual(wasm.counters(), ts.counters());
      return x;
    },
  };
}

test('a repeated walk is answered by the path memo, with the component walk\'s result and counters', () => {
  const { wasm, same } = both();
  same((c) => c.walk('/a/b/c', 1, 0));
  const before = wasm.pathMemoHits;
  for (let i = 0; i < 3; i++) assert.equal(same((c) => c.walk('/a/b/c', 2, 0)), WALK_FOUND);
  assert.equal(same((c) => c.walk('/a/b/gone', 2, 0)), WALK_NEGATIVE);
  assert.equal(same((c) => c.walk('/a/b/gone', 2, 0)), WALK_NEGATIVE);
  assert.equal(wasm.pathMemoHits, before + 4);
  assert.equal(wasm.result.length, RES_SLOTS);
  wasm.dispose();
});

test('any change ends the memo\'s answers; the next walk sees it', () => {
  const { wasm, ids, same } = both();
  same((c) => c.walk('/a/b/c', 1, 0));
  same((c) => c.invalidate(ids.b));
  const before = wasm.pathMemoHits;
  assert.equal(same((c) => c.walk('/a/b/c', 1, 0)), WALK_CHANGED);
  assert.equal(wasm.pathMemoHits, before);
  // Revalidated and resumed: that answer may be kept, and the next walk is a memo answer.
  same((c) => { c.refresh(ids.b, 0); return c.resume(ids.b, 1); });
  same((c) => c.walk('/a/b/c', 1, 0));
  assert.equal(wasm.pathMemoHits, before + 1);
  same((c) => c.expire(ids.a));
  assert.equal(same((c) => c.walk('/a/b/c', 1, 0)), WALK_EXPIRED);
  assert.equal(wasm.pathMemoHits, before + 1);
  wasm.dispose();
});

test('a deadline on the path ends the memo\'s answer at that time', () => {
  const { wasm, same } = both(50);
  same((c) => c.walk('/a/b/c', 10, 0));
  const before = wasm.pathMemoHits;
  assert.equal(same((c) => c.walk('/a/b/c', 49, 0)), WALK_FOUND);
  assert.equal(wasm.pathMemoHits, before + 1);
  assert.equal(same((c) => c.walk('/a/b/c', 50, 0)), WALK_EXPIRED);
  assert.equal(wasm.pathMemoHits, before + 1);
  wasm.dispose();
});

test('calls after a memo answer see the walk\'s state: stopped name, insert, remove, resume', () => {
  const { wasm, ids, same } = both();
  same((c) => c.walk('/a/b/gone', 1, 0));
  const before = wasm.pathMemoHits;
  same((c) => c.walk('/a/b/gone', 1, 0));
  assert.equal(wasm.pathMemoHits, before + 1);
  assert.equal(same((c) => c.stoppedName()), 'gone');
  // The negative entry replaced by a file, then the walk goes on from it.
  same((c) => c.walk('/a/b/gone', 1, 0));
  const id = same((c) => c.insertStopped(T_FILE, 0, 1, 1, 7, 0)) as number;
  assert.equal(same((c) => c.resume(id, 1)), WALK_FOUND);
  same((c) => c.walk('/a/b/c', 1, 0));
  same((c) => c.walk('/a/b/c', 1, 0));
  same((c) => c.remove(ids.file));
  assert.notEqual(same((c) => c.walk('/a/b/c', 1, 0)), WALK_FOUND);
  wasm.dispose();
});

test('without the front table there is no memo either, and the answers are the same', () => {
  const off = new WasmDentryCache({}, { frontTable: false });
  const on = new WasmDentryCache();
  tree(off);
  tree(on);
  for (let i = 0; i < 3; i++) {
    assert.equal(off.walk('/a/b/c', 1, 0), on.walk('/a/b/c', 1, 0));
    assert.deepEqual(Array.from(off.result), Array.from(on.result));
  }
  assert.equal(off.pathMemoHits, 0);
  assert.equal(off.frontHits(), 0);
  assert.ok(on.pathMemoHits > 0);
  assert.deepEqual(off.counters(), on.counters());
  off.dispose();
  on.dispose();
});
