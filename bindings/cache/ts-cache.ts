// Pure-TypeScript dentry cache: the oracle for the WASM cache in differential tests, and the
// baseline its benchmarks are measured against. Written as idiomatic TypeScript (objects, a Map of
// children per directory) but with the contract's exact id allocation and CLOCK order, so both
// implementations answer identically — ids and counters included. See dentry-cache.ts.
import {
  ENTRY_BYTES, F_PUBLIC_MASK, NAME_ALIGN, NAME_MAX, NO_ENTRY, PATH_MAX, RES_FLAGS, RES_HANDLE,
  RES_ID, RES_INDEX, RES_LAST, RES_LAYER, RES_LOWEST, RES_NAME_LEN, RES_NAME_OFF, RES_PARENT,
  RES_SLOTS, RES_STATUS, RES_TYPE, ROOT_ID, T_DIR, T_NONE, T_SYMLINK, WALK_CHANGED, WALK_EINVAL,
  WALK_ENAMETOOLONG, WALK_EXPIRED, WALK_FOLLOW, WALK_FOUND, WALK_MISS, WALK_NEGATIVE, WALK_NOTDIR,
  WALK_SYMLINK,
} from '../abi.js';
import type { CacheCounters } from './counters.js';
import { DEFAULT_CAPACITY, type CacheCapacity, type DentryCache } from './dentry-cache.js';


class Entry {
  ref = true;
  changed = false;
  expired = false;
  constructor(
    public parent: number,
    public pinc: number,
    public name: string,
    public nameBytes: number,
    public type: number,
    public flags: number,
    public layer: number,
    public lowest: number,
    public handle: number,
    public deadline: number,
  ) {}
}

const roundName = (n: number) => (n + NAME_ALIGN - 1) & ~(NAME_ALIGN - 1);
const NON_ASCII = /[^\x00-\x7f]/;

