// Strata's native helper (native/strata_native.c), shipped prebuilt for the platform the package
// was packed on and built by node-gyp at install where that one does not load: the Linux calls a
// host-directory layer needs that node:fs lacks (file handles, a filesystem's UUID, an inotify
// queue it can read synchronously). Optional by design: when it did not build, or
// STRATA_NATIVE=off asks for the portable paths (tests use it), `native()` is null and callers
// take their node:fs route or refuse with ENOTSUP.
import { createRequire } from 'node:module';
import { constants as os } from 'node:os';
import { fsError, type StrataError } from '../../errors.js';

export interface NativeHelper {
  /** name_to_handle_at(fd, "", AT_EMPTY_PATH): u32 LE handle type + handle bytes, or -errno. */
  fileHandle(fd: number): Buffer | number;
  /** FS_IOC_GETFSUUID of the descriptor's filesystem: its UUID bytes, or -errno. */
  fsUuid(fd: number): Buffer | number;

  // ---- DirLayer's hot paths (host/vouched-stats.ts, host/file-content.ts): one call per hit ----
  /**
   * lstat(2) of `path` (final symlink not followed) into `out` (≥ 14 slots, node:fs's order:
   * dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks, atimeMs, mtimeMs, ctimeMs,
   * birthtimeMs, converted as node:fs converts them); 0, or -errno. Allocates nothing.
   */
  lstatInto(path: string, out: Float64Array): number;
  /**
   * The whole content of the regular file at `path` if it is the object (dev, ino, birthtimeMs),
   * opened O_NOFOLLOW|O_NONBLOCK (a FIFO or device is never read): read into `scratch` when it is
   * smaller than scratch.length (the byte count, ≥ 0), else a Buffer of its own; or -errno:
   * -ESTALE another object, -EINVAL not a regular file, -ENODATA st_size 0 (size unknown: read
   * it portably).
   */
  readFileIf(path: string, dev: number, ino: number, birthtimeMs: number, scratch?: Uint8Array): Buffer | number;
  /**
   * Reads the regular file at `layerPath` under the directory `rootFd` (openat2 RESOLVE_BENEATH |
   * RESOLVE_NO_SYMLINKS, one read of up to into.length bytes) into `into`: the bytes read, or
   * -errno (-EAGAIN: not a regular file any more).
   */
  readFileBeneath(rootFd: number, layerPath: string, into: Uint8Array): number;

  // ---- One-step replaces (host/rename-at2.ts) ----
  /** renameat2(fromDirFd, from, toDirFd, to, flags) of two single names, flags RENAME_EXCHANGE or RENAME_WHITEOUT: 0, or -errno. */
  renameAt2?(fromDirFd: number, from: string, toDirFd: number, to: string, flags: number): number;
  /** mknodat(dirFd, name, mode, rdev) of a FIFO, socket or device, with exactly mode's permission bits: 0, or -errno. */
  mknodAt?(dirFd: number, name: string, mode: number, rdev: number): number;
  /** flock(fd, LOCK_EX | LOCK_NB): 0, or -errno (-EWOULDBLOCK: held through another open). */
  flockExclusive?(fd: number): number;

  // ---- The watch queue (host/watch-queue.ts): one inotify instance per environment ----
  /** Make (once) the queue, calling `onReadable` from the event loop while events wait: its fd, or -errno. */
  watchQueueOpen(onReadable: () => void): number;
  /** inotify_add_watch of the directory at `path`: the watch descriptor, or -errno. */
  watchQueueAdd(path: string): number;
  /** inotify_rm_watch: 0 or -errno. */
  watchQueueRemove(wd: number): number;
  /** Read the queued events into `buffer`: the byte count, or -errno (-EAGAIN: none). */
  watchQueueRead(buffer: Buffer): number;
  /**
   * Where the queue's readiness shows in shared memory (an io_uring poll on it): Uint32 indices
   * into `memory` of the ring's flags and its completion head and tail; -errno without one.
   */
  watchQueueRing?(): { memory: ArrayBuffer; flags: number; head: number; tail: number } | number;
  /** After the queue was read empty: poll it for the next event unless a poll stands; 0 or -errno. */
  watchQueueArm?(): number;
}

// dist/bindings/layers/host/native.js → <package>/: the helper built here (the install builds it
// where the shipped one does not load), then the one shipped prebuilt (native/prebuild.cjs).
const ADDONS = [
  '../../../../native/build/Release/strata_native.node',
  `../../../../prebuilds/${process.platform}-${process.arch}/strata_native.node`,
];

let loaded: NativeHelper | null | undefined;
let loadError: string | undefined;

/** The helper, or null when it is not built or switched off. */
export function native(): NativeHelper | null {
  if (loaded !== undefined) return loaded;
  if (process.env.STRATA_NATIVE === 'off') {
    loadError = 'switched off by STRATA_NATIVE=off';
    return (loaded = null);
  }
  const require = createRequire(import.meta.url);
  for (const addon of ADDONS) {
    try {
      loaded = require(addon) as NativeHelper;
      loadError = undefined;
      return loaded;
    } catch (err) {
      // The first failure says most (the local build missing is the common case).
      loadError ??= (err as Error).message.split('\n')[0];
    }
  }
  return (loaded = null);
}

/** Why native() is null (for error messages), or undefined when it loaded. */
export function nativeUnavailableReason(): string | undefined {
  native();
  return loadError;
}

/** The buffer a helper call returned, or the Node-style error its negative errno stands for. */
export function nativeResult(result: Buffer | number, syscall: string, path: string): Buffer {
  if (typeof result !== 'number') return result;
  throw nativeError(-result, syscall, path);
}

/** The Node-style error for `errno` (a helper's negative result, negated). */
export function nativeError(errno: number, syscall: string, path: string): StrataError {
  const code = Object.keys(os.errno).find((name) => (os.errno as Record<string, number>)[name] === errno);
  return fsError(code ?? 'EIO', syscall, path) as StrataError;
}
