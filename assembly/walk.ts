// The path walk. The path is copied once from the input buffer into the walk's own path buffer
// (so peeks and inserts may reuse the input while a walk is stopped), split into components
// here, and each component is looked up under the directory on top of the walk stack:
//   not cached → MISS; unreachable → reclaim, MISS; changed → CHANGED; expired → EXPIRED;
//   then a hit (reference bit, counters) and judge(): negative → NEGATIVE; symlink (not last, a
//   trailing slash, or last with WALK_FOLLOW) → SYMLINK; non-directory (not last, or a trailing
//   slash) → NOTDIR; last → FOUND; else push it (pinned until the next walk) and go on.
// "." and ".." count as components for RES_INDEX; ".." pops the stack (at the root: EINVAL).
// RES_NAME_OFF/LEN are byte offsets in the path buffer; follow() rewrites that buffer.
import {
  NAME_MAX, NO_ENTRY, PATH_MAX, ROOT_ID, T_DIR, T_NONE, T_SYMLINK, WALK_CHANGED, WALK_EINVAL, WALK_ENAMETOOLONG,
  WALK_EXPIRED, WALK_FOLLOW, WALK_FOUND, WALK_MISS, WALK_NEGATIVE, WALK_NOTDIR, WALK_SYMLINK, RES_ID, RES_INDEX,
  RES_LAST, RES_NAME_LEN, RES_NAME_OFF, RES_PARENT, RES_SLOTS, RES_STATUS,
} from './abi';
import { rec, isLive, recordName, F_REFERENCED, NONE, O_DEADLINE, O_FLAGS, O_NAME_LEN, O_PARENT, O_TYPE } from './dentry';
import {
  countChanged, countEviction, countExpired, countHit, countHits, countMiss, countNegativeHit, entryCount,
} from './counters';
import {
  countFrontHit, frontActive, frontFind, frontHash, frontHolds, frontKeepable, frontStamp, frontStore, frontWraps, FRONT_PATH_MAX, O_BITS, O_ID,
  O_INDEX, O_MIN_DEADLINE, O_NAME_LENGTH, O_NAME_OFF, O_PARENT_ID, O_STATUS,
} from './front';
import { countPrintHit, printFind, printPath, printsEnabled, printsLive, printStore } from './fingerprint-table';
import { componentsBefore, hasNul } from './path-bytes';
import { namesEqual } from './names';
import { freeEntry } from './entries';
import { beginEpoch, pin } from './evict';
import { hashKey } from './hash';
import { judgeStamps, linkedToParent, V_CHANGED, V_EXPIRED, V_VALID } from './revalidate';
import { tableFind } from './table';
import { inputAddress, getResult, resultRecord, setEntryResult, setResult } from './transfer';
import { insertKey, lookupKey } from './cache';

// @ts-ignore: decorator
@inline const SLASH: u8 = 0x2f;
// @ts-ignore: decorator
@inline const DOT: u8 = 0x2e;
/** judge(): "pushed, go on". Statuses are >= 0. */
// @ts-ignore: decorator
@inline const GO_ON: i32 = -1;
/** resume() of an id that is not a live entry: the wrapper throws a RangeError. */
// @ts-ignore: decorator
@inline export const NOT_AN_ENTRY: i32 = -1;

