// The boundary's fixed places: the input buffer JS writes strings into (UTF-8), the result
// record every walk fills (RES_SLOTS i32), and the counter record (C_SLOTS f64, in counters.ts).
// The input buffer only moves when JS asks for more room (reserveInput), so JS can cache its address.
import { RES_SLOTS } from './abi';

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

