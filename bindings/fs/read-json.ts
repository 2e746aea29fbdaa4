// readJson/readJsonSync: enhanced-resolve's optional fs methods. A resolver reads the same
// package.json for every request under it; parsing it once per content version (checked by a
// stat, which the overlay's cache answers) is what CachedInputFileSystem gives it over node:fs,
// without its staleness.
import { PathTable } from '../cache/path-table.js';
import type { Stats } from '../engine/stats.js';
import { fsError } from '../errors.js';
import type { PathLike } from './path-args.js';

/** The calls it is built on: the adapter's own sync forms. */
export interface JsonSource {
  /** stat; undefined for a missing path (node:fs's throwIfNoEntry: false). */
  statOrUndefined(p: PathLike): Stats | undefined;
  readFileSync(p: PathLike): Buffer;
  /** Writes made through the adapter so far (a write can leave size and times as they were). */
  writes(): number;
  /** The error of a missing file (createFs lightErrors: a light one). */
  missing(path: string): Error;
}

/**
 * Parsed description files kept, by path: a PathTable (cache/path-table.ts), not a Map, because
 * a resolver's path is a fresh string each time and a Map.get hashes all of it (≈ 150 ns, as long
 * as the stat in front of it). Bounded: past this a newcomer takes a slot not asked for lately.
 */
const SLOTS = 4096;
/**
 * A file changed this recently (ms) may change again with the same size and times: file
 * timestamps come from a coarse clock (the kernel's tick, a layer's Date.now()). Such a file is
 * parsed on every call until its last change is older than this, as git treats "racy" entries.
 */
const RACY_MS = 20;

interface Parsed {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  writes: number;
  value: unknown;
}

export function readJsonOps(src: JsonSource): {
  readJsonSync(p: PathLike): unknown;
  readJson(p: PathLike, cb: (err: Error | null, value?: unknown) => void): void;
  /** How many parsed files are kept (at most SLOTS). */
  kept(): number;
} {
  const parsed = new PathTable<Parsed>(SLOTS);

  function readJsonSync(p: PathLike): unknown {
    let st: Stats | undefined;
    try {
      // A missing file (≈ 2 per resolver request) is asked without an error: the one a reader
      // expects is readFile's (syscall 'open', as node:fs gives it), and each error costs ≈ 0.4 µs.
      st = src.statOrUndefined(p);
    } catch (err) {
      // A non-directory on the way: answered from stat's error, without a second walk.
      const code = (err as { code?: unknown }).code;
      const ePath = (err as { path?: unknown }).path;
      if (code === 'ENOTDIR' && typeof ePath === 'string') throw fsError(code, 'open', ePath);
      return JSON.parse(src.readFileSync(p).toString('utf8'));
    }
    if (st === undefined) {
      if (typeof p === 'string') throw src.missing(p);
      return JSON.parse(src.readFileSync(p).toString('utf8'));
    }
    const writes = src.writes();
    const known = typeof p === 'string' ? parsed.get(p) : undefined;
    if (known !== undefined && known.writes === writes && known.dev === st.dev && known.ino === st.ino
      && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs) {
      return known.value;
    }
    // A syntax error carries no `code`: enhanced-resolve reports it instead of skipping the file.
    const value: unknown = JSON.parse(src.readFileSync(p).toString('utf8'));
    if (typeof p !== 'string') return value;
    if (st.ctimeMs < Date.now() - RACY_MS) {
      const e = parsed.slot(p, () => ({ dev: 0, ino: 0, size: 0, mtimeMs: 0, ctimeMs: 0, writes: -1, value: undefined }));
      if (e !== undefined) {
        e.dev = st.dev; e.ino = st.ino; e.size = st.size; e.mtimeMs = st.mtimeMs; e.ctimeMs = st.ctimeMs; e.writes = writes; e.value = value;
      }
    } else if (known !== undefined) {
      known.writes = -1; // racy: its kept value must not answer again
    }
    return value;
  }

  function readJson(p: PathLike, cb: (err: Error | null, value?: unknown) => void): void {
    let value: unknown;
    try {
      value = readJsonSync(p);
    } catch (err) {
      process.nextTick(cb, err as Error);
      return;
    }
    process.nextTick(cb, null, value);
  }

  return { readJsonSync, readJson, kept: () => parsed.size };
}