function assertString(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${what} must be a string, got ${typeof value}`);
}

function validName(name: string): boolean {
  return name.length > 0 && name !== '.' && name !== '..' && !name.includes('/') &&
    !name.includes('\0') && Buffer.byteLength(name) <= NAME_MAX;
}

export class TsDentryCache implements DentryCache {
  readonly result = new Int32Array(RES_SLOTS);
  readonly capacity: CacheCapacity;

  // Slot state. `incs` outlives the entry in a slot: a freed slot's incarnation is bumped, so
  // children that remember the old one are unreachable.
  private entries: (Entry | undefined)[] = [];
  private incs: number[] = [];
  private pinEpochs: number[] = [];
  private children: (Map<string, number> | undefined)[] = [];
  private freeList: number[] = [];
  private hand = 1;
  private epoch = 1;

  // The walk in progress: the path being walked, the directory stack, and where the next
  // component starts. `ascii` lets byte offsets equal string offsets on the common path.
  private path = '';
  private ascii = true;
  private pos = 0;
  private index = 0;
  private opts = 0;
  private stack: number[] = [ROOT_ID];
  private stopNameStart = 0;
  private stopNameEnd = 0;

  private c: CacheCounters = { hits: 0, misses: 0, negativeHits: 0, expired: 0, changed: 0, evictions: 0, entries: 0, bytes: 0 };

  constructor(capacity: Partial<CacheCapacity> = {}) {
    this.capacity = { ...DEFAULT_CAPACITY, ...capacity };
    this.entries = [new Entry(NO_ENTRY, 0, '', 0, T_DIR, 0, 0, 0, 0, 0)];
    this.incs = [0];
    this.pinEpochs = [0];
    this.children = [undefined];
    this.c.entries = 1;
    this.c.bytes = ENTRY_BYTES;
  }


  // ---- walk ----

  walk(path: string, now: number, opts: number): number {
    assertString(path, 'path');
    this.epoch++;
    this.opts = opts;
    this.stack.length = 0;
    this.stack.push(ROOT_ID);
    this.pinEpochs[ROOT_ID] = this.epoch;
    const whole = this.checkPath(path);
    if (whole !== WALK_FOUND) return whole;
    if (path.charCodeAt(0) !== 47 /* / */) return this.stopWhole(WALK_EINVAL);
    return this.run(now >>> 0);
  }

  resume(id: number, now: number): number {
    const e = this.entries[id];
    if (e === undefined) throw new RangeError(`resume: no entry ${id}`);
    e.ref = true;
    const status = this.judge(id, e);
    if (status !== -1) return status;
    return this.run(now >>> 0);
  }

  follow(target: string, now: number): number {
    assertString(target, 'target');
    const rest = this.path.slice(this.stopNameEnd);
    // Only the target is held to PATH_MAX (the kernel walks it and the rest separately).
    const whole = this.checkPath(target + rest, target);
    if (whole !== WALK_FOUND) return whole;
    if (target.length === 0) return this.stopWhole(WALK_EINVAL);
    if (target.charCodeAt(0) === 47) this.stack.length = 1;
    return this.run(now >>> 0);
  }

  stoppedName(): string {
    return this.path.slice(this.stopNameStart, this.stopNameEnd);
  }

  /** Load `path` as the walk's buffer and check whole-path rules; WALK_FOUND means "go on". */
  private checkPath(path: string, limited: string = path): number {
    this.path = path;
    this.ascii = !NON_ASCII.test(path);
    this.pos = 0;
    this.index = 0;
    // PATH_MAX counts the terminating NUL, as the kernel's does.
    if (limited.length >= PATH_MAX || (NON_ASCII.test(limited) && Buffer.byteLength(limited) >= PATH_MAX)) return this.stopWhole(WALK_ENAMETOOLONG);
    if (path.includes('\0')) return this.stopWhole(WALK_EINVAL);
    return WALK_FOUND;
  }

  private run(now: number): number {
    const path = this.path;
    const len = path.length;
    for (;;) {
      let start = this.pos;
      while (start < len && path.charCodeAt(start) === 47) start++;
      if (start >= len) {
        // No component left (the path ended in '/', '.' or '..'): the walk ends on the directory
        // on top of the stack, and there is no name to report.
        const depth = this.stack.length;
        this.stopNameStart = this.stopNameEnd = start;
        return this.stop(WALK_FOUND, this.stack[depth - 1], depth > 1 ? this.stack[depth - 2] : NO_ENTRY, depth > 1 ? this.index - 1 : -1, true, true);
      }
      let end = start;
      while (end < len && path.charCodeAt(end) !== 47) end++;
      this.stopNameStart = start;
      this.stopNameEnd = end;
      this.pos = end;
      const nameLen = end - start;
      if (nameLen === 1 && path.charCodeAt(start) === 46 /* . */) { this.index++; continue; }
      if (nameLen === 2 && path.charCodeAt(start) === 46 && path.charCodeAt(start + 1) === 46) {
        if (this.stack.length === 1) return this.stopComponent(WALK_EINVAL, NO_ENTRY);
        this.stack.pop();
        this.index++;
        continue;
      }
      const name = path.slice(start, end);
      if (nameLen > NAME_MAX || (!this.ascii && Buffer.byteLength(name) > NAME_MAX)) return this.stopComponent(WALK_ENAMETOOLONG, NO_ENTRY);
      const parent = this.stack[this.stack.length - 1];
      const id = this.children[parent]?.get(name);
      if (id === undefined) { this.c.misses++; return this.stopComponent(WALK_MISS, NO_ENTRY); }
      const e = this.entries[id]!;
      if (e.pinc !== this.incs[parent]) {
        this.free(id);
        this.c.evictions++;
        this.c.misses++;
        return this.stopComponent(WALK_MISS, NO_ENTRY);
      }
      if (e.changed) { this.c.changed++; return this.stopComponent(WALK_CHANGED, id); }
      if (e.expired || (e.deadline !== 0 && now >= e.deadline)) { this.c.expired++; return this.stopComponent(WALK_EXPIRED, id); }
      e.ref = true;
      if (e.type === T_NONE) this.c.negativeHits++; else this.c.hits++;
      const status = this.judge(id, e);
      if (status !== -1) return status;
    }
  }

  /** Decide what a valid entry at the current component means; -1: pushed, go on. */
  private judge(id: number, e: Entry): number {
    const last = this.isLast();
    if (e.type === T_NONE) return this.stopComponent(WALK_NEGATIVE, id);
    const trailingSlash = last && this.stopNameEnd < this.path.length;
    if (e.type === T_SYMLINK && (!last || trailingSlash || (this.opts & WALK_FOLLOW) !== 0)) return this.stopComponent(WALK_SYMLINK, id);
    if (e.type !== T_DIR && (!last || trailingSlash)) return this.stopComponent(WALK_NOTDIR, id);
    if (last) return this.stop(WALK_FOUND, id, this.stack[this.stack.length - 1], this.index, true, false);
    this.stack.push(id);
    this.pinEpochs[id] = this.epoch;
    this.index++;
    return -1;
  }

  private isLast(): boolean {
    const path = this.path;
    for (let i = this.stopNameEnd; i < path.length; i++) if (path.charCodeAt(i) !== 47) return false;
    return true;
  }

  private byteOffset(charOffset: number): number {
    return this.ascii ? charOffset : Buffer.byteLength(this.path.slice(0, charOffset));
  }

  private stopWhole(status: number): number {
    this.stopNameStart = this.stopNameEnd = 0;
    const r = this.result;
    r.fill(0);
    r[RES_STATUS] = status;
    r[RES_ID] = NO_ENTRY;
    r[RES_PARENT] = NO_ENTRY;
    r[RES_INDEX] = -1;
    return status;
  }

  private stopComponent(status: number, id: number): number {
    return this.stop(status, id, this.stack[this.stack.length - 1], this.index, this.isLast(), false);
  }

  private stop(status: number, id: number, parent: number, index: number, last: boolean, noName: boolean): number {
    const r = this.result;
    r[RES_STATUS] = status;
    r[RES_ID] = id;
    r[RES_PARENT] = parent;
    r[RES_INDEX] = index;
    if (noName) {
      r[RES_NAME_OFF] = 0;
      r[RES_NAME_LEN] = 0;
    } else {
      const off = this.byteOffset(this.stopNameStart);
      r[RES_NAME_OFF] = off;
      r[RES_NAME_LEN] = this.byteOffset(this.stopNameEnd) - off;
    }
    const e = id === NO_ENTRY ? undefined : this.entries[id];
    r[RES_TYPE] = e ? e.type : 0;
    r[RES_FLAGS] = e ? e.flags : 0;
    r[RES_LAYER] = e ? e.layer : 0;
    r[RES_LOWEST] = e ? e.lowest : 0;
    r[RES_HANDLE] = e ? e.handle : 0;
    r[RES_LAST] = last ? 1 : 0;
    return status;
  }

  // ---- insert / remove ----

  insertStopped(type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number {
    return this.insert(this.result[RES_PARENT], this.stoppedName(), type, flags, layer, lowest, handle, deadline);
  }

  insert(parent: number, name: string, type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number {
    assertString(name, 'name');
    const p = this.entries[parent];
    if (p === undefined || p.type !== T_DIR || !validName(name)) return NO_ENTRY;
    const existing = this.children[parent]?.get(name);
    if (existing !== undefined) {
      if (this.entries[existing]!.pinc !== this.incs[parent]) this.c.evictions++;
      this.free(existing);
    }
    const nameBytes = NON_ASCII.test(name) ? Buffer.byteLength(name) : name.length;
    this.evictUntilFits(ENTRY_BYTES + roundName(nameBytes), parent);
    const id = this.freeList.length > 0 ? this.freeList.pop()! : this.entries.length;
    if (id === this.entries.length) {
      this.entries.push(undefined);
      if (this.incs.length <= id) this.incs.push(0);
      this.pinEpochs.push(0);
      this.children.push(undefined);
    }
    this.entries[id] = new Entry(parent, this.incs[parent], name, nameBytes, type & 0xff, flags & F_PUBLIC_MASK,
      layer & 0xff, lowest & 0xff, handle | 0, deadline >>> 0);
    let kids = this.children[parent];
    if (kids === undefined) this.children[parent] = kids = new Map();
    kids.set(name, id);
    this.c.entries++;
    this.c.bytes += ENTRY_BYTES + roundName(nameBytes);
    return id;
  }

  private evictUntilFits(need: number, keep: number): void {
    const cap = this.capacity;
    const top = this.entries.length;
    if (top <= 1) return;
    let steps = 2 * top;
    while ((this.c.entries + 1 > cap.entries || this.c.bytes + need > cap.bytes) && steps-- > 0) {
      if (this.hand >= top) this.hand = 1;
      const s = this.hand++;
      const e = this.entries[s];
      if (e === undefined || s === keep) continue;
      if (e.pinc !== this.incs[e.parent]) { this.free(s); this.c.evictions++; continue; }
      if (this.pinEpochs[s] === this.epoch) continue;
      if (e.ref) { e.ref = false; continue; }
      this.free(s);
      this.c.evictions++;
    }
  }

  private free(id: number): void {
    const e = this.entries[id]!;
    this.children[e.parent]!.delete(e.name);
    this.entries[id] = undefined;
    this.incs[id]++;
    this.freeList.push(id);
    this.c.entries--;
    this.c.bytes -= ENTRY_BYTES + roundName(e.nameBytes);
  }

  remove(id: number): void {
    if (id === ROOT_ID || this.entries[id] === undefined) return;
    this.free(id);
  }

  clear(): void {
    // Every live slot gets a new incarnation; slots are then handed out from 1 again, but `incs`
    // is kept so that nothing that remembered an old incarnation can ever match again.
    for (let id = 1; id < this.entries.length; id++) if (this.entries[id] !== undefined) this.incs[id]++;
    const root = this.entries[ROOT_ID]!;
    root.ref = true;
    this.entries = [root];
    this.pinEpochs = [0];
    this.children = [undefined];
    this.freeList = [];
    this.hand = 1;
    this.c.entries = 1;
    this.c.bytes = ENTRY_BYTES;
  }

  // ---- peeks and fields ----

  lookup(parent: number, name: string): number {
    assertString(name, 'name');
    if (this.entries[parent] === undefined) return NO_ENTRY;
    const id = this.children[parent]?.get(name);
    if (id === undefined || this.entries[id]!.pinc !== this.incs[parent]) return NO_ENTRY;
    return id;
  }

  lookupPath(path: string): number {
    assertString(path, 'path');
    if (path.charCodeAt(0) !== 47) return NO_ENTRY;
    let id = ROOT_ID;
    for (const part of path.split('/')) {
      if (part === '') continue;
      if (part === '.' || part === '..') return NO_ENTRY;
      if (this.entries[id]!.type !== T_DIR) return NO_ENTRY;
      id = this.lookup(id, part);
      if (id === NO_ENTRY) return NO_ENTRY;
    }
    return id;
  }

  update(id: number, type: number, flags: number, layer: number, lowest: number, handle: number): void {
    const e = this.entries[id];
    if (e === undefined) return;
    if (id !== ROOT_ID) e.type = type & 0xff;
    e.flags = flags & F_PUBLIC_MASK;
    e.layer = layer & 0xff;
    e.lowest = lowest & 0xff;
    e.handle = handle | 0;
  }

  setRoot(flags: number, layer: number, lowest: number, handle: number): void {
    this.update(ROOT_ID, T_DIR, flags, layer, lowest, handle);
  }

  invalidate(id: number): void {
    const e = this.entries[id];
    if (e !== undefined && id !== ROOT_ID) e.changed = true;
  }

  expire(id: number): void {
    const e = this.entries[id];
    if (e !== undefined && id !== ROOT_ID) e.expired = true;
  }

  refresh(id: number, deadline: number): void {
    const e = this.entries[id];
    if (e === undefined) return;
    e.changed = false;
    e.expired = false;
    e.deadline = deadline >>> 0;
  }

  type(id: number): number { return this.entries[id]?.type ?? T_NONE; }
  flags(id: number): number { return this.entries[id]?.flags ?? 0; }
  layer(id: number): number { return this.entries[id]?.layer ?? 0; }
  lowest(id: number): number { return this.entries[id]?.lowest ?? 0; }
  handle(id: number): number { return this.entries[id]?.handle ?? 0; }
  parent(id: number): number { return this.entries[id]?.parent ?? NO_ENTRY; }
  name(id: number): string { return this.entries[id]?.name ?? ''; }

  alive(id: number): boolean {
    for (;;) {
      if (id === ROOT_ID) return true;
      const e = this.entries[id];
      if (e === undefined || this.entries[e.parent] === undefined || e.pinc !== this.incs[e.parent]) return false;
      id = e.parent;
    }
  }

  /** Nothing to give back: the entries go with the object. */
  dispose(): void {
    this.clear();
  }

  counters(): CacheCounters {
    return { ...this.c };
  }
}
