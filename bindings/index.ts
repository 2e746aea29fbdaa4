// Strata's public entry: re-exports only.
export { Overlay, DEFAULT_DIR_MODE, DEFAULT_FILE_MODE } from './overlay.js';
export type { OverlayOptions, OverlayCounters, ResolveInfo, StatOptions } from './overlay.js';
export { MemoryLayer } from './layers/memory-layer.js';
export type { MemoryLayerOptions } from './layers/memory-layer.js';
export { DirLayer } from './layers/dir-layer.js';
export type { DirLayerOptions } from './layers/dir-layer.js';
export { TarLayer } from './layers/tar-layer.js';
export type { TarLayerOptions } from './layers/tar-layer.js';
export { ABSENT, WHITEOUT } from './layers/layer.js';
export type { Handle, Layer, LayerChange, LayerListener, NodeSpec, NodeStat, NodeType } from './layers/layer.js';
export { POLICIES, DEFAULT_POLICY, policyFor } from './policy.js';
export type { Policy, PolicyName } from './policy.js';
export { createCache, CACHE_IMPLS, DEFAULT_CACHE_IMPL } from './cache/create-cache.js';
export type { CacheImpl, CreateCacheOptions } from './cache/create-cache.js';
export type { CacheCapacity, DentryCache } from './cache/dentry-cache.js';
export { Stats, Dirent } from './engine/stats.js';
export { fsError } from './errors.js';
export type { StrataError } from './errors.js';