// The path being walked: `pathLen` bytes at `path` (capacity `pathCap`).
let path: usize = 0;
let pathCap: usize = 0;
let pathLen: usize = 0;
/** Where the next component's search starts. */
let pos: usize = 0;
/** 0-based index of the next component ("." and ".." included) within the current path. */
let index: i32 = 0;
let opts: i32 = 0;
/** Byte range of the component the walk looked at last (the stopped one). */
let stopStart: usize = 0;
let stopEnd: usize = 0;
// The walk stack: u32 entry ids, root at the bottom, `depth` of them.
let stack: usize = 0;
let stackCap: u32 = 0;
let depth: u32 = 0;
// The front tables: whether this walk's answer may be stored (one walk of the path as given: no
// "." or "..", no symlink followed), whether the exact table (front.ts) takes part and the path's
// hash there, whether the fingerprint table has this path's fingerprint, and the smallest deadline met.
// The JS path memo is told an answer is keepable only while the exact table is active (its rest
// counter runs on every walk), as before the fingerprint table: without that, the scale suite's
// hot-set stat at 1e6 entries measured 1.5–2.7× the 1e4 one (with it 1.1–1.5×, as before).
let storable = false;
let exactActive = false;
let walkHash: u32 = 0;
let printed = false;
let chainDeadline: u32 = 0;
/** A front-table hit left the stack and its pins unbuilt: settleFrontHit() builds them. */
let stackPending = false;

export function initWalk(): void {
  if (!path) {
    pathCap = PATH_MAX + 16;
    path = heap.alloc(pathCap);
    stackCap = 64;
    stack = heap.alloc(<usize>stackCap << 2);
  }
  pathLen = 0;
  pos = 0;
  index = 0;
  opts = 0;
  stopStart = 0;
  stopEnd = 0;
  depth = 1;
  store<u32>(stack, ROOT_ID);
  memory.fill(resultRecord, 0, RES_SLOTS * 4);
  storable = false;
  stackPending = false;
}

export function releaseWalk(): void {
  if (path) heap.free(path);
  if (stack) heap.free(stack);
  path = 0;
  pathCap = 0;
  stack = 0;
  stackCap = 0;
  depth = 0;
}

export function pathAddress(): usize {
  return path;
}

/** Room for `bytes` in the path buffer, keeping what is there. */
function reservePath(bytes: usize): void {
  if (bytes > pathCap) {
    let cap = pathCap << 1;
    if (cap < bytes) cap = bytes;
    path = heap.realloc(path, cap);
    pathCap = cap;
  }
}

// @ts-ignore: decorator
@inline function byteAt(i: usize): u8 {
  return load<u8>(path + i);
}

// @ts-ignore: decorator
@inline function top(): u32 {
  return load<u32>(stack + (<usize>(depth - 1) << 2));
}

function push(id: u32): void {
  if (depth == stackCap) {
    stackCap <<= 1;
    stack = heap.realloc(stack, <usize>stackCap << 2);
  }
  store<u32>(stack + (<usize>depth << 2), id);
  depth++;
}

/** Nothing but slashes after the stopped component. */
function isLast(): bool {
  for (let i = stopEnd; i < pathLen; i++) if (byteAt(i) != SLASH) return false;
  return true;
}

function stop(status: i32, id: i32, parent: i32, at: i32, last: bool, noName: bool): i32 {
  setResult(RES_STATUS, status);
  setResult(RES_ID, id);
  setResult(RES_PARENT, parent);
  setResult(RES_INDEX, at);
  if (noName) {
    setResult(RES_NAME_OFF, 0);
    setResult(RES_NAME_LEN, 0);
  } else {
    setResult(RES_NAME_OFF, <i32>stopStart);
    setResult(RES_NAME_LEN, <i32>(stopEnd - stopStart));
  }
  setEntryResult(id);
  setResult(RES_LAST, last ? 1 : 0);
  return status;
}

// @ts-ignore: decorator
@inline function stopComponent(status: i32, id: i32): i32 {
  return stop(status, id, <i32>top(), index, isLast(), false);
}

/** A whole-path failure: nothing was looked up. */
function stopWhole(status: i32): i32 {
  stopStart = 0;
  stopEnd = 0;
  memory.fill(resultRecord, 0, RES_SLOTS * 4);
  setResult(RES_STATUS, status);
  setResult(RES_ID, NO_ENTRY);
  setResult(RES_PARENT, NO_ENTRY);
  setResult(RES_INDEX, -1);
  return status;
}

/**
 * Start on the path now in the buffer, whose first `limited` bytes must stay under PATH_MAX (it
 * counts the terminating NUL, as the kernel's does), and which has no NUL. WALK_FOUND: go on.
 */
