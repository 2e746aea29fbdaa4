// Overlay operations as data: what the workload generator produces, how an operation prints
// (a line of JavaScript that replays it), and how it runs against an overlay (the engine or the
// model) with its result normalised into a comparable outcome.

/** One call on the Overlay API: `ov[method](...args)`. */
export interface Op {
  method: OpMethod;
  args: unknown[];
}

export type OpMethod =
  | 'stat' | 'lstat' | 'exists' | 'readdir' | 'readFile' | 'readlink' | 'realpath'
  | 'writeFile' | 'appendFile' | 'mkdir' | 'rmdir' | 'unlink' | 'rm' | 'rename' | 'symlink' | 'link'
  | 'truncate' | 'chmod' | 'utimes';

export const READ_METHODS: ReadonlySet<OpMethod> = new Set(['stat', 'lstat', 'exists', 'readdir', 'readFile', 'readlink', 'realpath']);

/** Anything answering the Overlay API by name (the engine's Overlay, or ModelOverlay). */
export type OverlayLike = object;

/** A stat answer with everything an overlay decides: type, mode, size, links, owner, times, ino. */
export interface StatValue {
  type: string;
  mode: number;
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; syscall?: string; message: string };

export function printOp(op: Op): string {
  return `ov.${op.method}(${op.args.map(printArg).join(', ')})`;
}

function printArg(a: unknown): string {
  if (typeof a === 'number' && Number.isInteger(a) && a >= 0 && a <= 0o7777 && a > 9) return `0o${a.toString(8)}`;
  if (a === undefined) return 'undefined';
  return JSON.stringify(a);
}

/** Run one operation and normalise what it returned or threw. */
export function runOp(ov: OverlayLike, op: Op): Outcome {
  const fn = (ov as Record<string, unknown>)[op.method];
  if (typeof fn !== 'function') return { ok: false, code: 'NO_SUCH_METHOD', message: `${op.method} is not a function` };
  try {
    const value = (fn as (...a: unknown[]) => unknown).apply(ov, op.args);
    return { ok: true, value: normaliseValue(op, value) };
  } catch (err) {
    return errorOutcome(err);
  }
}

export function errorOutcome(err: unknown): Outcome {
  if (err instanceof TypeError && typeof (err as { syscall?: unknown }).syscall !== 'string') {
    return { ok: false, code: 'TypeError', message: err.message };
  }
  const e = err as { code?: unknown; syscall?: unknown; message?: unknown };
  return {
    ok: false,
    code: typeof e?.code === 'string' ? e.code : `uncoded ${(err as Error)?.name ?? typeof err}`,
    syscall: typeof e?.syscall === 'string' ? e.syscall : undefined,
    message: String(e?.message ?? err),
  };
}

function normaliseValue(op: Op, value: unknown): unknown {
  switch (op.method) {
    case 'stat':
    case 'lstat':
      return value === undefined ? undefined : statValue(value);
    case 'readdir':
      if (!Array.isArray(value)) return { notAnArray: String(value) };
      if (value.length > 0 && typeof value[0] === 'object') {
        return value
          .map((d: { name: string } & DirentLike) => `${d.name}:${direntType(d)}`)
          .sort();
      }
      return [...value].map(String).sort();
    case 'readFile':
      return Buffer.isBuffer(value) ? `hex:${value.toString('hex')}` : value instanceof Uint8Array ? `hex:${Buffer.from(value).toString('hex')}` : value;
    default:
      return value;
  }
}

export function statValue(s: unknown): StatValue {
  const st = s as Record<string, unknown> & { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  return {
    type,
    mode: st.mode as number,
    size: st.size as number,
    nlink: st.nlink as number,
    uid: st.uid as number,
    gid: st.gid as number,
    atimeMs: st.atimeMs as number,
    mtimeMs: st.mtimeMs as number,
    ctimeMs: st.ctimeMs as number,
    ino: st.ino as number,
  };
}

interface DirentLike { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }

function direntType(d: DirentLike): string {
  return d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
}
