// Cache counters and capacity bounds. Counters are u64 so long benchmarks cannot wrap them; they
// leave the module as f64 in the counter record (C_* slots).
import { C_BYTES, C_CHANGED, C_ENTRIES, C_EVICTIONS, C_EXPIRED, C_HITS, C_MISSES, C_NEGATIVE_HITS, C_SLOTS } from './abi';

export let hits: u64 = 0;
export let misses: u64 = 0;
export let negativeHits: u64 = 0;
export let expired: u64 = 0;
export let changed: u64 = 0;
export let evictions: u64 = 0;
/** Live entries including the root (unreachable-but-unreclaimed ones too). */
export let entryCount: u64 = 0;
/** Accounted bytes: entries * ENTRY_BYTES + sum(roundUp(nameBytes, NAME_ALIGN)). */
export let accountedBytes: u64 = 0;

/** Capacity bounds, kept as f64 so they compare exactly like the TypeScript twin's numbers. */
export let capacityEntries: f64 = 0;
export let capacityBytes: f64 = 0;

/** C_SLOTS f64 slots, filled by fillCounters(). */
export const counterRecord: usize = memory.data(C_SLOTS * 8, 8);

export function resetCounters(entriesBound: f64, bytesBound: f64): void {
  hits = 0;
  misses = 0;
  negativeHits = 0;
  expired = 0;
  changed = 0;
  evictions = 0;
  entryCount = 0;
  accountedBytes = 0;
  capacityEntries = entriesBound;
  capacityBytes = bytesBound;
}

// The counters are bumped from other modules through these (AS exports globals read-only).
// @ts-ignore: decorator
@inline export function countHit(): void { hits++; }
// @ts-ignore: decorator
@inline export function countHits(n: u64): void { hits += n; }
// @ts-ignore: decorator
@inline export function countMiss(): void { misses++; }
// @ts-ignore: decorator
@inline export function countNegativeHit(): void { negativeHits++; }
// @ts-ignore: decorator
@inline export function countExpired(): void { expired++; }
// @ts-ignore: decorator
@inline export function countChanged(): void { changed++; }
// @ts-ignore: decorator
@inline export function countEviction(): void { evictions++; }
// @ts-ignore: decorator
@inline export function accountAdd(bytes: u64): void { entryCount++; accountedBytes += bytes; }
// @ts-ignore: decorator
@inline export function accountRemove(bytes: u64): void { entryCount--; accountedBytes -= bytes; }
// @ts-ignore: decorator
@inline export function accountReset(entries: u64, bytes: u64): void { entryCount = entries; accountedBytes = bytes; }

/** True if one more entry of `bytes` accounted bytes would exceed either bound. */
// @ts-ignore: decorator
@inline export function overCapacity(bytes: u64): bool {
  return <f64>(entryCount + 1) > capacityEntries || <f64>(accountedBytes + bytes) > capacityBytes;
}

export function fillCounters(): usize {
  let r = counterRecord;
  store<f64>(r + (<usize>C_HITS << 3), <f64>hits);
  store<f64>(r + (<usize>C_MISSES << 3), <f64>misses);
  store<f64>(r + (<usize>C_NEGATIVE_HITS << 3), <f64>negativeHits);
  store<f64>(r + (<usize>C_EXPIRED << 3), <f64>expired);
  store<f64>(r + (<usize>C_CHANGED << 3), <f64>changed);
  store<f64>(r + (<usize>C_EVICTIONS << 3), <f64>evictions);
  store<f64>(r + (<usize>C_ENTRIES << 3), <f64>entryCount);
  store<f64>(r + (<usize>C_BYTES << 3), <f64>accountedBytes);
  return r;
}