function checkPath(limited: usize): i32 {
  pos = 0;
  index = 0;
  if (limited >= <usize>PATH_MAX) return stopWhole(WALK_ENAMETOOLONG);
  if (hasNul(path, pathLen)) return stopWhole(WALK_EINVAL);
  return WALK_FOUND;
}

/** What a valid entry met at the stopped component means; GO_ON once it is pushed. */
function judge(id: u32): i32 {
  let last = isLast();
  let type = <i32>load<u8>(rec(id), O_TYPE);
  if (type == T_NONE) return stopComponent(WALK_NEGATIVE, <i32>id);
  let trailingSlash = last && stopEnd < pathLen;
  if (type == T_SYMLINK && (!last || trailingSlash || (opts & WALK_FOLLOW) != 0)) return stopComponent(WALK_SYMLINK, <i32>id);
  if (type != T_DIR && (!last || trailingSlash)) return stopComponent(WALK_NOTDIR, <i32>id);
  if (last) return stop(WALK_FOUND, <i32>id, <i32>top(), index, true, false);
  push(id);
  pin(id);
  index++;
  return GO_ON;
}

function run(now: u32): i32 {
  for (;;) {
    let start = pos;
    while (start < pathLen && byteAt(start) == SLASH) start++;
    if (start >= pathLen) {
      // No component left (the path ended in '/', '.' or '..'): the walk ends on the directory
      // on top of the stack, with no name to report.
      stopStart = start;
      stopEnd = start;
      if (depth > 1) {
        let parent = <i32>load<u32>(stack + (<usize>(depth - 2) << 2));
        return stop(WALK_FOUND, <i32>top(), parent, index - 1, true, true);
      }
      return stop(WALK_FOUND, <i32>top(), NO_ENTRY, -1, true, true);
    }
    let end = start;
    while (end < pathLen && byteAt(end) != SLASH) end++;
    stopStart = start;
    stopEnd = end;
    pos = end;
    let len = end - start;
    if (byteAt(start) == DOT) {
      if (len == 1) {
        storable = false;
        index++;
        continue;
      }
      if (len == 2 && byteAt(start + 1) == DOT) {
        storable = false;
        if (depth == 1) return stopComponent(WALK_EINVAL, NO_ENTRY);
        depth--;
        index++;
        continue;
      }
    }
    if (len > <usize>NAME_MAX) return stopComponent(WALK_ENAMETOOLONG, NO_ENTRY);
    let dir = top();
    let name = path + start;
    let id = tableFind(dir, name, <i32>len, hashKey(dir, name, <i32>len));
    if (id == NONE) {
      countMiss();
      return stopComponent(WALK_MISS, NO_ENTRY);
    }
    if (!linkedToParent(id)) {
      // Met an orphan of a freed directory slot: reclaim it now.
      freeEntry(id);
      countEviction();
      countMiss();
      return stopComponent(WALK_MISS, NO_ENTRY);
    }
    let r = rec(id);
    let verdict = judgeStamps(r, now);
    if (verdict == V_CHANGED) {
      countChanged();
      return stopComponent(WALK_CHANGED, <i32>id);
    }
    if (verdict == V_EXPIRED) {
      countExpired();
      return stopComponent(WALK_EXPIRED, <i32>id);
    }
    let flags = <u32>load<u16>(r, O_FLAGS);
    store<u16>(r, <u16>(flags | F_REFERENCED), O_FLAGS);
    noteDeadline(r);
    if (<i32>load<u8>(r, O_TYPE) == T_NONE) countNegativeHit();
    else countHit();
    let status = judge(id);
    if (status != GO_ON) return status;
  }
  return unreachable();
}

