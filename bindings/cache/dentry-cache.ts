// The dentry cache contract. Two implementations: WasmDentryCache (the product, state in WASM
// linear memory) and TsDentryCache (pure TypeScript: oracle in differential tests and baseline in
// benchmarks). They must give identical answers for identical call sequences — ids included,
// because both allocate ids the same way (see "Ids and eviction" below).
//
// Model
// - An entry is keyed by (parent id, name). It is positive (type T_FILE/T_DIR/T_SYMLINK/T_OTHER)
//   or negative (T_NONE: "this name does not exist here", possibly because of a whiteout).
// - Fields: type, flags (public F_* bits), layer (index of the topmost layer that answered:
//   0 = upper, i+1 = lowers[i]), lowest (deepest layer index consulted to produce the answer, so a
//   change in a layer below `lowest` cannot affect it), handle (an i32 the overlay uses to find
//   its layer data), deadline (0 = never expires; else expires when now >= deadline).
// - Entry ROOT_ID (0) is the root directory; it always exists, is never evicted, and has no name.
//
// Revalidation (all inside the cache, a few integer compares per component)
// - invalidate(id) marks an entry changed: the next walk through it stops with WALK_CHANGED.
//   This is O(1) and covers the whole subtree, because every walk to a descendant passes it.
// - expire(id) marks it expired; refresh(id, deadline) clears the changed and expired marks and
//   sets a new deadline, after the overlay re-validated the entry against its layers.
// - remove(id) drops an entry. Its cached descendants become unreachable at once (each entry
//   remembers its parent's incarnation; a freed id gets a new incarnation) and are reclaimed
//   lazily (by eviction, or when a lookup meets them). An unreachable entry is never reported as
//   EXPIRED/CHANGED: it is a MISS.
//
// Walk
// - walk(path, now, opts) splits an absolute path into components inside the cache and walks them
//   from the root. Empty components and "." are skipped; ".." pops to the parent entry of the
//   walk (at the root: WALK_EINVAL — Strata refuses to climb above the overlay's root). A NUL
//   byte, a relative path, or a path of PATH_MAX bytes or more (PATH_MAX counts the terminating
//   NUL, as the kernel's does) is WALK_EINVAL /
//   WALK_ENAMETOOLONG; a component over NAME_MAX bytes is WALK_ENAMETOOLONG when reached.
// - Per component k (looked up in the directory entry reached so far):
//     not cached → MISS; changed → CHANGED; deadline passed → EXPIRED; negative → NEGATIVE;
//     symlink and (not last, or last with WALK_FOLLOW) → SYMLINK;
//     non-directory and (not last, or last followed by a trailing slash) → NOTDIR;
//     otherwise it is a hit: counted, and the walk goes on.
//   The check order above is the contract. A hit (positive or negative) sets the entry's
//   reference bit for eviction. Counting: each valid positive component passed or ended on is one
//   hit, each negative one a negativeHit; each MISS/EXPIRED/CHANGED stop one miss/expired/changed.
//   `entries` counts live entries including the root; unreachable-but-unreclaimed ones too.
// - The result record (result[] — RES_* slots) says where it stopped. Component indexes count
//   non-empty components ('.' and '..' included) from 0 in the current path buffer (follow()
//   restarts them). When the path ends in '/', '.' or '..' with nothing after, FOUND reports the
//   directory on top of the stack with RES_NAME_OFF = RES_NAME_LEN = 0, RES_INDEX = (components
//   so far) - 1, or -1 and RES_PARENT = NO_ENTRY for the root. Whole-path errors (PATH_MAX, NUL,
//   relative) report RES_INDEX = -1, RES_ID = RES_PARENT = NO_ENTRY and zeros elsewhere; MISS and
//   component errors report RES_ID = NO_ENTRY and zero entry fields. The overlay resolves the
//   stopped component from its layers, then calls insertStopped(...) and resume(id, now) to go on
//   from there without copying the path again.
// - follow(target, now): after WALK_SYMLINK, continue with `target` followed by the components
//   after k. A relative target continues from the symlink's directory; an absolute one from root.
//   The caller counts follows (MAX_SYMLINKS → ELOOP). An empty target is WALK_EINVAL; a target
//   of PATH_MAX bytes or more WALK_ENAMETOOLONG — the expanded path as a whole has no limit (the
//   kernel walks a link's body and the rest of the path separately).
// - resume(id) treats entry `id` as the valid answer for the stopped component k (sets its
//   reference bit, counts nothing) and goes on exactly as a hit would: it may stop NEGATIVE,
//   SYMLINK, NOTDIR or FOUND on it, or push it and walk on.
// - Ids are valid until the next insert (an insert may evict); pins last until the next walk().
//   Hold layer handles, not ids, across walks.
// - While a walk is in progress (from walk() until the next walk()), the entries on its path are
//   pinned: eviction never takes them, so resume() can always continue.
//
// Ids and eviction (identical in both implementations)
// - Ids are slot numbers. A new entry takes the most recently freed slot (LIFO free list), else
//   the next never-used slot. Capacity: at most `capacity.entries` entries (root included) and
//   `capacity.bytes` accounted bytes (see ENTRY_BYTES/NAME_ALIGN in abi.ts).
// - Before an insert that would exceed either bound, entries are evicted with CLOCK: the hand
//   moves over slots 1..highest-used in order, wrapping; an unreachable entry is freed at once
//   (counted as an eviction); a pinned entry or the root is skipped; an entry with its reference
//   bit set has it cleared and is skipped; otherwise it is evicted. Evicting a directory makes its
//   cached descendants unreachable. Repeat until the insert fits.
// - insert() of a key that already exists replaces it: the old entry is removed first (as by
//   remove()), then the new one is inserted. insert() returns NO_ENTRY (inserting nothing) when
//   the parent is not a live directory entry or the name is not a valid component. The parent of
//   an insert is never evicted by it. New entries start with the reference bit set.
// - Freeing an unreachable entry counts as an eviction wherever it happens (walk, insert, CLOCK);
//   remove() and replacing a reachable entry do not. CLOCK stops after 2 × top steps (top = slots
//   handed out since the last clear, root included);
//   if the insert still does not fit (everything pinned), it goes in anyway.
// - clear() frees every entry but the root and hands slots out from 1 again (incarnations kept);
//   it ends any walk in progress (call walk() before resume()/follow() again). Before the first
//   walk() the walk stack holds the root alone. Types are kept in 8 bits (pass T_* values); ids
//   are integers (the WASM side truncates others).
// - `now` and deadlines are uint32 milliseconds; expire() sets an expired mark that refresh()
//   clears, so expiry does not depend on the clock's value.
import type { CacheCounters } from './counters.js';

