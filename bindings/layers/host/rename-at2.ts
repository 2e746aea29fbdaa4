// One-step replaces in a host layer: renameat2(2) through the native helper, as the kernel's
// overlayfs makes them. rename(2) cannot put a directory where a non-directory is (or the
// reverse), nor leave a whiteout behind, so without these each is two host steps with a moment
// between them where a reader of the layer directory sees the name missing (and a kill there
// leaves the first step done: engine/intent.ts rolls such a change forward at the next open).
import { constants } from 'node:os';
import { displayPath } from './host-paths.js';
import { native, nativeError } from './native.js';

const { EINVAL, ENOSYS, EOPNOTSUPP, EPERM } = constants.errno;

/** Swap the two names. */
export const RENAME_EXCHANGE = 2;
/** Move, leaving a whiteout (a 0/0 character device) at the old name; needs CAP_MKNOD. */
export const RENAME_WHITEOUT = 4;

/**
 * Which renameat2 flags a layer's host takes. A flag the host refuses once (no helper, a kernel
 * or filesystem without it, a seccomp filter, no CAP_MKNOD for whiteouts) is not asked again:
 * callers then take their two-step path.
 */
export class RenameAt2 {
  private refused = native()?.renameAt2 === undefined ? RENAME_EXCHANGE | RENAME_WHITEOUT : 0;

  /** Whether `flag` may work here (false: take the two-step path without trying). */
  offers(flag: number): boolean {
    return (this.refused & flag) === 0;
  }

  /**
   * renameat2(fromDirFd, from, toDirFd, to, flag): true when done, false when the host refuses
   * the flag (nothing changed). Any other failure is thrown as `syscall`'s error on `layerPath`.
   */
  run(fromDirFd: number, from: string, toDirFd: number, to: string, flag: number, syscall: string, layerPath: string): boolean {
    if (!this.offers(flag)) return false;
    const result = native()!.renameAt2!(fromDirFd, from, toDirFd, to, flag);
    if (result === 0) return true;
    const errno = -result;
    if (errno === ENOSYS || errno === EINVAL || errno === EOPNOTSUPP || errno === EPERM) {
      this.refused |= flag;
      return false;
    }
    throw nativeError(errno, syscall, displayPath(layerPath));
  }
}
