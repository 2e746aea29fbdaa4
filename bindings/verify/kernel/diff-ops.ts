// Operations of the kernel differential: generated from a seed, printed as a line of JavaScript
// that replays them on an overlay, and run on either side — node:fs on the kernel mount, or the
// Overlay API on Strata — with the answer normalised so the two can be compared.
import * as fs from 'node:fs';
import type { Rng } from '../prng.js';
import { NAMES, MAX_DEPTH, PLAYGROUND, randomLinkTarget } from './lower-trees.js';

export type Method =
  | 'stat' | 'lstat' | 'readdir' | 'readFile' | 'readlink' | 'realpath'
  | 'writeFile' | 'appendFile' | 'truncate' | 'chmod' | 'utimes'
  | 'mkdir' | 'rmdir' | 'unlink' | 'rename' | 'link' | 'symlink';

export interface Op {
  method: Method;
  args: (string | number)[];
}

export const READS: ReadonlySet<Method> = new Set(['stat', 'lstat', 'readdir', 'readFile', 'readlink', 'realpath']);

/** Operations that may remove an object at args[i]: its inode number may be reused afterwards. */
export function victims(op: Op): string[] {
  switch (op.method) {
    case 'unlink': case 'rmdir': return [op.args[0] as string];
    case 'rename': return [op.args[1] as string];
    default: return [];
  }
}

/** Paths whose state an operation changes (checked on both sides right after it). */
export function touched(op: Op): string[] {
  if (READS.has(op.method)) return [];
  switch (op.method) {
    case 'rename': case 'link': return [op.args[0] as string, op.args[1] as string];
    case 'symlink': return [op.args[1] as string];
    default: return [op.args[0] as string];
  }
}

export function printOp(op: Op): string {
  const arg = (a: string | number) => (typeof a === 'number' && op.method === 'chmod' ? `0o${a.toString(8)}` : JSON.stringify(a));
  return `ov.${op.method}(${op.args.map(arg).join(', ')})`;
}

/** Where operations aim: the paths of the lower trees plus every path created since. */
export class PathPool {
  private readonly paths: string[];
  private readonly known: Set<string>;

  constructor(initial: string[]) {
    this.paths = initial.filter((p) => p.startsWith(PLAYGROUND + '/'));
    this.known = new Set(this.paths);
  }

  add(p: string): void {
    if (!this.known.has(p)) {
      this.known.add(p);
      this.paths.push(p);
    }
  }

  /** Mostly a known path; sometimes a fresh name in a known directory, or a made-up path. */
  pick(rng: Rng): string {
    const r = rng.next();
    if (r < 0.7 && this.paths.length > 0) return rng.pick(this.paths);
    if (r < 0.9 && this.paths.length > 0) {
      const base = rng.pick(this.paths);
      return depthOf(base) < MAX_DEPTH ? `${base}/${rng.pick(NAMES)}` : base;
    }
    const depth = 1 + rng.int(MAX_DEPTH);
    return PLAYGROUND + '/' + Array.from({ length: depth }, () => rng.pick(NAMES)).join('/');
  }

  /** A sibling of `p` (same directory) half of the time, else any path: renames and links. */
  partner(rng: Rng, p: string): string {
    if (rng.chance(0.5)) return `${p.slice(0, p.lastIndexOf('/'))}/${rng.pick(NAMES)}`;
    return this.pick(rng);
  }
}

/** Components below the playground: '/p/q/a/b' → 2. */
function depthOf(p: string): number {
  return p.slice(PLAYGROUND.length).split('/').length - 1;
}

const WEIGHTS: [Method, number][] = [
  ['stat', 8], ['lstat', 8], ['readdir', 10], ['readFile', 6], ['readlink', 3], ['realpath', 3],
  ['writeFile', 8], ['appendFile', 5], ['truncate', 3], ['chmod', 4], ['utimes', 2],
  ['mkdir', 7], ['rmdir', 6], ['unlink', 8], ['rename', 10], ['link', 4], ['symlink', 4],
];
const TOTAL = WEIGHTS.reduce((n, [, w]) => n + w, 0);

