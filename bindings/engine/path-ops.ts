// Path steps of Overlay methods, on the engine's walks: stat (with the retry of a read whose layer
// object died under it), the checks of a create-a-name operation, open(O_CREAT) for
// writeFile/appendFile, truncate. Errors are worded for the calling operation.
import { T_DIR, T_FILE } from '../abi.js';
import { fsError, hasCode } from '../errors.js';
import { isName, resizeBytes } from './args.js';
import type { Engine } from './engine.js';
import type { DataEdit } from './inode.js';
import type { Stats } from './stats.js';
import type { Walked } from './walked.js';

const EMPTY = new Uint8Array(0);

/**
 * stat/lstat of `path`; with `orUndefined` (throwIfNoEntry: false) a missing path is undefined.
 * A layer object replaced under the call is walked to again (Engine.retryRead), inline: no
 * closure on the hottest call.
 */
export function statPath(engine: Engine, path: string, follow: boolean, syscall: string, orUndefined: boolean): Stats | undefined {
  for (let attempt = 0; ; attempt++) {
    try {
      return orUndefined ? statOrUndefined(engine, path, follow, syscall) : engine.inode.stat(engine.existing(path, follow, syscall));
    } catch (err) {
      engine.retryRead(err, attempt, syscall, path);
    }
  }
}

function statOrUndefined(engine: Engine, path: string, follow: boolean, syscall: string): Stats | undefined {
  let w;
  try {
    w = engine.lookup(path, follow, syscall);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return undefined;
    throw err;
  }
  // The negative answer costs no allocation at all.
  return w.found ? engine.inode.stat(w) : undefined;
}

/** EROFS unless the overlay has a writable upper. */
export function requireUpper(engine: Engine, syscall: string, path: string, dest?: string): void {
  if (engine.upper === undefined) throw fsError('EROFS', syscall, path, dest);
}

/**
 * The checks of every create-a-name operation (symlink, mknod, mkdir): the parent walked, a real
 * name that does not exist yet, no trailing slash, a writable overlay. The name's negative view.
 */
export function freeName(engine: Engine, path: string, syscall: string, ePath: string, eDest?: string, trailingSlashOk = false): Walked {
  const sp = engine.parentOf(path, syscall, ePath, eDest);
  if (!isName(sp.last)) throw fsError('EEXIST', syscall, ePath, eDest);
  const w = engine.lookupLast(sp, syscall, ePath, eDest);
  if (w.found) throw fsError('EEXIST', syscall, ePath, eDest);
  if (sp.trailingSlash && !trailingSlashOk) throw fsError('ENOENT', syscall, ePath, eDest);
  requireUpper(engine, syscall, ePath, eDest);
  return w;
}

/** writeFile/appendFile: open(O_CREAT) semantics, through symlinks (a dangling one creates). */
export function writeContent(engine: Engine, path: string, mode: number, edit: DataEdit): void {
  const sp = engine.parentOf(path, 'open');
  if (sp.trailingSlash || !isName(sp.last)) throw fsError('EISDIR', 'open', path);
  const w = engine.lookup(path, true, 'open');
  if (!w.found) {
    if (!w.last) throw fsError('ENOENT', 'open', path);
    requireUpper(engine, 'open', path);
    engine.namespace.create(w.parent, w.name, { type: 'file', mode, data: edit.whole(() => EMPTY) });
    return;
  }
  if (w.type === T_DIR) throw fsError('EISDIR', 'open', path);
  requireUpper(engine, 'open', path);
  if (w.type !== T_FILE) throw fsError('EINVAL', 'write');
  engine.inode.setContent(w, edit);
}

/** truncate of a file (symlinks followed) to `size`, in place where the upper file already is. */
export function truncatePath(engine: Engine, path: string, size: number): void {
  const w = engine.existing(path, true, 'open');
  if (w.type === T_DIR) throw fsError('EISDIR', 'open', path);
  requireUpper(engine, 'open', path);
  try {
    engine.inode.setContent(w, {
      inPlace: (upper, h) => upper.truncate(h, size),
      whole: (old) => size === 0 ? EMPTY : resizeBytes(old(), size, path),
    });
  } catch (err) {
    // A layer that cannot allocate the length: the kernel's "file too large" too.
    if (err instanceof RangeError && !('code' in err)) throw fsError('EFBIG', 'ftruncate', path);
    throw err;
  }
}