/** Walk the `len`-byte path in the input buffer from the root. */
export function walkPath(len: usize, now: u32, options: i32): i32 {
  beginEpoch();
  opts = options;
  frontKeepable(false, 0);
  storable = true;
  printed = false;
  exactActive = len <= FRONT_PATH_MAX && frontActive();
  let input = inputAddress();
  if (printsLive(frontStamp(), frontWraps())) {
    printPath(input, len, options);
    printed = true;
    let id = printFind(frontStamp());
    if (id != NONE) {
      let status = printHit(id, len);
      if (status >= 0) return status;
    }
  }
  if (exactActive && frontHolds()) {
    walkHash = frontHash(input, len);
    let slot = frontFind(input, len, walkHash, options, now);
    if (slot) {
      let nameOff = <usize>load<u16>(slot, O_NAME_OFF);
      return frontHit(
        <i32>load<u8>(slot, O_STATUS), load<i32>(slot, O_ID), load<i32>(slot, O_PARENT_ID), load<i32>(slot, O_INDEX),
        (load<u8>(slot, O_BITS) & 1) != 0, nameOff, nameOff + <usize>load<u16>(slot, O_NAME_LENGTH),
        load<u32>(slot, O_MIN_DEADLINE), len,
      );
    }
  } else walkHash = 0;
  stackPending = false;
  chainDeadline = 0;
  depth = 1;
  store<u32>(stack, ROOT_ID);
  pin(ROOT_ID);
  reservePath(len);
  memory.copy(path, input, len);
  pathLen = len;
  let whole = checkPath(len);
  if (whole != WALK_FOUND) return whole;
  if (len == 0 || byteAt(0) != SLASH) return stopWhole(WALK_EINVAL);
  return keep(run(now));
}

/** A fingerprint-table hit on entry `id`: stop and RES_INDEX read off the path; -1 (walk it) if the
 *  record's name is not the path's last component. */
function printHit(id: u32, len: usize): i32 {
  let input = inputAddress();
  let r = rec(id);
  let nameLen = <usize>load<u8>(r, O_NAME_LEN);
  let end = len;
  while (end > 0 && load<u8>(input + end - 1) == SLASH) end--;
  if (end <= nameLen) return -1;
  let start = end - nameLen;
  if (load<u8>(input + start - 1) != SLASH || !namesEqual(recordName(r), input + start, <i32>nameLen)) return -1;
  let status = <i32>load<u8>(r, O_TYPE) == T_NONE ? WALK_NEGATIVE : WALK_FOUND;
  countPrintHit();
  countFrontHit();
  return frontHit(status, <i32>id, <i32>load<u32>(r, O_PARENT), componentsBefore(input, start), true, start, end, 0, len);
}

// @ts-ignore: decorator
@inline function noteDeadline(r: usize): void {
  let d = load<u32>(r, O_DEADLINE);
  if (d != 0 && (chainDeadline == 0 || d < chainDeadline)) chainDeadline = d;
}

/** A complete walk ended FOUND/NEGATIVE on a named component: keep it in the fingerprint table if
 *  that is the last component with no deadline on the way, else in the exact table. */
function keep(status: i32): i32 {
  if (storable && (status == WALK_FOUND || status == WALK_NEGATIVE) && stopEnd > stopStart) {
    frontKeepable(exactActive, chainDeadline);
    let last = getResult(RES_LAST) != 0;
    if (last && chainDeadline == 0 && printsEnabled()) {
      if (!printed) printPath(path, pathLen, opts);
      printed = true;
      printStore(<u32>getResult(RES_ID), frontStamp(), frontWraps(), entryCount);
    } else if (exactActive) {
      if (walkHash == 0) walkHash = frontHash(path, pathLen);
      frontStore(
        path, pathLen, walkHash, opts, entryCount, status, last, getResult(RES_ID),
        getResult(RES_PARENT), getResult(RES_INDEX), <i32>stopStart, <i32>(stopEnd - stopStart), chainDeadline,
      );
    }
  }
  return status;
}

/**
 * The walk's effects from a front-table answer: the path buffer, the stop, the result record and
 * the counters a component walk would give (every component a hit; reference bits are all still
 * set, or the answer would be stale). The stack and its pins wait for settleFrontHit().
 */