export function randomOp(rng: Rng, pool: PathPool, index: number): Op {
  let r = rng.int(TOTAL);
  let method: Method = 'stat';
  for (const [m, w] of WEIGHTS) {
    if (r < w) { method = m; break; }
    r -= w;
  }
  const p = pool.pick(rng);
  switch (method) {
    case 'writeFile': case 'appendFile': return { method, args: [p, `w${index}\n`] };
    case 'truncate': return { method, args: [p, rng.int(4)] };
    case 'chmod': return { method, args: [p, rng.pick([0o600, 0o644, 0o755, 0o700])] };
    case 'utimes': return { method, args: [p, 1_500_000_000 + index] };
    case 'rename': case 'link': return { method, args: [p, pool.partner(rng, p)] };
    case 'symlink':
      return { method, args: [randomLinkTarget(rng, Math.max(0, depthOf(p) - 1), p.slice(p.lastIndexOf('/') + 1)), p] };
    default: return { method, args: [p] };
  }
}

/** A normalised answer. Values are plain JSON; a stat's `ino` is compared by identity, apart. */
export type Outcome = { ok: true; value: unknown; ino?: number } | { ok: false; code: string };

export interface StatAnswer {
  type: string;
  mode: number;
  size: number | null;
  nlink: number;
  uid: number;
  gid: number;
}

interface StatLike {
  mode: number; size: number; nlink: number; uid: number; gid: number; ino: number;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
}

interface DirentLike {
  name: string;
  isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean;
}

function typeOf(x: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): string {
  return x.isFile() ? 'file' : x.isDirectory() ? 'dir' : x.isSymbolicLink() ? 'symlink' : 'other';
}

export function statOutcome(st: StatLike): Outcome {
  const type = typeOf(st);
  // Directory sizes are the host filesystem's business (ext4 blocks vs an engine's constant).
  const value: StatAnswer = { type, mode: st.mode, size: type === 'dir' ? null : st.size, nlink: st.nlink, uid: st.uid, gid: st.gid };
  return { ok: true, value, ino: st.ino };
}

function direntsOutcome(list: DirentLike[]): Outcome {
  return { ok: true, value: list.map((d) => `${d.name}:${typeOf(d)}`).sort() };
}

export function errorOutcome(err: unknown): Outcome {
  const code = (err as { code?: unknown })?.code;
  return { ok: false, code: typeof code === 'string' ? code : `uncoded: ${String((err as Error)?.message ?? err)}` };
}

/**
 * Known kernel behaviour Strata does not copy (docs/kernel-differences.md), counted when filtered:
 * - listedWhiteouts: a directory that exists in one lower layer only is listed straight from that
 *   layer, so a whiteout in it shows in readdir (as a char device) though lookup says ENOENT.
 */
export const kernelQuirks = { listedWhiteouts: 0 };

/** The kernel's listing of `dir` without whiteouts it leaks (see kernelQuirks). */
export function kernelReaddir(mnt: string, dir: string): fs.Dirent[] {
  return fs.readdirSync(mnt + dir, { withFileTypes: true }).filter((d) => {
    if (!d.isCharacterDevice()) return true;
    const visible = fs.lstatSync(`${mnt}${dir === '/' ? '' : dir}/${d.name}`, { throwIfNoEntry: false }) !== undefined;
    if (!visible) kernelQuirks.listedWhiteouts++;
    return visible;
  });
}

