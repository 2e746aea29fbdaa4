// Strata's public API as the benchmarks use it, loaded at run time: the engine is built by other
// hands at the same time, so a suite whose subject is not there yet says "skipped" instead of the
// whole run failing. Only the members the suites call are described here.

export interface StatsLike {
  size: number;
  ino: number;
  isFile(): boolean;
  isDirectory(): boolean;
}

export interface OverlayLike {
  stat(path: string, options?: { throwIfNoEntry?: boolean }): StatsLike | undefined;
  lstat(path: string, options?: { throwIfNoEntry?: boolean }): StatsLike | undefined;
  readdir(path: string): string[];
  stats(): Record<string, number>;
}

export interface MemoryLayerLike {
  mkdir(path: string, options?: { recursive?: boolean; opaque?: boolean }): void;
  writeFile(path: string, data: Uint8Array | string, options?: { replace?: boolean }): void;
  symlink(target: string, path: string): void;
  whiteout(path: string): void;
  setOpaque(path: string, opaque: boolean): void;
  unlink(path: string): void;
  rmdir(path: string, options?: { recursive?: boolean }): void;
  rename(from: string, to: string): void;
  expire(path: string): void;
}

export interface OverlayOptions {
  lowers: unknown[];
  upper?: unknown;
  policy?: 'strict' | 'relaxed' | 'strict-legacy';
  cache?: { capacity?: number | { entries?: number; bytes?: number }; impl?: 'wasm' | 'ts' };
  /** Injectable time source (ms), if the engine offers one. */
  clock?: () => number;
  [option: string]: unknown;
}

export interface StrataApi {
  Overlay: new (options: OverlayOptions) => OverlayLike;
  MemoryLayer: new (options?: { ttlMs?: number; name?: string; clock?: () => number; readonly?: boolean }) => MemoryLayerLike;
  DirLayer?: new (path: string, options?: { ttlMs?: number; readOnly?: boolean; watch?: boolean; trustWatch?: boolean }) => unknown;
}

let loaded: Promise<StrataApi | string> | undefined;

/** The engine's API, or the reason it cannot be loaded (printed as "skipped: …"). */
export function loadStrata(): Promise<StrataApi | string> {
  loaded ??= (async () => {
    // A computed specifier keeps tsc from resolving modules that may not exist yet.
    const entry = '../bindings/index.js';
    try {
      const api = (await import(entry)) as Partial<StrataApi>;
      if (typeof api.Overlay !== 'function' || typeof api.MemoryLayer !== 'function') {
        return 'bindings/index.js does not export Overlay and MemoryLayer yet';
      }
      return api as StrataApi;
    } catch (err) {
      return `the engine is not built (${(err as Error).message.split('\n')[0]})`;
    }
  })();
  return loaded;
}

/** The overlay's counters, whatever subset of names the engine reports. */
export function counter(ov: OverlayLike, name: string): number {
  const value = ov.stats()[name];
  return typeof value === 'number' ? value : 0;
}

/**
 * How a default DirLayer learns of host changes in this process, for the report: the ring (no
 * syscall per operation while the host is unchanged) or a queue read per operation.
 */
export async function watchQueueMode(): Promise<string> {
  const spec = '../bindings/layers/host/watch-queue.js';
  try {
    const { WatchQueue } = (await import(spec)) as { WatchQueue: { shared(): { hasRing: boolean } | null } };
    const queue = WatchQueue.shared();
    if (queue === null) return 'no native helper: DirLayers watch with fs.watch';
    return queue.hasRing
      ? 'a default DirLayer checks its inotify queue in shared memory (an io_uring poll): no syscall per operation while the host is unchanged'
      : 'a default DirLayer reads its inotify queue at every operation (this host refuses io_uring)';
  } catch (err) {
    return `watch queue unknown (${(err as Error).message.split('\n')[0]})`;
  }
}
