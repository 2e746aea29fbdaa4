// WasmDentryCache: the DentryCache contract over the AssemblyScript module in assembly/ (state in
// WASM linear memory). Only numbers cross the boundary: strings are copied as UTF-8 into the
// module's input buffer, walk answers come back in the result record (RES_* i32 slots).
//
// Readings of the contract, shared with TsDentryCache (ts-cache.ts is the executable spec):
// - `now` and deadlines are unsigned 32-bit milliseconds (ToUint32, as `x >>> 0`), so they wrap
//   after ~49.7 days from the cache's creation; layer and lowest keep their low 8 bits, flags the
//   public byte, handle is an i32. The entry type is kept in 8 bits (the TS twin keeps any
//   number): pass T_* values only.
// - Ids and other numeric arguments are converted like WASM i32 parameters (ToInt32): a
//   non-integer id is truncated here, where the TS twin treats it as "no entry".
// - RES_INDEX counts "." and ".." as components and restarts at 0 in a followed target.
// - Before the first walk() the walk stack is [root] here (the TS twin's is empty), so a resume()
//   or follow() with no walk before it continues from the root; call walk() first.
// - Linear memory grows by the runtime's policy (TLSF at least doubles it), so memoryBytes() can
//   be up to twice structureBytes() right after a growth.
// - dispose() hands the instance back to a small per-process pool (wasm-instances.ts: without it,
//   overlays made and closed in a loop exhaust V8's address space, RangeError after ~1e4
//   instances) and makes this object unusable.
import {
  C_BYTES, C_CHANGED, C_ENTRIES, C_EVICTIONS, C_EXPIRED, C_HITS, C_MISSES, C_NEGATIVE_HITS, C_SLOTS, RES_SLOTS, WALK_FOUND,
  WALK_NEGATIVE,
} from '../abi.js';
import type { CacheCounters } from './counters.js';
import { DEFAULT_CAPACITY, type CacheCapacity, type DentryCache } from './dentry-cache.js';
import { PathMemo, type MemoEntry } from './path-memo.js';
import { DISPOSED, buildFile, giveBack, newOrIdleInstance, usedAfterDispose, type StrataExports } from './wasm-instances.js';


export interface WasmCacheOptions {
  /** Use build/strata.debug.wasm (assertions on) instead of build/strata.wasm. */
  debug?: boolean;
  /**
   * The whole-path front table (assembly/front.ts): a repeated walk answered from one slot while
   * nothing changed. Default on; off only to measure it — the answers are the same either way.
   */
  frontTable?: boolean;
  /** Paths the JS-side memo keeps (path-memo.ts; default 16384, 0 = none). Needs the front table. */
  pathMemo?: number;
}

const DEFAULT_PATH_MEMO = 16384;

// Strings up to this many UTF-16 units are copied with a charCodeAt loop; longer ones (or any
// non-ASCII one) with TextEncoder.encodeInto. Measured crossover ≈ 24 chars (TOOLCHAIN.md).
const ASCII_LOOP_MAX = 24;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
}

export class WasmDentryCache implements DentryCache {
  readonly capacity: CacheCapacity;
  private wasm: StrataExports;
  private readonly memory: WebAssembly.Memory;
  private readonly file: string;
  // Views over linear memory; memory.grow detaches them (length 0), so every use checks first.
  private u8!: Uint8Array;
  private res!: Int32Array;
  private counterView!: Float64Array;
  private inputView!: Uint8Array;
  private inputAt = 0;
  private inputCap = 0;
  private readonly resultAt: number;
  private readonly counterAt: number;
  private readonly frontAt: number;
  private frontWords!: Uint32Array;
  private readonly memo: PathMemo | undefined;
  /** The path and options of the walk the last resume() continues (memoised if it ends well). */
  private lastPath: string | undefined = undefined;
  private lastOpts = 0;
  /** The memo record of lastPath found by walk() (stale), reused by remember(). */
  private lastMemo: MemoEntry | undefined = undefined;
  // A walk answered from the memo, not yet run inside the cache (settle() runs it), and the
  // counts of memo answers that no run has counted.
  private deferred: MemoEntry | undefined = undefined;
  private deferredPath = '';
  private deferredNow = 0;
  private memoHits = 0;
  private memoNegativeHits = 0;
  /** Walks the JS-side path memo answered (not in the contract; tests check it is used). */
  pathMemoHits = 0;

