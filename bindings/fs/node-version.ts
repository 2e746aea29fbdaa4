// Where node:fs differs between the Node majors createFs supports, in one table: the adapter
// answers as node:fs of the Node it runs on, so every call that differs asks this table (never
// process.versions itself). It imports nothing, so the engine's Stats and Dirent may read it too. Each threshold was checked against the real node:fs of 20.20,
// 22.23, 24.22 and 26.10 (odd majors take the rule of the release that introduced the change,
// from Node's changelog where known, else of the even major before them).
export interface NodeFsRules {
  /** The Node major these rules are for. */
  readonly major: number;
  /**
   * symlink's `type`: 'strings-checked' (up to 22: a string other than 'dir', 'file' or
   * 'junction' is ERR_FS_INVALID_SYMLINK_TYPE, any other value is ignored), or 'one-of' (from
   * 24: anything but those three, null and undefined is ERR_INVALID_ARG_VALUE).
   */
  readonly symlinkType: 'strings-checked' | 'one-of';
  /**
   * rmdir's `recursive` option: up to 24 it is deprecated but works (and the options are
   * validated as rm's); from 25 (DEP0147 end-of-life) giving it at all is ERR_INVALID_ARG_VALUE,
   * and the other option fields are no longer read.
   */
  readonly rmdirRecursive: boolean;
  /** utimes/lutimes/futimes with an invalid Date: EINVAL up to 20; from 22 that time is left as it is. */
  readonly invalidDateKeepsTime: boolean;
  /**
   * Recursive readdir enters symbolic links to directories (from 22, in both the names and the
   * Dirent forms). Node 20 enters them in the names form only; the adapter never does there,
   * as before (docs/fs-adapter.md).
   */
  readonly recursiveReaddirEntersLinks: boolean;
  /** statfs answers `frsize` too (from 24). */
  readonly statfsFrsize: boolean;
  /** fs.glob, fs.globSync and fs.promises.glob exist (from 22). */
  readonly glob: boolean;
  /** fs.mkdtempDisposableSync and fs.promises.mkdtempDisposable exist (from 24). */
  readonly mkdtempDisposable: boolean;
  /** fs.openAsBlobSync exists (from 26). */
  readonly openAsBlobSync: boolean;
  /**
   * Stats' and BigIntStats' atime, mtime, ctime and birthtime: 'own' (up to 20: four Dates built
   * in the constructor, own enumerable properties), 'getters-kept-hidden' (22: enumerable getters
   * on the prototype keeping the Date read as a non-enumerable, non-configurable own property) or
   * 'getters-kept' (from 24: kept as a plain enumerable one, as assigning one does too).
   */
  readonly statsDates: 'own' | 'getters-kept-hidden' | 'getters-kept';
  /** Stats and BigIntStats have atimeInstant … birthtimeInstant, Temporal.Instant getters (from 26). */
  readonly statsInstants: boolean;
  /** Dirent has `path`, the same as `parentPath` (up to 22; removed in 24, DEP0178). */
  readonly direntPath: boolean;
  /**
   * The promise form of recursive readdir walks its own way (up to 24): a stack of directories,
   * each read when found and listed after the current one's entries, the last found first; its
   * Dirent form never enters a symbolic link to a directory. From 26 it answers as the sync form.
   */
  readonly promiseReaddirStack: boolean;
}

/** The rules of one Node major. */
export function nodeFsRules(major: number): NodeFsRules {
  return {
    major,
    symlinkType: major >= 24 ? 'one-of' : 'strings-checked',
    rmdirRecursive: major < 25,
    invalidDateKeepsTime: major >= 22,
    recursiveReaddirEntersLinks: major >= 22,
    statfsFrsize: major >= 24,
    glob: major >= 22,
    mkdtempDisposable: major >= 24,
    openAsBlobSync: major >= 26,
    statsDates: major >= 24 ? 'getters-kept' : major >= 22 ? 'getters-kept-hidden' : 'own',
    statsInstants: major >= 26,
    direntPath: major < 24,
    promiseReaddirStack: major < 26,
  };
}

/** The major of a `process.versions.node` string ('26.10.0' → 26). */
export function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

/** The rules of the Node this process runs on. */
export const NODE_FS: NodeFsRules = nodeFsRules(majorOf(process.versions.node));
