// Comparing two overlays' answers to the same operation. Values must be equal, errors must agree
// on code and syscall, and inode numbers must agree on *identity*: the numbers each side hands out
// may differ, but the same object must carry the same number on each side for the whole run
// (across copy-up, rename and link), and different objects different numbers. That is a
// bijection between the two sides' numbers, built up as answers arrive.
import { isDeepStrictEqual } from 'node:util';
import type { Outcome, StatValue } from './model/ops.js';

export class InoMatcher {
  private readonly aToB = new Map<number, number>();
  private readonly bToA = new Map<number, number>();

  /** Record that `a` (side A's number) and `b` name the same object; false if that contradicts. */
  match(a: number, b: number): boolean {
    const knownB = this.aToB.get(a);
    const knownA = this.bToA.get(b);
    if (knownB === undefined && knownA === undefined) {
      this.aToB.set(a, b);
      this.bToA.set(b, a);
      return true;
    }
    return knownB === b && knownA === a;
  }

  /** What side B's number for side A's `a` is, if known (for messages). */
  counterpart(a: number): number | undefined {
    return this.aToB.get(a);
  }
}

/** A description of how `b` differs from `a`, or undefined when they agree. */
export function compareOutcomes(a: Outcome, b: Outcome, inos: InoMatcher): string | undefined {
  if (a.ok !== b.ok) return `one side succeeded, the other failed:\n  A: ${show(a)}\n  B: ${show(b)}`;
  if (!a.ok && !b.ok) {
    if (a.code !== b.code || a.syscall !== b.syscall) return `different errors:\n  A: ${show(a)}\n  B: ${show(b)}`;
    return undefined;
  }
  const va = (a as { value: unknown }).value;
  const vb = (b as { value: unknown }).value;
  if (isStat(va) && isStat(vb)) {
    const { ino: inoA, ...restA } = va;
    const { ino: inoB, ...restB } = vb;
    if (!isDeepStrictEqual(restA, restB)) return `different stat:\n  A: ${JSON.stringify(va)}\n  B: ${JSON.stringify(vb)}`;
    if (!inos.match(inoA, inoB)) {
      return `inode identity differs: A's ino ${inoA} was B's ${inos.counterpart(inoA)} before, B now says ${inoB}`;
    }
    return undefined;
  }
  if (!isDeepStrictEqual(va, vb)) return `different values:\n  A: ${JSON.stringify(va)}\n  B: ${JSON.stringify(vb)}`;
  return undefined;
}

function isStat(v: unknown): v is StatValue {
  return typeof v === 'object' && v !== null && 'ino' in v && 'nlink' in v;
}

export function show(o: Outcome): string {
  if (o.ok) return `ok ${JSON.stringify(o.value)}`;
  return `${o.code}${o.syscall ? ` (${o.syscall})` : ''}: ${o.message}`;
}
