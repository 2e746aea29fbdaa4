/** What a dentry cache counts. `bytes` is accounted bytes (abi.ts ENTRY_BYTES/NAME_ALIGN). */
export interface CacheCounters {
  hits: number;
  misses: number;
  negativeHits: number;
  expired: number;
  changed: number;
  evictions: number;
  entries: number;
  bytes: number;
}
