// The WASM boundary's numbers, mirrored by bindings/abi.ts; tests/abi.test.ts checks they agree.
// Keep one `export const NAME: i32 = value;` per line: the test parses this file.

/** Walk outcome: what `walk`/`resume`/`follow` stopped on. */
export const WALK_FOUND: i32 = 0;
export const WALK_NEGATIVE: i32 = 1;
export const WALK_MISS: i32 = 2;
export const WALK_EXPIRED: i32 = 3;
export const WALK_CHANGED: i32 = 4;
export const WALK_NOTDIR: i32 = 5;
export const WALK_SYMLINK: i32 = 6;
export const WALK_EINVAL: i32 = 7;
export const WALK_ENAMETOOLONG: i32 = 8;

/** Entry types (RES_TYPE). A negative entry has type T_NONE. */
export const T_NONE: i32 = 0;
export const T_FILE: i32 = 1;
export const T_DIR: i32 = 2;
export const T_SYMLINK: i32 = 3;
export const T_OTHER: i32 = 4;

/** Public entry flags (low byte); the cache keeps its own bookkeeping bits above these. */
export const F_MERGED: i32 = 1;
export const F_OPAQUE: i32 = 2;
export const F_REDIRECT: i32 = 4;
export const F_WHITEOUT: i32 = 8;
export const F_PUBLIC_MASK: i32 = 0xff;

/** walk() options. */
export const WALK_FOLLOW: i32 = 1;

/** Limits, as the kernel's. */
export const NAME_MAX: i32 = 255;
export const PATH_MAX: i32 = 4096;
export const MAX_SYMLINKS: i32 = 40;

export const ROOT_ID: i32 = 0;
export const NO_ENTRY: i32 = -1;

/** Result record: i32 slots (index, not byte offset) filled by every walk. */
export const RES_STATUS: i32 = 0;
export const RES_ID: i32 = 1;
export const RES_PARENT: i32 = 2;
export const RES_INDEX: i32 = 3;
export const RES_NAME_OFF: i32 = 4;
export const RES_NAME_LEN: i32 = 5;
export const RES_TYPE: i32 = 6;
export const RES_FLAGS: i32 = 7;
export const RES_LAYER: i32 = 8;
export const RES_LOWEST: i32 = 9;
export const RES_HANDLE: i32 = 10;
export const RES_LAST: i32 = 11;
export const RES_SLOTS: i32 = 12;

/** Counter record slots (f64 each in this module's counter record). */
export const C_HITS: i32 = 0;
export const C_MISSES: i32 = 1;
export const C_NEGATIVE_HITS: i32 = 2;
export const C_EXPIRED: i32 = 3;
export const C_CHANGED: i32 = 4;
export const C_EVICTIONS: i32 = 5;
export const C_ENTRIES: i32 = 6;
export const C_BYTES: i32 = 7;
export const C_SLOTS: i32 = 8;

/** bytes = entries * ENTRY_BYTES + sum(roundUp(nameBytes, NAME_ALIGN)). */
export const ENTRY_BYTES: i32 = 48;
export const NAME_ALIGN: i32 = 8;