  constructor(capacity: Partial<CacheCapacity> = {}, options: WasmCacheOptions = {}) {
    this.capacity = { ...DEFAULT_CAPACITY, ...capacity };
    this.file = buildFile(options.debug === true);
    this.wasm = newOrIdleInstance(this.file);
    this.memory = this.wasm.memory;
    this.wasm.init(this.capacity.entries, this.capacity.bytes);
    this.wasm.frontTable(options.frontTable === false ? 0 : 1);
    // A secret key per cache: no one can craft paths whose fingerprints collide (assembly/siphash.ts).
    const key = crypto.getRandomValues(new Uint32Array(4));
    this.wasm.frontKey(key[0], key[1], key[2], key[3]);
    const memo = options.frontTable === false ? 0 : options.pathMemo ?? DEFAULT_PATH_MEMO;
    this.memo = memo > 0 ? new PathMemo(memo) : undefined;
    this.frontAt = this.wasm.frontStateAddress();
    this.resultAt = this.wasm.resultAddress();
    this.counterAt = this.wasm.counters();
    this.inputAt = this.wasm.inputAddress();
    this.inputCap = this.wasm.inputCapacity();
    this.makeViews();
  }

  /**
   * Give the WASM instance back for reuse; this cache is unusable afterwards (every call throws).
   * Idempotent. The owner must hold no ids or views of it any more.
   */
  dispose(): void {
    if (this.wasm === DISPOSED) return;
    const wasm = this.wasm;
    this.wasm = DISPOSED;
    const empty = new Uint8Array(0);
    this.u8 = this.inputView = empty;
    this.res = new Int32Array(0);
    this.counterView = new Float64Array(0);
    this.frontWords = new Uint32Array(0);
    this.memo?.clear();
    giveBack(this.file, wasm);
  }

  /** (Re)create every view over the current memory.buffer. */
  private makeViews(): void {
    if (this.wasm === DISPOSED) throw usedAfterDispose();
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.res = new Int32Array(buffer, this.resultAt, RES_SLOTS);
    this.counterView = new Float64Array(buffer, this.counterAt, C_SLOTS);
    this.frontWords = new Uint32Array(buffer, this.frontAt, 4);
    this.inputView = this.u8.subarray(this.inputAt, this.inputAt + this.inputCap);
  }

  /** The byte view, re-created if a memory.grow detached it. */
  private bytes(): Uint8Array {
    if (this.u8.length === 0) this.makeViews();
    return this.u8;
  }

  get result(): Int32Array {
    if (this.res.length === 0) this.makeViews();
    return this.res;
  }

  /** Real WASM memory in use by this instance (linear memory size), for benchmarks. */
  memoryBytes(): number {
    return this.wasm === DISPOSED ? 0 : this.memory.buffer.byteLength;
  }

  /** Bytes the cache's own structures hold (records, name arena, hash buckets). */
  structureBytes(): number {
    return this.wasm.structureBytes();
  }

  /** The front table's state words: [0] its stamp and [3] the stamp's wrap count (DentryCache.changeStamp). */
  changeStamp(): Uint32Array {
    if (this.frontWords.length === 0) this.makeViews();
    return this.frontWords;
  }

  /** Walks the whole-path front table answered since this cache was made (not in the contract). */
  frontHits(): number {
    return this.wasm.frontHits();
  }

