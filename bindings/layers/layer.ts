// The one interface every layer (MemoryLayer, DirLayer, …) implements for the overlay and the
// reference model. Handle-based: the overlay caches a layer's handle for each object it resolved,
// so a lookup inside a cached directory never re-walks the layer's path.
//
// - A handle is a positive i32 naming one object (file, directory, symlink, other) in this layer
//   for as long as the object exists. Hard links share one handle. When an object is deleted its
//   handle goes dead (`alive(h)` false) and is never reused for another object while the layer
//   lives, so a cached handle can be compared for identity.
// - Every method taking a name takes one path component (no '/', not '.'/'..', not empty).
// - Whiteouts and opaque marks are reported in overlay terms, whatever the on-disk encoding
//   (char device 0/0 and trusted.overlay.* xattrs for DirLayer, `.wh.` files for OCI layers).
// - Errors are thrown as Node-style errors (bindings/errors.ts) with the layer-relative path.

export type Handle = number;

// st_mode file-type bits (as in <sys/stat.h>), shared by every layer and the engine.
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFSOCK = 0o140000;

/** lookup() answer for a name that is neither present nor a whiteout. */
export const ABSENT = 0;
/** lookup() answer for a whiteout. */
export const WHITEOUT = -1;

export type NodeType = 'file' | 'dir' | 'symlink' | 'other';

export interface NodeStat {
  type: NodeType;
  /** Full st_mode (type bits included). */
  mode: number;
  size: number;
  nlink: number;
  uid: number;
  gid: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  /** The layer's own inode number for the object (stable while it exists). */
  ino: number;
  /** Device number for T_OTHER devices (rdev), else 0. */
  rdev: number;
}

/** A change made to a layer itself, underneath the overlays using it. */
export interface LayerChange {
  /** Layer-relative path of the directory whose entry `name` changed. */
  dir: string;
  /** The changed name; '' when the directory itself changed (opaque/redirect/removed tree). */
  name: string;
  /**
   * 'expire' means: nothing is known to have changed, but the layer no longer vouches for it —
   * with name '', for the directory and everything below it.
   */
  kind: 'create' | 'remove' | 'replace' | 'rename' | 'whiteout' | 'opaque' | 'redirect' | 'data' | 'meta' | 'expire';
}

export type LayerListener = (change: LayerChange) => void;

/** Changes a layer can report on demand (Layer.changeSource). */
export interface ChangeSource {
  /** Notify, now, every change made before this call that was not reported yet. */
  deliver(): void;
}

/** listEntries(): parallel arrays, one element per listed name. */
export interface ListedEntries {
  names: string[];
  handles: Handle[];
  /** S_IFMT bits of each handle's mode (0 for a whiteout). */
  modes: number[];
}

/** What createNode() builds, complete, before it becomes visible (copy-up is atomic per object). */
export interface NodeSpec {
  type: NodeType;
  mode: number;
  uid?: number;
  gid?: number;
  atimeMs?: number;
  mtimeMs?: number;
  /** File data (type 'file'). */
  data?: Uint8Array;
  /** Symlink target (type 'symlink'). */
  target?: string;
  rdev?: number;
  xattrs?: Record<string, Uint8Array>;
  opaque?: boolean;
  /**
   * Redirect origin (absolute overlay path) of a directory, for redirect_dir — or of a metacopy
   * file: where its data is below (the kernel writes one when it renames a metacopy file).
   */
  redirect?: string;
  /** Metacopy: a file whose data still lives in a lower (data is not copied). */
  metacopy?: boolean;
}

/**
 * An open file object of a layer (Layer.open): it keeps reaching the same object after its
 * names are renamed or unlinked, as a host descriptor does. Writes change the data in place and
 * notify a 'data' change at each name the object still has; a write clears a metacopy mark.
 */
export interface LayerFile {
  /** Read into `buffer` from byte `position`; the number of bytes read (0 at or past the end). */
  read(buffer: Uint8Array, position: number): number;
  /** Write `data` at byte `position`, in place (a hole before it reads as zeros). */
  write(data: Uint8Array, position: number): void;
  /** Append `data`, in place: killed midway, the file holds its old data plus a prefix of `data`. */
  append(data: Uint8Array): void;
  /** Cut the data to `len` bytes, or extend it with zeros, in place. */
  truncate(len: number): void;
  stat(): NodeStat;
  /** Release the object (a host descriptor); further calls fail with EBADF. */
  close(): void;
}

export interface Layer {
  /** Human-readable name for errors and reports. */
  readonly name: string;
  readonly writable: boolean;
  /** Milliseconds a cached answer from this layer stays trustworthy; 0 = until notified. */
  readonly ttlMs: number;

