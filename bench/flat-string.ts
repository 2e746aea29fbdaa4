// Flat copies of generated strings. A string built by repeated `+=` is a V8 cons-string (a tree
// of pieces): every fresh path made from it walks that tree again when it is hashed or encoded,
// which made every implementation 2–4× slower than the same call with a caller's path. Callers
// hand us paths made in one step from flat parts (path.join, a resolver's `dir + '/' + name`), so
// the workloads keep flat parts and build each call's string fresh from them.
import { Buffer } from 'node:buffer';

/** A sequential (flat) copy of `s`: the UTF-8 round trip builds a new string in one piece. */
export function flatCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
