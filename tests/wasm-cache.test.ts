// WasmDentryCache's own behaviour, on the release and the debug build: views re-created after
// memory.grow, the string copy paths (ASCII loop, encodeInto, decode), bad input, and that the
// cache stays usable after every kind of bad call.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ENTRY_BYTES, NO_ENTRY, RES_ID, RES_INDEX, RES_LAST, RES_NAME_LEN, RES_NAME_OFF, RES_PARENT, RES_SLOTS, RES_STATUS,
  ROOT_ID, T_DIR, T_FILE, WALK_EINVAL, WALK_ENAMETOOLONG, WALK_FOUND, WALK_MISS, WALK_NOTDIR, WALK_SYMLINK, T_SYMLINK,
} from '../bindings/abi.js';
import { WasmDentryCache } from '../bindings/cache/wasm-cache.js';
import { createRng } from '../bindings/verify/prng.js';

/** Insert /dir/<name> for fresh names until linear memory grows; returns the last id. */
function insertUntilGrowth(cache: WasmDentryCache, dir: number): { id: number; name: string } {
  const start = cache.memoryBytes();
  for (let i = 0; i < 1e6; i++) {
    const name = `entry-${i}`;
    const id = cache.insert(dir, name, T_FILE, 0, 0, 0, i, 0);
    assert.notEqual(id, NO_ENTRY);
    if (cache.memoryBytes() !== start) return { id, name };
  }
  throw new Error('memory never grew');
}

/** The cache still works: insert a fresh path and walk it. */
function assertUsable(cache: WasmDentryCache): void {
  const dir = cache.insert(ROOT_ID, 'still-ok', T_DIR, 0, 0, 0, 0, 0);
  const leaf = cache.insert(dir, 'leaf', T_FILE, 0, 0, 0, 99, 0);
  assert.equal(cache.walk('/still-ok/leaf', 1, 0), WALK_FOUND);
  assert.equal(cache.result[RES_ID], leaf);
  assert.equal(cache.handle(leaf), 99);
  assert.equal(cache.name(leaf), 'leaf');
  assert.equal(cache.lookupPath('/still-ok/leaf'), leaf);
}

