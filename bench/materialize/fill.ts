// File contents for the data set: only sizes matter to the benchmarks, so every file is a prefix
// of one shared, seeded buffer (no per-file allocation while generating).
import { createRng } from '../../bindings/verify/prng.js';

let fill: Buffer | undefined;

export function fileData(size: number): Buffer {
  if (fill === undefined || fill.length < size) {
    const rng = createRng(0xf111);
    const len = Math.max(size, 64 * 1024);
    fill = Buffer.alloc(len);
    for (let i = 0; i < len; i++) fill[i] = 32 + rng.int(95);
  }
  return fill.subarray(0, size);
}