  /** Copy `s` into the input buffer as UTF-8; returns its byte length. */
  private writeInput(s: string): number {
    const n = s.length;
    if (n <= ASCII_LOOP_MAX) {
      // The input buffer always holds ≥ 16 KiB, so a short string fits even at 3 bytes a unit.
      const u8 = this.bytes();
      const at = this.inputAt;
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) return this.encodeLong(s);
        u8[at + i] = c;
      }
      return n;
    }
    return this.encodeLong(s);
  }

  private encodeLong(s: string): number {
    const worst = s.length * 3;
    if (worst > this.inputCap) {
      this.inputAt = this.wasm.reserveInput(worst);
      this.inputCap = this.wasm.inputCapacity();
      this.makeViews();
    } else if (this.inputView.length === 0) {
      this.makeViews();
    }
    return encoder.encodeInto(s, this.inputView).written;
  }

  private decode(at: number, len: number): string {
    const u8 = this.bytes();
    if (len <= ASCII_LOOP_MAX) {
      let s = '';
      for (let i = 0; i < len; i++) {
        const c = u8[at + i];
        if (c >= 0x80) return decoder.decode(u8.subarray(at, at + len));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return decoder.decode(u8.subarray(at, at + len));
  }

  // ---- walk ----

  walk(path: string, now: number, opts: number): number {
    assertString(path, 'path');
    const memo = this.memo !== undefined && this.memo.active() ? this.memo : undefined;
    if (memo !== undefined) {
      if (this.frontWords.length === 0) this.makeViews();
      const m = memo.get(path);
      const hit = m !== undefined && memo.valid(m, opts, now, this.frontWords);
      this.lastMemo = m;
      if (hit) {
        // Nothing changed since this path was walked: the cache would give this very answer.
        // A deferred walk this one supersedes never runs (this walk would release its pins).
        this.deferred = m!;
        this.deferredPath = path;
        this.deferredNow = now;
        this.pathMemoHits++;
        this.memoHits += m!.hits;
        this.memoNegativeHits += m!.negativeHits;
        this.result.set(m!.res);
        return m!.status;
      }
    }
    this.deferred = undefined;
    const len = this.writeInput(path);
    const status = this.wasm.walk(len, now, opts);
    // A resting memo is not filled either; resume() then keeps nothing for this walk.
    this.lastPath = memo !== undefined ? path : undefined;
    if (memo === undefined) this.lastMemo = undefined;
    this.lastOpts = opts;
    if (memo !== undefined) this.remember(status);
    return status;
  }

  /** Memoise the answer the cache just gave, if the front table could keep it. */
  private remember(status: number): void {
    if (this.frontWords.length === 0) this.makeViews();
    if ((status === WALK_FOUND || status === WALK_NEGATIVE) && this.lastPath !== undefined && this.frontWords[1] === 1) {
      this.memo!.remember(this.lastPath, this.lastMemo, this.lastOpts, status, this.result, this.frontWords);
      this.lastMemo = undefined;
    }
  }

  /**
   * Run the deferred walk inside the cache before any call that depends on or changes the walk's
   * state: it finds what the memo answered (nothing changed since) and counts it itself.
   */
  private settle(): void {
    const m = this.deferred;
    if (m === undefined) return;
    this.deferred = undefined;
    this.memoHits -= m.hits;
    this.memoNegativeHits -= m.negativeHits;
    const len = this.writeInput(this.deferredPath);
    this.wasm.walk(len, this.deferredNow, m.opts);
    this.lastPath = this.deferredPath;
    this.lastOpts = m.opts;
    this.lastMemo = m;
  }

  resume(id: number, now: number): number {
    this.settle();
    const status = this.wasm.resume(id, now);
    if (status < 0) throw new RangeError(`resume: no entry ${id}`);
    if (this.memo !== undefined) this.remember(status);
    return status;
  }

  follow(target: string, now: number): number {
    assertString(target, 'target');
    this.settle();
    this.lastPath = undefined;
    const len = this.writeInput(target);
    return this.wasm.follow(len, now);
  }

  stoppedName(): string {
    this.settle();
    return this.decode(this.wasm.stoppedNameAddress(), this.wasm.stoppedNameLength());
  }

  // ---- insert / remove ----

  insertStopped(type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number {
    this.settle();
    return this.wasm.insertStopped(type, flags, layer, lowest, handle, deadline);
  }

  insert(parent: number, name: string, type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number {
    assertString(name, 'name');
    this.settle();
    const len = this.writeInput(name);
    return this.wasm.insert(parent, len, type, flags, layer, lowest, handle, deadline);
  }

  lookup(parent: number, name: string): number {
    assertString(name, 'name');
    const len = this.writeInput(name);
    return this.wasm.lookup(parent, len);
  }

  lookupPath(path: string): number {
    assertString(path, 'path');
    const len = this.writeInput(path);
    return this.wasm.lookupPath(len);
  }

  update(id: number, type: number, flags: number, layer: number, lowest: number, handle: number): void {
    this.settle();
    this.wasm.update(id, type, flags, layer, lowest, handle);
  }

  setRoot(flags: number, layer: number, lowest: number, handle: number): void {
    this.settle();
    this.wasm.setRoot(flags, layer, lowest, handle);
  }

  // Calls that change what a walk finds settle a deferred walk first (it must see the old state).
  invalidate(id: number): void { this.settle(); this.wasm.invalidate(id); }
  expire(id: number): void { this.settle(); this.wasm.expire(id); }
  refresh(id: number, deadline: number): void { this.settle(); this.wasm.refresh(id, deadline); }
  remove(id: number): void { this.settle(); this.wasm.remove(id); }
  clear(): void { this.settle(); this.wasm.clear(); }

  // ---- fields ----

  type(id: number): number { return this.wasm.type(id); }
  flags(id: number): number { return this.wasm.flags(id); }
  layer(id: number): number { return this.wasm.layer(id); }
  lowest(id: number): number { return this.wasm.lowest(id); }
  handle(id: number): number { return this.wasm.handle(id); }
  parent(id: number): number { return this.wasm.parent(id); }

  name(id: number): string {
    const len = this.wasm.nameLength(id);
    return len === 0 ? '' : this.decode(this.wasm.nameAddress(id), len);
  }

  alive(id: number): boolean {
    return this.wasm.alive(id) !== 0;
  }

  counters(): CacheCounters {
    this.wasm.counters();
    if (this.counterView.length === 0) this.makeViews();
    const c = this.counterView;
    return {
      hits: c[C_HITS] + this.memoHits, misses: c[C_MISSES], negativeHits: c[C_NEGATIVE_HITS] + this.memoNegativeHits, expired: c[C_EXPIRED],
      changed: c[C_CHANGED], evictions: c[C_EVICTIONS], entries: c[C_ENTRIES], bytes: c[C_BYTES],
    };
  }
}