for (const debug of [false, true]) {
  const build = debug ? 'debug build' : 'release build';

  describe(`WasmDentryCache (${build})`, () => {
    test('re-creates its views when memory.grow detaches them', () => {
      const cache = new WasmDentryCache({}, { debug });
      const dir = cache.insert(ROOT_ID, 'dir', T_DIR, 0, 0, 0, 0, 0);
      assert.equal(cache.walk('/dir', 1, 0), WALK_FOUND);
      const oldResult = cache.result;
      const { id, name } = insertUntilGrowth(cache, dir);
      // The old view is detached: reading through it would see nothing.
      assert.equal(oldResult.length, 0);
      // The very next call writes its path through the byte view: it must be the live one.
      assert.equal(cache.walk(`/dir/${name}`, 1, 0), WALK_FOUND);
      const result = cache.result;
      assert.notEqual(result, oldResult);
      assert.equal(result.length, RES_SLOTS);
      assert.equal(result[RES_ID], id);
      assert.equal(result[RES_PARENT], dir);
      assert.equal(cache.stoppedName(), name);
      assert.equal(cache.name(id), name);
      assert.equal(cache.lookup(dir, 'entry-0'), cache.lookupPath('/dir/entry-0'));
      assert.equal(cache.counters().entries, id + 1);
    });

    test('re-creates the encodeInto view after growth (long and non-ASCII strings)', () => {
      const cache = new WasmDentryCache({}, { debug });
      const dir = cache.insert(ROOT_ID, 'dir', T_DIR, 0, 0, 0, 0, 0);
      insertUntilGrowth(cache, dir);
      const long = 'ünïcödé-name-longer-than-twenty-four-characters';
      const id = cache.insert(dir, long, T_FILE, 0, 0, 0, 5, 0);
      assert.notEqual(id, NO_ENTRY);
      assert.equal(cache.name(id), long);
      assert.equal(cache.walk(`/dir/${long}`, 1, 0), WALK_FOUND);
      assert.equal(cache.result[RES_ID], id);
    });

    test('grows the input buffer for a huge string and keeps working', () => {
      const cache = new WasmDentryCache({}, { debug });
      const before = cache.memoryBytes();
      assert.equal(cache.walk('/' + 'x'.repeat(3e5), 1, 0), WALK_ENAMETOOLONG);
      assert.ok(cache.memoryBytes() > before, 'a 3e5-char path needs a larger input buffer');
      assert.equal(cache.result[RES_STATUS], WALK_ENAMETOOLONG);
      assertUsable(cache);
    });

    test('copies names of every length and script both ways (seed 7)', () => {
      const rng = createRng(7);
      const cache = new WasmDentryCache({}, { debug });
      const alphabet = ['a', 'Z', '0', '-', '_', ' ', 'é', 'ß', '日', '本', '😀', '\u00ff'];
      for (let i = 0; i < 300; i++) {
        // Lengths around the 24-char crossover, with a non-ASCII char anywhere (or nowhere).
        const length = 1 + rng.int(60);
        let name = '';
        while (name.length < length) name += rng.chance(0.9) ? rng.pick(alphabet.slice(0, 6)) : rng.pick(alphabet);
        if (Buffer.byteLength(name) > 255 || name === '.' || name === '..') continue;
        const id = cache.insert(ROOT_ID, name, T_FILE, 0, 0, 0, i, 0);
        assert.notEqual(id, NO_ENTRY, `seed 7: insert of ${JSON.stringify(name)}`);
        assert.equal(cache.name(id), name, 'seed 7: name round trip');
        assert.equal(cache.walk(`/${name}/more`, 1, 0), WALK_NOTDIR); // a file with more after it
        assert.equal(cache.stoppedName(), name, 'seed 7: stoppedName round trip');
        assert.equal(cache.result[RES_NAME_OFF], 1);
        assert.equal(cache.result[RES_NAME_LEN], Buffer.byteLength(name));
        assert.equal(cache.lookup(ROOT_ID, name), id);
      }
    });

    test('answers bad paths with the right status and stays consistent', () => {
      const cache = new WasmDentryCache({}, { debug });
      const cases: [string, number][] = [
        ['', WALK_EINVAL],
        ['relative/path', WALK_EINVAL],
        ['/a/\0/b', WALK_EINVAL],
        ['/' + 'c'.repeat(1e5), WALK_ENAMETOOLONG], // one 1e5-byte component (and over PATH_MAX)
        ['/' + 'c'.repeat(256), WALK_ENAMETOOLONG], // one component over NAME_MAX
        ['/a'.repeat(1e4), WALK_ENAMETOOLONG], // 1e4 components: 2e4 bytes
        ['/..', WALK_EINVAL],
      ];
      for (const [path, status] of cases) {
        assert.equal(cache.walk(path, 1, 0), status, `walk(${JSON.stringify(path.slice(0, 20))}…)`);
        assert.equal(cache.result[RES_STATUS], status);
        assert.equal(cache.result[RES_ID], NO_ENTRY);
        assertUsable(cache);
      }
      // A 1e5-byte name cannot be inserted or found.
      assert.equal(cache.insert(ROOT_ID, 'n'.repeat(1e5), T_FILE, 0, 0, 0, 0, 0), NO_ENTRY);
      assert.equal(cache.lookup(ROOT_ID, 'n'.repeat(1e5)), NO_ENTRY);
      assert.equal(cache.lookupPath('/' + 'n'.repeat(1e5)), NO_ENTRY);
      // 1e4 components that are all cached would still be peeked by lookupPath (no PATH_MAX there).
      let parent = ROOT_ID;
      for (let i = 0; i < 1e4; i++) parent = cache.insert(parent, 'a', T_DIR, 0, 0, 0, i, 0);
      assert.equal(cache.lookupPath('/a'.repeat(1e4)), parent);
      assert.equal(cache.walk('/a'.repeat(1e4), 1, 0), WALK_ENAMETOOLONG);
      assertUsable(cache);
    });

    test('rejects wrong argument types with a TypeError and stays consistent', () => {
      const cache = new WasmDentryCache({}, { debug });
      const bad: unknown[] = [undefined, null, 42, {}, ['/a'], Symbol('x'), new TextEncoder().encode('/a')];
      for (const value of bad) {
        const v = value as string;
        assert.throws(() => cache.walk(v, 1, 0), TypeError);
        assert.throws(() => cache.follow(v, 1), TypeError);
        assert.throws(() => cache.insert(ROOT_ID, v, T_FILE, 0, 0, 0, 0, 0), TypeError);
        assert.throws(() => cache.lookup(ROOT_ID, v), TypeError);
        assert.throws(() => cache.lookupPath(v), TypeError);
      }
      assert.throws(() => cache.resume(12345, 1), RangeError);
      assert.throws(() => cache.resume(NO_ENTRY, 1), RangeError);
      assertUsable(cache);
    });

    test('follows targets, even a huge one, and stays consistent', () => {
      const cache = new WasmDentryCache({}, { debug });
      const a = cache.insert(ROOT_ID, 'a', T_DIR, 0, 0, 0, 0, 0);
      const b = cache.insert(a, 'b', T_DIR, 0, 0, 0, 0, 0);
      const c = cache.insert(b, 'c', T_FILE, 0, 0, 0, 0, 0);
      cache.insert(a, 'link', T_SYMLINK, 0, 0, 0, 0, 0);
      assert.equal(cache.walk('/a/link/c', 1, 0), WALK_SYMLINK);
      assert.equal(cache.follow('b', 1), WALK_FOUND);
      assert.equal(cache.result[RES_ID], c);
      assert.equal(cache.walk('/a/link/c', 1, 0), WALK_SYMLINK);
      assert.equal(cache.follow('/' + 't'.repeat(1e5), 1), WALK_ENAMETOOLONG);
      assert.equal(cache.result[RES_INDEX], -1);
      assert.equal(cache.walk('/a/link/c', 1, 0), WALK_SYMLINK);
      assert.equal(cache.follow('../a/b', 1), WALK_FOUND);
      assert.equal(cache.result[RES_ID], c);
      assertUsable(cache);
    });

    test('walks, inserts and resumes one miss at a time, counting as the contract says', () => {
      const cache = new WasmDentryCache({}, { debug });
      let status = cache.walk('/usr/lib/node_modules/x/index.js', 1, 0);
      let inserted = 0;
      while (status === WALK_MISS) {
        const last = cache.result[RES_LAST] === 1;
        const id = cache.insertStopped(last ? T_FILE : T_DIR, 0, 1, 1, inserted, 0);
        inserted++;
        status = cache.resume(id, 1);
      }
      assert.equal(status, WALK_FOUND);
      assert.equal(inserted, 5);
      assert.equal(cache.walk('/usr/lib/node_modules/x/index.js', 1, 0), WALK_FOUND);
      const counters = cache.counters();
      assert.equal(counters.misses, 5);
      assert.equal(counters.hits, 5);
      assert.equal(counters.entries, 6);
      // 6 entries; names usr lib node_modules x index.js → 8 + 8 + 16 + 8 + 8 name bytes.
      assert.equal(counters.bytes, 6 * ENTRY_BYTES + 48);
    });

    test('grows linear memory by what its structures take, and reuses it after clear()', () => {
      // 60k entries: record chunks, a 256 KiB bucket array (after rebuilds that free smaller
      // ones) and name chunks come from whole pages; the runtime allocator would double memory.
      const cache = new WasmDentryCache({}, { debug });
      const before = cache.memoryBytes();
      const fill = (round: number) => {
        for (let i = 0; i < 60_000; i++) {
          // Every 7th name is longer than a record holds inline (30 bytes).
          const name = i % 7 === 0 ? `long-name-for-the-arena-${round}-${i}` : `n${round}-${i}`;
          assert.notEqual(cache.insert(ROOT_ID, name, T_FILE, 0, 0, 0, i, 0), NO_ENTRY);
        }
        for (let i = 0; i < 60_000; i += 997) {
          const name = i % 7 === 0 ? `long-name-for-the-arena-${round}-${i}` : `n${round}-${i}`;
          assert.equal(cache.handle(cache.lookup(ROOT_ID, name)), i, name);
          assert.equal(cache.name(cache.lookup(ROOT_ID, name)), name);
        }
      };
      fill(0);
      const grown = cache.memoryBytes() - before;
      assert.ok(grown <= 1.25 * cache.structureBytes(), `grew ${grown} B for ${cache.structureBytes()} B of structures`);
      // Refills after clear() reuse the freed pages: the first may still take a little more
      // (a doubling bucket array meets a split run), later ones none at all.
      cache.clear();
      fill(1);
      assert.ok(cache.memoryBytes() - before <= grown + 512 * 1024, `refill grew to ${cache.memoryBytes() - before} B`);
      const settled = cache.memoryBytes();
      for (let round = 2; round < 4; round++) {
        cache.clear();
        fill(round);
      }
      assert.equal(cache.memoryBytes(), settled, 'refills after clear() reuse the freed pages');
      assert.equal(cache.lookup(ROOT_ID, 'n0-5'), NO_ENTRY);
      cache.dispose();
    });

    test('reports its memory', () => {
      const cache = new WasmDentryCache({}, { debug });
      assert.ok(cache.memoryBytes() >= cache.structureBytes());
      assert.ok(cache.structureBytes() > 0);
    });
  });
}

test('debug and release builds are separate modules with separate state', () => {
  const release = new WasmDentryCache();
  const debugCache = new WasmDentryCache({}, { debug: true });
  release.insert(ROOT_ID, 'only-in-release', T_FILE, 0, 0, 0, 0, 0);
  assert.equal(release.lookupPath('/only-in-release'), 1);
  assert.equal(debugCache.lookupPath('/only-in-release'), NO_ENTRY);
});