  root(): Handle;
  /** A handle (> 0), ABSENT or WHITEOUT. A name is looked up only in a directory handle. */
  lookup(dir: Handle, name: string): Handle;
  /** Names in a directory, whiteouts included (lookup() tells which is which), any order. */
  list(dir: Handle): string[];
  stat(h: Handle): NodeStat;
  /**
   * Optional: the layer's own stat record of `h` without a copy, undefined when `h` is dead
   * (exactly when alive(h) is false), for the overlay's cached stat(). Read it at once, never
   * change it: it is the layer's and changes with the object. Layers without one give stat().
   */
  peekStat?(h: Handle): Readonly<NodeStat> | undefined;
  alive(h: Handle): boolean;
  /**
   * Optional: true when `h`'s stat record changes only with a change notice this layer sends
   * synchronously, and it has no TTL: the overlay may keep a stat answer until any notice, with no
   * liveness check per call (engine/stat-memo.ts). Without it, every cached stat asks the layer.
   */
  vouches?(h: Handle): boolean;
  /**
   * Optional: where this layer's changes underneath wait until reported. An overlay calls its
   * deliver() at the start of every operation, so that a change made before the operation began
   * is notified (synchronously) before anything is answered from a cache. Layers may share one.
   */
  readonly changeSource?: ChangeSource;
  /**
   * Optional: list() and lookup() of every listed name in one pass (a host directory is checked
   * once, not once per name), with each handle's S_IFMT type bits; handles may be WHITEOUT.
   */
  listEntries?(dir: Handle): ListedEntries;
  isOpaque(dir: Handle): boolean;
  /** Redirect origin (absolute overlay path) of a directory or a metacopy file, or undefined. */
  redirect(dir: Handle): string | undefined;
  isMetacopy(h: Handle): boolean;
  read(h: Handle): Uint8Array;
  readlink(h: Handle): string;
  xattrs(h: Handle): Record<string, Uint8Array>;

  /** Subscribe to changes made underneath; returns the unsubscribe function. */
  subscribe(listener: LayerListener): () => void;

  // Writes (upper only; a read-only layer throws EROFS). The overlay drives these; a direct
  // change to a layer goes through the layer's own path-based methods. Both notify every
  // subscriber, synchronously, once the write is complete: a write through this interface sends
  // the LayerChange the matching path method would (data/meta at a name of the object, opaque/
  // redirect on the directory itself), so other overlays sharing the layer see it. The writing
  // overlay skips the notifications of its own calls (engine/own-writes.ts).
  /** Create `name` in `dir` fully formed, or replace what is there, atomically. */
  createNode(dir: Handle, name: string, spec: NodeSpec): Handle;
  /**
   * Replace a file's data (whole) — clears metacopy. Crash-safe where the layer can be killed
   * midway (DirLayer): the new data is built beside the file and renamed over it, so the name
   * holds the old data or the new, never a mix; the handle keeps naming the file.
   */
  writeData(h: Handle, data: Uint8Array): void;
  /** Write `data` at byte `position` of a file, in place — clears metacopy. */
  writeAt(h: Handle, data: Uint8Array, position: number): void;
  /** Append `data` to a file, in place (never rewriting what is there) — clears metacopy. */
  append(h: Handle, data: Uint8Array): void;
  /** Cut a file to `len` bytes or extend it with zeros, in place — clears metacopy. */
  truncate(h: Handle, len: number): void;
  /** Open a file object for reading (and writing when `writable`; EROFS on a read-only layer). */
  open(h: Handle, writable: boolean): LayerFile;
  setMode(h: Handle, mode: number): void;
  setOwner(h: Handle, uid: number, gid: number): void;
  setTimes(h: Handle, atimeMs: number, mtimeMs: number): void;
  setXattr(h: Handle, key: string, value: Uint8Array | undefined): void;
  setOpaqueMark(dir: Handle, opaque: boolean): void;
  setRedirectMark(dir: Handle, origin: string | undefined): void;
  /** Remove a name (file, symlink, empty directory, or whiteout). */
  removeName(dir: Handle, name: string): void;
  /** Put a whiteout at `name`, replacing whatever is there. */
  putWhiteout(dir: Handle, name: string): void;
  /**
   * Rename within this layer, replacing the destination (as rename(2)). `whiteout`: a whiteout
   * is wanted at the old name next; a layer that can leave it in the same step (the kernel's
   * RENAME_WHITEOUT) does, any other may ignore it (the caller looks, and puts one).
   */
  renameName(fromDir: Handle, from: string, toDir: Handle, to: string, whiteout?: boolean): void;
  /** Add a hard link to an existing non-directory. */
  linkName(h: Handle, dir: Handle, name: string): void;
}
