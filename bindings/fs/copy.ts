// copyFile, cp and mkdtemp, composed from Overlay calls. copyFile reads the source whole and
// writes the destination whole (one Overlay write, so a reader never sees half a copy); cp walks
// a tree doing the same per file. Neither clones: COPYFILE_FICLONE is a hint and is ignored,
// COPYFILE_FICLONE_FORCE is ENOTSUP, as on a file system without reflinks.
import { constants, type CopyOptions } from 'node:fs';
import { fsError, hasCode } from '../errors.js';
import type { Overlay } from '../overlay.js';
import { invalidArgType, outOfRange } from './arg-errors.js';
import type { ChangeReport } from './open-file.js';
import { pathString, type PathArgs } from './path-args.js';

const { COPYFILE_EXCL, COPYFILE_FICLONE_FORCE } = constants;
const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** node:fs's cp errors are SystemErrors: `code`, `syscall`, `path`, a "returned E…" message. */
function cpError(code: string, errno: string, why: string, path: string): Error {
  const err = new Error(`${code === 'ERR_FS_EISDIR' ? 'Path is a directory' : 'Invalid src or dest'}: cp returned ${errno} (${why}) ${path}`) as Error & Record<string, unknown>;
  Object.assign(err, { code, syscall: 'cp', path, errno: -22 });
  return err;
}

function relabelled(err: unknown, syscall: string, src: string, dest: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.code.startsWith('E') && typeof e.syscall === 'string') return fsError(e.code, syscall, src, dest);
  return err;
}

export function copyOps(ov: Overlay, paths: PathArgs, report: ChangeReport) {
  function copyFileSync(a: unknown, b: unknown, mode: unknown = 0): void {
    const [src, dest] = paths.pair(a, b, 'copyfile', ['src', 'dest']);
    if (typeof mode !== 'number' || !Number.isInteger(mode)) throw invalidArgType('mode', 'of type number', mode);
    if (mode < 0 || mode > 7) throw outOfRange('mode', '>= 0 && <= 7', mode);
    try {
      const st = ov.stat(src);
      if (st.isDirectory()) throw fsError('EISDIR', 'copyfile', src, dest);
      if ((mode & COPYFILE_FICLONE_FORCE) !== 0) throw fsError('ENOTSUP', 'copyfile', src, dest);
      const there = ov.stat(dest, { throwIfNoEntry: false });
      if (there !== undefined && (mode & COPYFILE_EXCL) !== 0) throw fsError('EEXIST', 'copyfile', src, dest);
      if (there?.isDirectory()) throw fsError('EISDIR', 'copyfile', src, dest);
      ov.writeFile(dest, ov.readFile(src), { mode: st.mode & 0o7777 });
      report(dest, there === undefined ? 'rename' : 'change');
    } catch (err) {
      throw relabelled(err, 'copyfile', src, dest);
    }
  }

  /** The checks cp makes before copying anything; returns the walk to drive. */
  function cpStart(a: unknown, b: unknown, options?: CopyOptions): Generator<[string, string], void, unknown> {
    const src = paths.path(pathString(a, 'src'), 'cp', 'src');
    const dest = paths.path(pathString(b, 'dest'), 'cp', 'dest');
    const o = options ?? {};
    if (typeof o !== 'object') throw invalidArgType('options', 'of type object', o);
    if (o.filter !== undefined && typeof o.filter !== 'function') throw invalidArgType('options.filter', 'of type function', o.filter);
    const st = o.dereference === true ? ov.stat(src) : ov.lstat(src);
    if (st.isDirectory() && o.recursive !== true) throw cpError('ERR_FS_EISDIR', 'EISDIR', `${src} is a directory (not copied)`, src);
    if (src === dest) throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', 'src and dest cannot be the same', src);
    if (st.isDirectory() && (dest + '/').startsWith(src.replace(/\/+$/, '') + '/')) {
      throw cpError('ERR_FS_CP_EINVAL', 'EINVAL', `cannot copy ${src} to a subdirectory of self ${dest}`, src);
    }
    return copyEntry(src, dest, o);
  }

  function cpSync(a: unknown, b: unknown, options?: CopyOptions): void {
    const filter = options?.filter as ((s: string, d: string) => unknown) | undefined;
    const walk = cpStart(a, b, options);
    for (let step = walk.next(); !step.done; step = walk.next(filter === undefined ? true : filter(...step.value))) { /* driven */ }
  }

  /** The promise form: the same walk, awaiting a filter that returns a promise. */
  async function cp(a: unknown, b: unknown, options?: CopyOptions): Promise<void> {
    const filter = options?.filter as ((s: string, d: string) => unknown) | undefined;
    const walk = cpStart(a, b, options);
    for (let step = walk.next(); !step.done; step = walk.next(filter === undefined ? true : await filter(...step.value))) { /* driven */ }
  }

  // A generator so that one walk serves both forms: it yields [src, dest] to ask the filter.
  function* copyEntry(src: string, dest: string, o: CopyOptions): Generator<[string, string], void, unknown> {
    if (o.filter !== undefined && !(yield [src, dest])) return;
    const st = o.dereference === true ? ov.stat(src) : ov.lstat(src);
    const there = ov.lstat(dest, { throwIfNoEntry: false });
    if (st.isDirectory()) {
      if (there === undefined) {
        ov.mkdir(dest, { mode: st.mode & 0o7777 });
        report(dest, 'rename');
      } else if (!there.isDirectory()) {
        throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'EISDIR', `cannot overwrite non-directory ${dest} with directory ${src}`, dest);
      }
      for (const name of ov.readdir(src)) yield* copyEntry(`${src}/${name}`, `${dest}/${name}`, o);
      return;
    }
    if (there !== undefined) {
      if (there.isDirectory()) throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'EISDIR', `cannot overwrite directory ${dest} with non-directory ${src}`, dest);
      if (o.errorOnExist === true && o.force === false) throw cpError('ERR_FS_CP_EEXIST', 'EEXIST', `${dest} already exists`, dest);
      if (o.force === false) return;
      ov.unlink(dest);
    }
    if (st.isSymbolicLink()) ov.symlink(ov.readlink(src), dest);
    else if (st.isFile()) ov.writeFile(dest, ov.readFile(src), { mode: st.mode & 0o7777 });
    else throw cpError('ERR_FS_CP_UNKNOWN', 'EINVAL', `cannot copy an unknown file type ${src}`, src);
    if (o.preserveTimestamps === true && !st.isSymbolicLink()) ov.utimes(dest, new Date(st.atimeMs), new Date(st.mtimeMs));
    report(dest, there === undefined ? 'rename' : 'change');
  }

  /** mkdtemp: the prefix plus six random characters, created exclusively (retried on EEXIST). */
  function mkdtempSync(prefix: unknown, _options?: unknown): string {
    const p = pathString(prefix, 'prefix');
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 6; i++) suffix += TEMP_CHARS[Math.floor(Math.random() * TEMP_CHARS.length)];
      const dir = paths.path(p + suffix, 'mkdtemp');
      try {
        ov.mkdir(dir, { mode: 0o700 });
        report(dir, 'rename');
        return dir;
      } catch (err) {
        if (hasCode(err, 'EEXIST')) continue;
        const e = err as NodeJS.ErrnoException;
        if (typeof e.code === 'string' && e.code.startsWith('E')) throw fsError(e.code, 'mkdtemp', paths.path(`${p}XXXXXX`, 'mkdtemp'));
        throw err;
      }
    }
  }

  return { copyFileSync, cpSync, cp, mkdtempSync };
}