/** The default bounds of both implementations. */
export const DEFAULT_CAPACITY: CacheCapacity = { entries: 1 << 20, bytes: 256 * 1024 * 1024 };

export interface CacheCapacity {
  /** Maximum number of entries, root included (default 1 << 20). */
  entries: number;
  /** Maximum accounted bytes (default 256 MiB). */
  bytes: number;
}

export interface DentryCache {
  /** RES_* slots of the last walk; read it right after the call that filled it. */
  readonly result: Int32Array;

  walk(path: string, now: number, opts: number): number;
  resume(id: number, now: number): number;
  follow(target: string, now: number): number;
  /** The name of the component the last walk stopped at (decoded). */
  stoppedName(): string;

  /** Insert the component the last walk stopped at, under RES_PARENT. Returns the new id. */
  insertStopped(type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number;
  insert(parent: number, name: string, type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number;
  /** Peek without revalidating or counting: the id for (parent, name) or NO_ENTRY. */
  lookup(parent: number, name: string): number;
  /** Peek a whole path without revalidating, following no symlinks: the id or NO_ENTRY. */
  lookupPath(path: string): number;
  /** Update fields of an existing entry in place (e.g. after a copy-up moved it to the upper). */
  update(id: number, type: number, flags: number, layer: number, lowest: number, handle: number): void;
  setRoot(flags: number, layer: number, lowest: number, handle: number): void;

  invalidate(id: number): void;
  expire(id: number): void;
  refresh(id: number, deadline: number): void;
  remove(id: number): void;
  /** Drop everything but the root. */
  clear(): void;

  type(id: number): number;
  flags(id: number): number;
  layer(id: number): number;
  lowest(id: number): number;
  handle(id: number): number;
  parent(id: number): number;
  name(id: number): string;
  /** True while `id` is a live, reachable entry. */
  alive(id: number): boolean;

  counters(): CacheCounters;
  /**
   * Optional: words [stamp, -, -, wraps] that move with every call that could change a walk's
   * answer (invalidate, expire, refresh, update, setRoot, any freed entry, clear, CLOCK clearing
   * a reference bit) and never repeat; new entries leave them. Read them, do not keep the view.
   */
  changeStamp?(): Uint32Array;
  readonly capacity: CacheCapacity;
  /** Let go of what the cache holds (the WASM one gives its instance back for reuse); unusable afterwards. */
  dispose(): void;
}
