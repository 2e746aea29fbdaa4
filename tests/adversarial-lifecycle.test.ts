// Adversarial: an overlay's lifecycle. Overlays made and dropped (or closed) in a loop must give
// their WASM instances and layer subscriptions back, and a closed overlay must not keep answering
// from a cache that nobody keeps up to date any more.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CACHE_IMPLS, type CacheImpl } from '../bindings/cache/create-cache.js';
import { WasmDentryCache } from '../bindings/cache/wasm-cache.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { assertFsError } from './helpers/assert-fs.js';
import { layer, link } from './helpers/layer-tree.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collect until `done()` or give up; finalizers run between the macrotasks. */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function listenerCount(l: MemoryLayer): number {
  return (l as unknown as { listeners: unknown[] }).listeners.length;
}

function cacheOf(ov: Overlay): WasmDentryCache {
  return (ov as unknown as { engine: { cache: WasmDentryCache } }).engine.cache;
}

describe('dropped overlays', () => {
  test('an overlay dropped without close() is collected and unsubscribes from its long-lived layers', async () => {
    const lower = layer({ a: 'x' });
    const upper = layer();
    let collected = 0;
    const registry = new FinalizationRegistry(() => { collected++; });
    const N = 40;
    (() => {
      for (let i = 0; i < N; i++) {
        const ov = new Overlay({ lowers: [lower], upper });
        ov.stat('/a');
        registry.register(ov, i);
      }
    })();
    assert.equal(listenerCount(lower), N);
    await collectUntil(() => collected === N && listenerCount(lower) === 0);
    assert.equal(collected, N, 'the layers\' listeners must not keep dropped overlays alive');
    assert.equal(listenerCount(lower), 0, 'a collected overlay lets go of its layers');
    assert.equal(listenerCount(upper), 0);
  });

  test('a live overlay keeps hearing of changes after a collection (its listeners hold it weakly)', async () => {
    const lower = layer({ d: { a: 'x', b: 'y' } });
    const ov = new Overlay({ lowers: [lower], upper: layer() });
    assert.deepEqual(ov.readdir('/d'), ['a', 'b']);
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    lower.unlink('/d/a');
    assert.deepEqual(ov.readdir('/d'), ['b'], 'the change mapper was collected: the listing stayed stale');
  });

  test('overlays made and closed in a loop reuse WASM instances: external memory stays flat', () => {
    const lower = layer({ d: { f: 'x' } });
    const run = (n: number) => {
      for (let i = 0; i < n; i++) {
        const ov = new Overlay({ lowers: [lower], upper: layer() });
        assert.equal(ov.readFile('/d/f', 'utf8'), 'x');
        ov.writeFile(`/d/g${i}`, 'y');
        ov.close();
      }
    };
    run(20);
    const before = process.memoryUsage().external;
    // Each instance has 1 MiB of linear memory at least: 600 fresh ones would be 600+ MiB
    // (and ~1e4 of them exhaust V8's address space for WASM memories).
    run(600);
    const grown = process.memoryUsage().external - before;
    assert.ok(grown < 64 * 1024 * 1024, `external memory grew by ${(grown / 1048576).toFixed(0)} MiB over 600 create/close cycles`);
  });

  test('a closed overlay\'s instance is reused by the next one, which starts empty', () => {
    const first = new Overlay({ lowers: [layer({ a: 'old' })], upper: layer() });
    first.stat('/a');
    const memory = (cacheOf(first) as unknown as { memory: WebAssembly.Memory }).memory;
    first.close();
    const second = new Overlay({ lowers: [layer({ b: 'new' })], upper: layer() });
    assert.equal((cacheOf(second) as unknown as { memory: WebAssembly.Memory }).memory, memory, 'the instance was pooled');
    assert.equal(second.stats().entries, 1, 'nothing of the first overlay is left');
    assert.equal(second.exists('/a'), false);
    assert.equal(second.readFile('/b', 'utf8'), 'new');
    second.close();
  });

  test('a disposed WASM cache refuses every use', () => {
    const cache = new WasmDentryCache({});
    cache.dispose();
    cache.dispose();
    assert.throws(() => cache.walk('/a', 1, 0), /after dispose/);
    assert.throws(() => cache.result, /after dispose/);
    assert.throws(() => cache.counters(), /after dispose/);
    assert.equal(cache.memoryBytes(), 0);
  });
});

for (const impl of CACHE_IMPLS) describe(`close() then every method (cache: ${impl})`, () => closed(impl));

function closed(impl: CacheImpl): void {
  test('every operation fails with EBADF; stats() keeps the final counters; close() is idempotent', () => {
    const lower = layer({ d: { f: 'x' }, l: link('d') });
    const ov = new Overlay({ lowers: [lower], upper: layer(), cache: { impl } });
    ov.stat('/d/f');
    const final = ov.stats();
    ov.close();
    ov.close();
    // A change made after close() is not seen: answering from the cache would be silently wrong.
    lower.writeFile('/d/new', 'n');
    const ops: [string, () => unknown][] = [
      ['stat', () => ov.stat('/d/f')], ['lstat', () => ov.lstat('/d/f')],
      ['stat', () => ov.stat('/d/f', { throwIfNoEntry: false })],
      ['scandir', () => ov.readdir('/d')], ['open', () => ov.readFile('/d/f')],
      ['readlink', () => ov.readlink('/l')], ['realpath', () => ov.realpath('/d')], ['lstat', () => ov.resolve('/d')],
      ['open', () => ov.writeFile('/d/g', 'y')], ['open', () => ov.appendFile('/d/f', 'y')],
      ['open', () => ov.truncate('/d/f')], ['chmod', () => ov.chmod('/d/f', 0o600)],
      ['utime', () => ov.utimes('/d/f', 1, 1)], ['mkdir', () => ov.mkdir('/e')],
      ['mkdir', () => ov.mkdir('/e/f', { recursive: true })], ['rmdir', () => ov.rmdir('/d')],
      ['unlink', () => ov.unlink('/d/f')], ['lstat', () => ov.rm('/d', { recursive: true })],
      ['rename', () => ov.rename('/d/f', '/d/g')], ['symlink', () => ov.symlink('x', '/s')],
      ['link', () => ov.link('/d/f', '/d/h')], ['mknod', () => ov.mknod('/p', 0o10644)],
    ];
    for (const [syscall, op] of ops) assertFsError(op, { code: 'EBADF', syscall });
    assert.equal(ov.exists('/d/f'), false);
    ov.invalidate();
    ov.invalidate('/d');
    assert.deepEqual(ov.stats(), final);
    assert.equal(lower.handleAt('/e'), 0, 'nothing was written');
  });
}
