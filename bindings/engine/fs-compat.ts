// node:fs's compound operations — rm -r and mkdir -p — written once, on top of the single-step
// operations, for every overlay that has them: the Overlay, and the reference model, which must
// answer them the same way.
import { hasCode, fsError, type StrataError } from '../errors.js';

interface TypeOf {
  isDirectory(): boolean;
}

/** What rm needs of an overlay. */
export interface RemovableFs {
  lstat(path: string, options: { throwIfNoEntry: boolean }): TypeOf | undefined;
  unlink(path: string): void;
  rmdir(path: string): void;
  readdir(path: string): unknown;
}

/**
 * node:fs rmSync as Node 20 does it: unless both `force` and `recursive` are set, lstat first
 * (ENOENT ignored with `force`) and refuse a directory without `recursive`; then remove
 * rimraf-style: unlink a non-directory, rmdir a directory — if it is not empty, its entries
 * first, then rmdir again. Errors carry the syscall that failed (lstat, unlink, rmdir).
 */
export function rm(fs: RemovableFs, path: string, options?: { recursive?: boolean; force?: boolean }): void {
  const force = options?.force === true;
  const recursive = options?.recursive === true;
  if (!(force && recursive)) {
    const st = fs.lstat(path, { throwIfNoEntry: !force });
    if (st === undefined) return;
    if (st.isDirectory() && !recursive) throw rmIsDirectory(path);
  }
  rimraf(fs, path);
}

/** The SystemError node:fs rmSync throws for a directory without `recursive` (same fields). */
function rmIsDirectory(path: string): StrataError {
  const err = fsError('ERR_FS_EISDIR', 'rm', path);
  err.message = `Path is a directory: rm returned EISDIR (is a directory) ${path}`;
  err.errno = 21;
  (err as StrataError & { info: object }).info = { code: 'EISDIR', message: 'is a directory', path, syscall: 'rm', errno: 21 };
  return err;
}

/** One entry of the removal (lstat errors other than ENOENT ignored, as Node's are). */
function rimraf(fs: RemovableFs, path: string): void {
  let isDir = false;
  try {
    isDir = fs.lstat(path, { throwIfNoEntry: true })!.isDirectory();
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return;
  }
  try {
    if (isDir) rmdirTree(fs, path, undefined);
    else fs.unlink(path);
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return;
    if (!hasCode(err, 'EISDIR')) throw err;
    rmdirTree(fs, path, err as StrataError);
  }
}

/** rmdir; when not empty, its entries first, then rmdir again. */
function rmdirTree(fs: RemovableFs, path: string, original: StrataError | undefined): void {
  try {
    fs.rmdir(path);
    return;
  } catch (err) {
    if (hasCode(err, 'ENOENT')) return;
    if (hasCode(err, 'ENOTDIR')) throw original ?? err;
    if (!hasCode(err, 'ENOTEMPTY') && !hasCode(err, 'EEXIST') && !hasCode(err, 'EPERM')) throw err;
  }
  for (const child of fs.readdir(path) as string[]) rimraf(fs, `${path}/${child}`);
  try {
    fs.rmdir(path);
  } catch (err) {
    if (!hasCode(err, 'ENOENT')) throw err;
  }
}

/** What mkdir -p needs: one mkdir whose errors name the whole path, and stat. */
export interface MkdirFs {
  mkdirOne(path: string, wholePath: string): void;
  stat(path: string): TypeOf;
}

/**
 * mkdir -p on the path string, as Node's MKDirpSync does it: try the whole path; on ENOENT try
 * its dirname first (cut at the last '/'), then come back. An existing name is fine if stat()
 * says directory; otherwise EEXIST for the path itself, ENOTDIR on the way, or stat()'s own
 * error (ENOENT for a dangling symlink). Returns the first directory created. One deliberate
 * difference: Node turns EROFS into the stat() error (ENOENT); here EROFS is kept.
 */
export function mkdirp(fs: MkdirFs, path: string): string | undefined {
  const fail = (code: string) => fsError(code, 'mkdir', path);
  const pending = [path];
  let first: string | undefined;
  while (pending.length > 0) {
    const next = pending.pop()!;
    let code: string;
    try {
      fs.mkdirOne(next, path);
      first ??= next;
      continue;
    } catch (err) {
      code = String((err as StrataError).code);
    }
    if (code === 'ENOTDIR' || code === 'EROFS' || code === 'EPERM' || code === 'ENOSPC') throw fail(code);
    if (code === 'ENOENT') {
      const dirname = next.slice(0, next.lastIndexOf('/'));
      if (dirname !== next && dirname !== '') {
        pending.push(next, dirname);
        continue;
      }
      throw fail('ENOENT');
    }
    let isDir: boolean;
    try {
      isDir = fs.stat(next).isDirectory();
    } catch (err) {
      throw fail(String((err as StrataError).code));
    }
    if (!isDir) throw fail(code === 'EEXIST' && pending.length > 0 ? 'ENOTDIR' : 'EEXIST');
  }
  return first;
}
