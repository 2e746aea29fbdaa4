// Special files on the host. Node has no mknod(2): the native helper makes them (mknodat under the
// directory's descriptor). Without it, this rare operation runs the system `mknod` — by absolute
// path, never through $PATH (npm puts node_modules/.bin first), checked once: a regular file owned
// by root and writable by nobody else, as is the directory holding it. The target directory is
// passed as the child's fd 3 (`/proc/self/fd/3/<name>` in the child): no path is re-resolved.
// Whiteouts are then made by hard-linking one 0/0 device kept in the work directory (as the
// kernel shares one whiteout inode), so there is one mknod per layer (without the helper, a
// process spawn), not one per unlink.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import * as path from 'node:path';
import { fsError } from '../../errors.js';
import { explainedError, hostCode } from './host-errors.js';
import { procPath } from './host-paths.js';
import { native, nativeError } from './native.js';

/** Where the system mknod may be; the first trustworthy one is used. */
export const MKNOD_CANDIDATES = ['/usr/bin/mknod', '/bin/mknod'];

/** Root-owned and writable by root alone: nobody else can have replaced it. */
function trustworthy(p: string): boolean {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.uid !== 0 || (st.mode & 0o022) !== 0) return false;
  const dir = fs.statSync(path.dirname(p), { throwIfNoEntry: false });
  return dir !== undefined && dir.uid === 0 && (dir.mode & 0o022) === 0;
}

let mknodPath: string | undefined | null = null;

/** The absolute path of a trustworthy system mknod, or undefined (checked once per process). */
export function systemMknod(candidates = MKNOD_CANDIDATES): string | undefined {
  if (mknodPath === null) mknodPath = candidates.find((p) => path.isAbsolute(p) && trustworthy(p));
  return mknodPath;
}

/**
 * Make the FIFO, socket or device of `mode` (type and permission bits) and `rdev` at `name` in the
 * directory held by `dirFd`; throws a Node-style error naming `displayPath`.
 */
export function mknodAt(dirFd: number, name: string, mode: number, rdev: number, displayPath: string): void {
  const helper = native();
  if (helper?.mknodAt !== undefined) {
    const result = helper.mknodAt(dirFd, name, mode, rdev);
    if (result === 0) return;
    if (-result === os.errno.EPERM) throw mknodRefused(displayPath);
    throw nativeError(-result, 'mknod', displayPath);
  }
  const args = mknodArgs(mode, rdev);
  if (args === undefined) throw explainedError('ENOTSUP', 'mknod', displayPath, 'a socket is made only by the native helper');
  runMknod(dirFd, name, args, displayPath);
}

function mknodRefused(displayPath: string): Error {
  return explainedError('EPERM', 'mknod', displayPath,
    "creating this device needs CAP_MKNOD (root); whiteouts (0/0) need Linux >= 5.8 or root — " +
    "or open the layer with { whiteouts: 'oci' } to write .wh.<name> files instead");
}

/** Run `mknod <fd3>/<name> <args…>` for the directory held by `dirFd`; throws a Node-style error. */
function runMknod(dirFd: number, name: string, args: string[], displayPath: string): void {
  const mknod = systemMknod();
  if (mknod === undefined) {
    throw explainedError('ENOTSUP', 'mknod', displayPath,
      `no trustworthy system mknod (root-owned, not writable by others) at ${MKNOD_CANDIDATES.join(' or ')}`);
  }
  // A fixed, minimal environment: nothing from ours (PATH, LD_PRELOAD…) reaches the child; C locale
  // so its error messages can be read below.
  const result = spawnSync(mknod, [`/proc/self/fd/3/${name}`, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', dirFd],
    encoding: 'utf8',
    env: { LC_ALL: 'C' },
  });
  if (result.error !== undefined) {
    throw explainedError('ENOTSUP', 'mknod', displayPath, `cannot run ${mknod}: ${result.error.message}`);
  }
  if (result.status === 0) return;
  const stderr = result.stderr.trim();
  if (/operation not permitted/i.test(stderr)) throw mknodRefused(displayPath);
  if (/file exists/i.test(stderr)) throw fsError('EEXIST', 'mknod', displayPath);
  if (/no such file/i.test(stderr)) throw fsError('ENOENT', 'mknod', displayPath);
  throw explainedError('EIO', 'mknod', displayPath, `mknod failed: ${stderr}`);
}

/** mknod arguments for a fifo or device of the given st_mode/rdev; undefined for a socket. */
function mknodArgs(mode: number, rdev: number): string[] | undefined {
  const kind = mode & fs.constants.S_IFMT;
  // Linux dev_t encoding, as glibc's major()/minor().
  const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
  const perm = ['-m', (mode & 0o7777).toString(8)];
  if (kind === fs.constants.S_IFIFO) return [...perm, 'p'];
  if (kind === fs.constants.S_IFCHR) return [...perm, 'c', String(major), String(minor)];
  if (kind === fs.constants.S_IFBLK) return [...perm, 'b', String(major), String(minor)];
  return undefined;
}

const TEMPLATE = 'strata-whiteout';
/** ext4 caps an inode at 65000 links; start a new template well before. */
const MAX_LINKS = 60000;

/** Makes kernel whiteouts (char device 0/0) by linking a template kept in the work directory. */
export class WhiteoutMaker {
  private templateReady = false;

  constructor(private readonly workFd: number, private readonly newTempName: () => string) {}

  /** Create a whiteout at `name` in `dirFd`; the name must not exist. */
  make(dirFd: number, name: string, displayPath: string): void {
    this.ensureTemplate(displayPath);
    try {
      fs.linkSync(procPath(this.workFd, TEMPLATE), procPath(dirFd, name));
    } catch (err) {
      if (hostCode(err) !== 'EMLINK') throw err;
      this.replaceTemplate(displayPath);
      fs.linkSync(procPath(this.workFd, TEMPLATE), procPath(dirFd, name));
    }
  }

  private ensureTemplate(displayPath: string): void {
    if (this.templateReady) {
      return;
    }
    const st = fs.lstatSync(procPath(this.workFd, TEMPLATE), { throwIfNoEntry: false });
    if (st === undefined || !st.isCharacterDevice() || st.rdev !== 0 || st.nlink >= MAX_LINKS) {
      this.replaceTemplate(displayPath);
    }
    this.templateReady = true;
  }

  /** Build a fresh 0/0 device under a temporary name, then rename it over the template. */
  private replaceTemplate(displayPath: string): void {
    const temp = this.newTempName();
    mknodAt(this.workFd, temp, fs.constants.S_IFCHR, 0, displayPath);
    fs.renameSync(procPath(this.workFd, temp), procPath(this.workFd, TEMPLATE));
  }
}
