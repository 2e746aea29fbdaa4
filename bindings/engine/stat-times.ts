// The time getters of a Stats-like prototype, as node:fs of the running Node has them (from 22:
// enumerable getters on the prototype, not constructor work): each builds its value on first read
// and keeps it as an own property, so a second read is the same object, and assigning one keeps
// the assigned value. Node 22 keeps it hidden from Object.keys (non-enumerable); from 24, as here
// on 20 too (where node:fs's Dates are own properties from the start), Object.keys, spread and
// util.inspect show what was read. From Node 26 there is also a Temporal.Instant getter per time
// (atimeInstant …); without Temporal (e.g. --no-harmony-temporal) reading one throws
// ERR_NO_TEMPORAL, as node:fs does.
import { NODE_FS } from '../fs/node-version.js';

/** The four times of a Stats, each with its `…Ms` (and in BigIntStats `…Ns`) field. */
export const TIMES = ['atime', 'mtime', 'ctime', 'birthtime'] as const;
export type Time = (typeof TIMES)[number];

/** What a Temporal.Instant offers that callers of `*Instant` use; lib.d.ts has no Temporal yet. */
export interface Instant {
  readonly epochNanoseconds: bigint;
  readonly epochMilliseconds: number;
  toString(): string;
}

interface TemporalGlobal {
  Instant: new (epochNanoseconds: bigint) => Instant;
}

/** Nanoseconds of a millisecond time, its fraction kept to the nanosecond. */
export function nsOfMs(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

/** node:fs's Date of a millisecond time: rounded to the millisecond (a Date would truncate). */
export function dateOfMs(ms: number | bigint): Date {
  return new Date(Math.round(Number(ms)));
}

/** Node 22 keeps a Date read or assigned as a writable property only (not enumerable, not configurable). */
const KEPT_HIDDEN = NODE_FS.statsDates === 'getters-kept-hidden';

/** Keep `value` as `obj`'s own `key`: as node:fs's setOwnProperty does, or hidden as Node 22 does. */
function keepOwn<T>(obj: object, key: string, value: T, hidden: boolean): T {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: !hidden, configurable: !hidden });
  return value;
}

function noTemporal(): Error {
  const err = new Error('Temporal is not supported in this environment') as Error & { code: string };
  err.code = 'ERR_NO_TEMPORAL';
  return err;
}

/** The Instant of `ns` nanoseconds, read from the global Temporal at each call (as node:fs does). */
function instantOf(ns: bigint): Instant {
  const temporal = (globalThis as { Temporal?: TemporalGlobal }).Temporal;
  if (temporal === undefined) throw noTemporal();
  return new temporal.Instant(ns);
}

/** How a prototype's objects give one time, as a Date and as nanoseconds since the epoch. */
export interface TimeSource<T> {
  date(time: Time): (obj: T) => Date;
  ns(time: Time): (obj: T) => bigint;
}

function defineKeptGetter<T>(proto: object, key: string, build: (obj: T) => unknown, hidden: boolean): void {
  Object.defineProperty(proto, key, {
    get(this: T & object) { return keepOwn(this, key, build(this), hidden); },
    set(this: object, value: unknown) { keepOwn(this, key, value, hidden); },
    enumerable: true,
    configurable: true,
  });
}

/**
 * Put the Date getters (`atime` …) on `proto` unless `dates` is false (the class builds them
 * itself), and from Node 26 the Instant getters (`atimeInstant` …). Run once per class, at module
 * load.
 */
export function defineTimeGetters<T>(proto: object, source: TimeSource<T>, dates = true): void {
  if (dates) for (const time of TIMES) defineKeptGetter(proto, time, source.date(time), KEPT_HIDDEN);
  if (!NODE_FS.statsInstants) return;
  for (const time of TIMES) {
    const ns = source.ns(time);
    defineKeptGetter<T>(proto, `${time}Instant`, (obj) => instantOf(ns(obj)), false);
  }
}
