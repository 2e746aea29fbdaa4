// The boundary's fixed places: the input buffer JS writes strings into (UTF-8), the result
// record every walk fills (RES_SLOTS i32), and the counter record (C_SLOTS f64, in counters.ts).
// The input buffer only moves when JS asks for more room (reserveInput), so JS can cache its address.
import {
  NO_ENTRY, RES_FLAGS, RES_HANDLE, RES_LAYER, RES_LOWEST, RES_SLOTS, RES_TYPE,
} from './abi';
import { isLive, rec, O_FLAGS, O_HANDLE, O_LAYER, O_LOWEST, O_TYPE } from './dentry';

/** Room for any path of up to PATH_MAX UTF-16 units at 3 UTF-8 bytes each, and some. */
// @ts-ignore: decorator
@inline const INPUT_MIN: usize = 16384;

export const resultRecord: usize = memory.data(RES_SLOTS * 4, 4);

let input: usize = 0;
let inputCap: usize = 0;

export function initInput(): void {
  if (!input) {
    input = heap.alloc(INPUT_MIN);
    inputCap = INPUT_MIN;
  }
}

export function releaseInput(): void {
  if (input) heap.free(input);
  input = 0;
  inputCap = 0;
}

// @ts-ignore: decorator
@inline export function inputAddress(): usize {
  return input;
}

export function inputCapacity(): usize {
  return inputCap;
}

/** At least `bytes` of input room; the old contents are not kept. Returns the (new) address. */
export function reserveInput(bytes: usize): usize {
  if (bytes > inputCap) {
    heap.free(input);
    input = heap.alloc(bytes);
    inputCap = bytes;
  }
  return input;
}

// @ts-ignore: decorator
@inline export function setResult(slot: i32, value: i32): void {
  store<i32>(resultRecord + (<usize>slot << 2), value);
}

// @ts-ignore: decorator
@inline export function getResult(slot: i32): i32 {
  return load<i32>(resultRecord + (<usize>slot << 2));
}


/** The result's entry fields: entry `id`'s, or zeros if it is not a live entry. */
export function setEntryResult(id: i32): void {
  if (id != NO_ENTRY && isLive(<u32>id)) {
    let r = rec(<u32>id);
    setResult(RES_TYPE, <i32>load<u8>(r, O_TYPE));
    setResult(RES_FLAGS, <i32>load<u16>(r, O_FLAGS) & 0xff);
    setResult(RES_LAYER, <i32>load<u8>(r, O_LAYER));
    setResult(RES_LOWEST, <i32>load<u8>(r, O_LOWEST));
    setResult(RES_HANDLE, load<i32>(r, O_HANDLE));
  } else {
    setResult(RES_TYPE, 0);
    setResult(RES_FLAGS, 0);
    setResult(RES_LAYER, 0);
    setResult(RES_LOWEST, 0);
    setResult(RES_HANDLE, 0);
  }
}
