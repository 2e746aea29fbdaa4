// Spec helpers: put AssemblyScript strings into the cache's input buffer (UTF-8, no managed
// allocation) and drive the exports the way the TypeScript wrapper does.
import { init, inputAddress, insert, lookup, lookupPath, release, reserveInput, walk, resultAddress, follow, stoppedNameAddress, stoppedNameLength } from '../index';

/** Write `s` as UTF-8 into the input buffer; returns its byte length. */
export function put(s: string): i32 {
  let need = String.UTF8.byteLength(s);
  let at = reserveInput(<usize>need);
  return <i32>String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at);
}

export function freshCache(entries: f64 = 1048576.0, bytes: f64 = 268435456.0): void {
  init(entries, bytes);
}

/** Give the cache's blocks back and collect managed garbage, so as-pect's per-test RTrace delta
 *  (shown by `asp --verbose` when not 0) counts only blocks the cache leaked. */
export function dropCache(): void {
  release();
  __collect();
}

export function walkStr(path: string, now: u32 = 1, opts: i32 = 0): i32 {
  return walk(<usize>put(path), now, opts);
}

export function followStr(target: string, now: u32 = 1): i32 {
  return follow(<usize>put(target), now);
}

export function insertStr(parent: i32, name: string, type: i32, deadline: u32 = 0): i32 {
  return insert(parent, put(name), type, 0, 0, 0, 0, deadline);
}

export function lookupStr(parent: i32, name: string): i32 {
  return lookup(parent, put(name));
}

export function lookupPathStr(path: string): i32 {
  return lookupPath(<usize>put(path));
}

/** RES_* slot of the last walk. */
export function res(slot: i32): i32 {
  return load<i32>(resultAddress() + (<usize>slot << 2));
}

/** True if the stopped component's bytes equal `name`'s UTF-8. */
export function stoppedIs(name: string): bool {
  let len = String.UTF8.byteLength(name);
  if (stoppedNameLength() != len) return false;
  let at = inputAddress();
  put(name);
  return memory.compare(stoppedNameAddress(), at, <usize>len) == 0;
}

/** Write "<prefix><i>" (i >= 0, decimal) into the input buffer without a managed string. */
export function putNumbered(prefix: string, i: i32): i32 {
  let len = put(prefix);
  let at = inputAddress() + <usize>len;
  let digits = 1;
  for (let t = i; t >= 10; t /= 10) digits++;
  for (let d = digits - 1, t = i; d >= 0; d--, t /= 10) store<u8>(at + <usize>d, <u8>(0x30 + t % 10));
  return len + digits;
}
