// The WASM boundary's numbers, mirrored by assembly/abi.ts; tests/abi.test.ts checks they agree.
// Only numbers cross the boundary: paths go through the transfer buffer, answers come back in the
// result record below.

/** Walk outcome: what `walk`/`resume`/`follow` stopped on. */
export const WALK_FOUND = 0; //        every component resolved; RES_ID is the final positive entry
export const WALK_NEGATIVE = 1; //     component k is a cached negative entry (ENOENT)
export const WALK_MISS = 2; //         component k is not cached: resolve it from the layers, insert, resume
export const WALK_EXPIRED = 3; //      component k is cached but its deadline passed: revalidate it
export const WALK_CHANGED = 4; //      component k is cached but was invalidated: the policy decides
export const WALK_NOTDIR = 5; //       component k is a non-directory and more follows (or a trailing slash)
export const WALK_SYMLINK = 6; //      component k is a symlink to follow (not last, or last with FOLLOW)
export const WALK_EINVAL = 7; //       NUL byte, relative path, or `..` above the root
export const WALK_ENAMETOOLONG = 8; // a component over NAME_MAX bytes, or the path over PATH_MAX

/** Entry types (RES_TYPE). A negative entry has type T_NONE. */
export const T_NONE = 0;
export const T_FILE = 1;
export const T_DIR = 2;
export const T_SYMLINK = 3;
export const T_OTHER = 4; // fifo, socket, device: no walk through it

/** Public entry flags (low byte); the cache keeps its own bookkeeping bits above these. */
export const F_MERGED = 1; //   a directory present in more than one layer
export const F_OPAQUE = 2; //   its topmost directory is opaque
export const F_REDIRECT = 4; // its topmost directory carries a redirect
export const F_WHITEOUT = 8; // negative because a whiteout hides the name (not merely absent)
export const F_PUBLIC_MASK = 0xff;

/** walk() options. */
export const WALK_FOLLOW = 1; // follow a symlink in the last component too (stat vs lstat)

/** Limits, as the kernel's. */
export const NAME_MAX = 255;
export const PATH_MAX = 4096;
/** A walk follows at most this many symlinks before ELOOP (Linux MAXSYMLINKS). */
export const MAX_SYMLINKS = 40;

/** The root entry always exists, is a directory, and is never evicted. */
export const ROOT_ID = 0;
/** Returned where an id is absent. */
export const NO_ENTRY = -1;

/** Result record: i32 slots (index, not byte offset) filled by every walk. */
export const RES_STATUS = 0;
export const RES_ID = 1; //       FOUND: the final entry; NEGATIVE/EXPIRED/CHANGED/NOTDIR/SYMLINK: entry k
export const RES_PARENT = 2; //   the entry of component k-1 (the directory component k is looked up in)
export const RES_INDEX = 3; //    k: 0-based index of the component the walk stopped at
export const RES_NAME_OFF = 4; // byte offset of component k in the path buffer
export const RES_NAME_LEN = 5; // byte length of component k
export const RES_TYPE = 6; //     type/flags/layer/lowest/handle of RES_ID (when RES_ID is an entry)
export const RES_FLAGS = 7;
export const RES_LAYER = 8;
export const RES_LOWEST = 9;
export const RES_HANDLE = 10;
export const RES_LAST = 11; //    1 if component k is the last component of the path
export const RES_SLOTS = 12;

/** Counter record: i32/f64-safe slots returned by counters(). */
export const C_HITS = 0;
export const C_MISSES = 1;
export const C_NEGATIVE_HITS = 2;
export const C_EXPIRED = 3;
export const C_CHANGED = 4;
export const C_EVICTIONS = 5;
export const C_ENTRIES = 6;
export const C_BYTES = 7;
export const C_SLOTS = 8;

/**
 * Accounting that both cache implementations share, so `bytes` and capacity decisions agree:
 * bytes = entries * ENTRY_BYTES + sum(roundUp(nameBytes, NAME_ALIGN)).
 */
export const ENTRY_BYTES = 48;
export const NAME_ALIGN = 8;
