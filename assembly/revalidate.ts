// Revalidation of a cached entry met by a walk: a few integer compares, in the contract's order.
// Reachability is per link: an entry whose parent slot has a new incarnation is unreachable, and
// so (transitively) is everything below it, found as each level is reclaimed.
import { rec, isLive, F_CHANGED, F_EXPIRED, NONE, O_DEADLINE, O_FLAGS, O_INC, O_PARENT, O_PARENT_INC } from './dentry';

// @ts-ignore: decorator
@inline export const V_VALID: i32 = 0;
// @ts-ignore: decorator
@inline export const V_CHANGED: i32 = 1;
// @ts-ignore: decorator
@inline export const V_EXPIRED: i32 = 2;

/** True if live entry `id` still hangs under the incarnation of its parent slot it was put in. */
// @ts-ignore: decorator
@inline export function linkedToParent(id: u32): bool {
  let r = rec(id);
  return load<u32>(r, O_PARENT_INC) == load<u32>(rec(load<u32>(r, O_PARENT)), O_INC);
}

/** Changed beats expired; a deadline of 0 never passes; times are unsigned milliseconds. */
// @ts-ignore: decorator
@inline export function judgeStamps(r: usize, now: u32): i32 {
  let flags = <u32>load<u16>(r, O_FLAGS);
  if (flags & F_CHANGED) return V_CHANGED;
  let deadline = load<u32>(r, O_DEADLINE);
  if ((flags & F_EXPIRED) || (deadline != 0 && now >= deadline)) return V_EXPIRED;
  return V_VALID;
}

/** True while `id` is live and every link up to the root is intact. */
export function reachable(id: u32): bool {
  for (;;) {
    if (id == 0) return true;
    if (!isLive(id)) return false;
    let parent = load<u32>(rec(id), O_PARENT);
    if (parent == NONE || !isLive(parent) || !linkedToParent(id)) return false;
    id = parent;
  }
  return unreachable();
}