function frontHit(
  status: i32, id: i32, parent: i32, at: i32, last: bool, nameStart: usize, nameEnd: usize, deadline: u32, len: usize,
): i32 {
  reservePath(len);
  memory.copy(path, inputAddress(), len);
  pathLen = len;
  stopStart = nameStart;
  stopEnd = nameEnd;
  pos = stopEnd;
  index = at;
  chainDeadline = deadline;
  if (status == WALK_FOUND) countHits(<u64>(at + 1));
  else {
    countHits(<u64>at);
    countNegativeHit();
  }
  stackPending = true;
  frontKeepable(exactActive, chainDeadline);
  return stop(status, id, parent, at, last, false);
}

/**
 * Build the stack a component walk would have left after the last front-table hit (root ..
 * RES_PARENT, each pinned), before anything uses it or could evict. Parent links are intact:
 * anything that frees an entry settles first.
 */
export function settleFrontHit(): void {
  if (!stackPending) return;
  stackPending = false;
  let n: u32 = 1;
  for (let id = <u32>getResult(RES_PARENT); id != ROOT_ID && isLive(id); id = load<u32>(rec(id), O_PARENT)) n++;
  while (n > stackCap) {
    stackCap <<= 1;
    stack = heap.realloc(stack, <usize>stackCap << 2);
  }
  depth = n;
  let id = <u32>getResult(RES_PARENT);
  for (let k = n; k > 0; k--) {
    store<u32>(stack + (<usize>(k - 1) << 2), id);
    pin(id);
    if (id != ROOT_ID) id = load<u32>(rec(id), O_PARENT);
  }
}

/** Go on after the stopped component, which the caller resolved as entry `id`. */
export function resumeWalk(id: i32, now: u32): i32 {
  if (!isLive(<u32>id)) return NOT_AN_ENTRY;
  settleFrontHit();
  frontKeepable(false, 0);
  let r = rec(<u32>id);
  // The answer may be kept only if a fresh walk would meet this same entry there, valid.
  if (storable) {
    storable = lookupKey(<i32>top(), path + stopStart, <i32>(stopEnd - stopStart)) == id && judgeStamps(r, now) == V_VALID;
  }
  store<u16>(r, <u16>(<u32>load<u16>(r, O_FLAGS) | F_REFERENCED), O_FLAGS);
  noteDeadline(r);
  let status = judge(<u32>id);
  if (status != GO_ON) return keep(status);
  return keep(run(now));
}

/**
 * After SYMLINK: the path becomes the `len`-byte target in the input buffer followed by what
 * came after the stopped component. An absolute target restarts from the root, a relative one
 * goes on from the symlink's directory. Only the target is held to PATH_MAX: the kernel walks a
 * link's body and the rest of the path separately, so an expanded path may be longer.
 */
export function followLink(len: usize, now: u32): i32 {
  settleFrontHit();
  storable = false;
  frontKeepable(false, 0);
  let rest = pathLen - stopEnd;
  reservePath(len + rest);
  memory.copy(path + len, path + stopEnd, rest);
  memory.copy(path, inputAddress(), len);
  pathLen = len + rest;
  let whole = checkPath(len);
  if (whole != WALK_FOUND) return whole;
  if (len == 0) return stopWhole(WALK_EINVAL);
  if (byteAt(0) == SLASH) depth = 1;
  return run(now);
}

/** Insert the stopped component under RES_PARENT (see insertKey). */
export function insertStopped(type: i32, flags: i32, layer: i32, lowest: i32, handle: i32, deadline: u32): i32 {
  settleFrontHit();
  return insertKey(getResult(RES_PARENT), path + stopStart, <i32>(stopEnd - stopStart), type, flags, layer, lowest, handle, deadline);
}

export function stoppedNameAddress(): usize {
  return path + stopStart;
}

export function stoppedNameLength(): i32 {
  return <i32>(stopEnd - stopStart);
}
