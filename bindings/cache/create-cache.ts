// Choosing a dentry cache: the WASM one (the product) by default, or the pure-TS twin (oracle and
// baseline). Both load synchronously — the WASM module is compiled once per process from build/.
import type { CacheCapacity, DentryCache } from './dentry-cache.js';
import { TsDentryCache } from './ts-cache.js';
import { WasmDentryCache } from './wasm-cache.js';

export type CacheImpl = 'wasm' | 'ts';

export const CACHE_IMPLS: readonly CacheImpl[] = ['wasm', 'ts'];
export const DEFAULT_CACHE_IMPL: CacheImpl = 'wasm';

export interface CreateCacheOptions {
  impl?: CacheImpl;
  /** Bounds; a number means `{ entries: n }`. Defaults: the contract's (1 << 20 entries, 256 MiB). */
  capacity?: Partial<CacheCapacity> | number;
}

export function createCache(options: CreateCacheOptions = {}): DentryCache {
  const capacity = typeof options.capacity === 'number' ? { entries: options.capacity } : options.capacity ?? {};
  const impl = options.impl ?? DEFAULT_CACHE_IMPL;
  switch (impl) {
    case 'wasm': return new WasmDentryCache(capacity);
    case 'ts': return new TsDentryCache(capacity);
    default: {
      const err = new TypeError(`The "impl" option must be 'wasm' or 'ts'. Received ${String(impl)}`) as TypeError & { code: string };
      err.code = 'ERR_INVALID_ARG_VALUE';
      throw err;
    }
  }
}