/** Run `op` with node:fs on the kernel mount at `mnt`. */
export function runOnKernel(mnt: string, op: Op): Outcome {
  const at = (i: number) => mnt + (op.args[i] as string);
  try {
    switch (op.method) {
      case 'stat': return statOutcome(fs.statSync(at(0)));
      case 'lstat': return statOutcome(fs.lstatSync(at(0)));
      case 'readdir': return direntsOutcome(kernelReaddir(mnt, op.args[0] as string));
      case 'readFile': return { ok: true, value: fs.readFileSync(at(0), 'utf8') };
      case 'readlink': return { ok: true, value: fs.readlinkSync(at(0)) };
      case 'realpath': {
        const real = fs.realpathSync.native(at(0));
        return { ok: true, value: real === mnt ? '/' : real.startsWith(mnt + '/') ? real.slice(mnt.length) : `outside: ${real}` };
      }
      case 'writeFile': fs.writeFileSync(at(0), op.args[1] as string); break;
      case 'appendFile': fs.appendFileSync(at(0), op.args[1] as string); break;
      case 'truncate': fs.truncateSync(at(0), op.args[1] as number); break;
      case 'chmod': fs.chmodSync(at(0), op.args[1] as number); break;
      case 'utimes': fs.utimesSync(at(0), op.args[1] as number, op.args[1] as number); break;
      case 'mkdir': fs.mkdirSync(at(0)); break;
      case 'rmdir': fs.rmdirSync(at(0)); break;
      case 'unlink': fs.unlinkSync(at(0)); break;
      case 'rename': fs.renameSync(at(0), at(1)); break;
      case 'link': fs.linkSync(at(0), at(1)); break;
      case 'symlink': fs.symlinkSync(op.args[0] as string, at(1)); break;
    }
    return { ok: true, value: null };
  } catch (err) {
    return errorOutcome(err);
  }
}

/** The part of the Overlay API the differential drives (the engine's Overlay, or the model). */
export interface OverlayUnderTest {
  stat(p: string): StatLike | undefined;
  lstat(p: string): StatLike | undefined;
  readdir(p: string, options: { withFileTypes: true }): DirentLike[] | string[];
  readFile(p: string, encoding: 'utf8'): string | Uint8Array;
  readlink(p: string): string;
  realpath(p: string): string;
  writeFile(p: string, data: string): void;
  appendFile(p: string, data: string): void;
  truncate(p: string, len?: number): void;
  chmod(p: string, mode: number): void;
  utimes(p: string, atime: number, mtime: number): void;
  mkdir(p: string): unknown;
  rmdir(p: string): void;
  unlink(p: string): void;
  rename(from: string, to: string): void;
  link(existing: string, p: string): void;
  symlink(target: string, p: string): void;
}

/** Run `op` through the Overlay API. */
export function runOnStrata(ov: OverlayUnderTest, op: Op): Outcome {
  const a = (i: number) => op.args[i] as string;
  try {
    switch (op.method) {
      case 'stat': return statOutcome(ov.stat(a(0))!);
      case 'lstat': return statOutcome(ov.lstat(a(0))!);
      case 'readdir': return direntsOutcome(ov.readdir(a(0), { withFileTypes: true }) as DirentLike[]);
      case 'readFile': {
        const data = ov.readFile(a(0), 'utf8');
        return { ok: true, value: typeof data === 'string' ? data : new TextDecoder().decode(data) };
      }
      case 'readlink': return { ok: true, value: ov.readlink(a(0)) };
      case 'realpath': return { ok: true, value: ov.realpath(a(0)) };
      case 'writeFile': ov.writeFile(a(0), a(1)); break;
      case 'appendFile': ov.appendFile(a(0), a(1)); break;
      case 'truncate': ov.truncate(a(0), op.args[1] as number); break;
      case 'chmod': ov.chmod(a(0), op.args[1] as number); break;
      case 'utimes': ov.utimes(a(0), op.args[1] as number, op.args[1] as number); break;
      case 'mkdir': ov.mkdir(a(0)); break;
      case 'rmdir': ov.rmdir(a(0)); break;
      case 'unlink': ov.unlink(a(0)); break;
      case 'rename': ov.rename(a(0), a(1)); break;
      case 'link': ov.link(a(0), a(1)); break;
      case 'symlink': ov.symlink(a(0), a(1)); break;
    }
    return { ok: true, value: null };
  } catch (err) {
    return errorOutcome(err);
  }
}

export function showOutcome(o: Outcome): string {
  if (!o.ok) return o.code;
  return `ok ${JSON.stringify(o.value)}${o.ino === undefined ? '' : ` ino=${o.ino}`}`;
}
