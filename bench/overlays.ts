// Building and dropping Strata overlays for the suites: one place that knows the engine's
// constructor options, and that an overlay must let go of its layers when a suite is done with
// it (a layer keeps its subscribers — and their caches — alive).
import type { MemoryStack } from './materialize/memory.js';
import type { OverlayLike, StrataApi } from './engine.js';

export type CacheImpl = 'wasm' | 'ts';
export type PolicyName = 'strict' | 'relaxed' | 'strict-legacy';

export interface OverlaySetup {
  impl: CacheImpl;
  policy?: PolicyName;
  /** Cache capacity in entries (bytes are left generous so entries bind). */
  entries?: number;
  /** Cache clock (ms) for TTL deadlines, when the engine takes one. */
  clock?: () => number;
}

export function makeOverlay(api: StrataApi, stack: MemoryStack | { upper?: unknown; lowers: unknown[] }, setup: OverlaySetup): OverlayLike {
  const entries = setup.entries ?? 1 << 20;
  return new api.Overlay({
    lowers: stack.lowers,
    upper: stack.upper,
    policy: setup.policy ?? 'relaxed',
    cache: { capacity: { entries, bytes: Math.max(256 << 20, entries * 256) }, impl: setup.impl },
    ...(setup.clock ? { clock: setup.clock } : {}),
  });
}

/** Unsubscribe an overlay from its layers if the engine offers a way; false if it cannot. */
export function disposeOverlay(ov: OverlayLike): boolean {
  const o = ov as unknown as Record<string, unknown>;
  for (const method of ['close', 'dispose', 'destroy']) {
    if (typeof o[method] === 'function') {
      (o[method] as () => void).call(ov);
      return true;
    }
  }
  return false;
}

/** The cache entries an overlay holds (root included), from ov.stats(). */
export function cachedEntries(ov: OverlayLike): number {
  const s = ov.stats() as Record<string, unknown>;
  const e = s.entries ?? (s.cache as Record<string, unknown> | undefined)?.entries;
  return typeof e === 'number' ? e : NaN;
}
