// createFs(overlay): a node:fs-shaped object over an Overlay, for the tools that take a file
// system (enhanced-resolve, webpack, TypeScript hosts, glob libraries, unionfs, fs-monkey). It is a
// translation layer with no cache of its own (but parsed JSON for resolvers, fs/read-json.ts):
// path calls (fs/path-ops.ts), descriptors (fs/fds.ts, fs/open-file.ts), streams, copies,
// directories and watchers, each in its file under fs/; this file assembles the sync, callback
// and promise forms of them.
import { constants } from 'node:fs';
import { Dirent, Stats } from './engine/stats.js';
import { fsError, lightFsError } from './errors.js';
import { invalidArgType } from './fs/arg-errors.js';
import { callbackForm, promiseForm } from './fs/async-forms.js';
import { copyOps } from './fs/copy.js';
import { descriptorOps, FdTable } from './fs/fds.js';
import { idOf } from './fs/fd-args.js';
import { bytesOf, FileHandle, type HandleOps } from './fs/file-handle.js';
import { OpenFile, relabel, type FileContext } from './fs/open-file.js';
import { openModeOf } from './engine/open-flags.js';
import { PathArgs } from './fs/path-args.js';
import { QUIET, pathOps, type FdAccess } from './fs/path-ops.js';
import { newerFunctions, notImplemented } from './fs/newer-functions.js';
import { NODE_FS } from './fs/node-version.js';
import { readJsonOps } from './fs/read-json.js';
import { streamOps } from './fs/streams.js';
import type { CreateFsOptions, OverlayFs } from './fs/types.js';
import { ChangeHub, watchIterator } from './fs/watch.js';
import type { Overlay } from './overlay.js';

export type { PathLike } from './fs/path-args.js';
export type { CreateFsOptions, OverlayFs, OverlayFsPromises, OverlayFsSync } from './fs/types.js';
export { Dirent, Stats } from './engine/stats.js';
export { BigIntStats } from './fs/bigint-stats.js';
export { Dir } from './fs/dir.js';
export { FileHandle } from './fs/file-handle.js';
export { FSWatcher } from './fs/watch.js';

/** How strata/vfs opens files through an adapter (its writes are then the adapter's own). */
export const OPEN_FILE = Symbol('strata.openFile');

export function createFs(overlay: Overlay, options: CreateFsOptions = {}): OverlayFs {
  const ov = overlay;
  const paths = new PathArgs(options.cwd ?? '/');
  const hub = new ChangeHub(ov, paths, options.watchLayers ?? []);
  // Every write the adapter makes passes here: watchers hear of it, and open files know that
  // bytes they kept may be old (open-file.ts).
  let writes = 0;
  const report = (path: string, eventType: 'rename' | 'change') => {
    writes++;
    hub.report(path, eventType);
  };
  const ctx: FileContext = { report, writes: () => writes };
  const table = new FdTable();

  const fdAccess: FdAccess = {
    isFd: (p): p is number => typeof p === 'number',
    readAll: (fd) => table.get(fd, 'read').readRest(),
    writeAll: (fd, data) => { table.get(fd, 'write').write(data, null); },
  };

  const fds = descriptorOps(ov, paths, table, ctx);
  const lightErrors = options.lightErrors === true;
  // readdirAsPromised answers promises.readdir only: node:fs has no such function.
  const { readdirAsPromised, ...pathSync } = pathOps(ov, paths, fdAccess, report, lightErrors);
  const copies = copyOps(ov, paths, report);

  function fchownSync(fd: unknown, uid: unknown, gid: unknown): void {
    const file = table.get(fd, 'fchown');
    const [u, g] = [idOf(uid, 'uid'), idOf(gid, 'gid')];
    relabel(() => ov.chown(file.path, u, g), 'fchown');
    report(file.path, 'change');
  }

  const json = readJsonOps({
    statOrUndefined: (p) => pathSync.statSync(p, QUIET) as Stats | undefined, readFileSync: (p) => pathSync.readFileSync(p) as Buffer, writes: () => writes,
    missing: (p) => (lightErrors ? lightFsError : fsError)('ENOENT', 'open', p),
  });
  const sync = {
    ...pathSync, ...fds.sync, fchownSync, readJsonSync: json.readJsonSync,
    copyFileSync: copies.copyFileSync, cpSync: copies.cpSync, mkdtempSync: copies.mkdtempSync,
  };

  // One table drives both asynchronous forms of the path calls, so they cannot drift apart:
  // [sync source, how many arguments come before node:fs's callback].
  const statAnswer = (p: unknown, o?: { bigint?: boolean }) => pathSync.statSync(p as string, { bigint: o?.bigint });
  const lstatAnswer = (p: unknown, o?: { bigint?: boolean }) => pathSync.lstatSync(p as string, { bigint: o?.bigint });
  const asyncSources: Record<string, [(...args: any[]) => unknown, number]> = {
    stat: [statAnswer, 2], lstat: [lstatAnswer, 2], access: [sync.accessSync, 2], readdir: [sync.readdirSync, 2],
    readFile: [sync.readFileSync, 2], readlink: [sync.readlinkSync, 2], realpath: [sync.realpathSync, 2],
    writeFile: [sync.writeFileSync, 3], appendFile: [sync.appendFileSync, 3], mkdir: [sync.mkdirSync, 2],
    rmdir: [sync.rmdirSync, 2], rm: [sync.rmSync, 2], unlink: [sync.unlinkSync, 1], rename: [sync.renameSync, 2],
    symlink: [sync.symlinkSync, 3], link: [sync.linkSync, 2], truncate: [sync.truncateSync, 2],
    chmod: [sync.chmodSync, 2], utimes: [sync.utimesSync, 3], chown: [sync.chownSync, 3], lchown: [sync.lchownSync, 3],
    lutimes: [sync.lutimesSync, 3], statfs: [sync.statfsSync, 2], opendir: [sync.opendirSync, 2],
    copyFile: [sync.copyFileSync, 3], mkdtemp: [sync.mkdtempSync, 2],
  };
  const callbacks: Record<string, unknown> = { ...fds.callbacks, fchown: callbackForm(fchownSync, 3), readJson: json.readJson };
  const promises: Record<string, unknown> = { constants };
  for (const [name, [fn, params]] of Object.entries(asyncSources)) {
    callbacks[name] = callbackForm(fn, params);
    promises[name] = promiseForm(fn);
  }
  (callbacks.realpath as { native?: unknown }).native = callbacks.realpath;
  // Up to Node 24 node:fs's promise form of recursive readdir lists otherwise than its sync form.
  promises.readdir = promiseForm(readdirAsPromised);

  callbacks.cp = (src: unknown, dest: unknown, o: unknown, cb?: unknown) => {
    if (typeof o === 'function') [cb, o] = [o, undefined];
    if (typeof cb !== 'function') return void callbackForm(() => undefined, 3)(src, dest, o, cb);
    copies.cp(src, dest, o as never).then(() => (cb as (e: null) => void)(null), (err) => (cb as (e: unknown) => void)(err));
  };
  promises.cp = copies.cp;

  const streams = streamOps({
    open: fds.callbacks.open, read: fds.callbacks.read, write: fds.callbacks.write, writev: fds.callbacks.writev,
    close: fds.callbacks.close, fsync: fds.callbacks.fsync,
  });

  const handleOps: HandleOps = {
    ...(sync as unknown as HandleOps),
    readFd: fdAccess.readAll,
    writeAllFd: fdAccess.writeAll,
    createReadStream: streams.createReadStream,
    createWriteStream: streams.createWriteStream,
  };
  promises.open = async (p: unknown, flags?: unknown, mode?: unknown) => new FileHandle(handleOps, sync.openSync(p, flags, mode));
  // promises.writeFile/appendFile also take (async) iterables of chunks; they are gathered first.
  promises.writeFile = async (p: unknown, data: unknown, o?: unknown) =>
    p instanceof FileHandle ? p.writeFile(data, o) : sync.writeFileSync(p as string, await dataOf(data, o), o);
  promises.appendFile = async (p: unknown, data: unknown, o?: unknown) =>
    p instanceof FileHandle ? p.appendFile(data, o) : sync.appendFileSync(p as string, await dataOf(data, o), o);
  promises.readFile = async (p: unknown, o?: unknown) => sync.readFileSync(p instanceof FileHandle ? p.fd : (p as string), o);
  promises.lchmod = async () => { throw notImplemented('lchmod()'); };
  promises.watch = (p: unknown, o?: unknown) => watchIterator(hub, p, o);

  // What node:fs gained after Node 20, where the running Node has it.
  const newer = newerFunctions(NODE_FS, {
    mkdtempSync: copies.mkdtempSync, rmSync: sync.rmSync,
    readFileSync: (p) => sync.readFileSync(p as string) as Buffer,
  });
  Object.assign(promises, newer.promises);

  async function dataOf(data: unknown, o: unknown): Promise<string | Uint8Array> {
    if (typeof data === 'string' || ArrayBuffer.isView(data)) return data as string | Uint8Array;
    return bytesOf(data, o);
  }

  function exists(p: unknown, cb: (exists: boolean) => void): void {
    if (typeof cb !== 'function') throw invalidArgType('cb', 'of type function', cb);
    process.nextTick(cb, sync.existsSync(p));
  }

  return {
    ...sync,
    ...callbacks,
    ...newer.fs,
    exists,
    createReadStream: streams.createReadStream,
    createWriteStream: streams.createWriteStream,
    watch: hub.watch.bind(hub),
    watchFile: hub.statWatchers.watchFile.bind(hub.statWatchers),
    unwatchFile: hub.statWatchers.unwatchFile.bind(hub.statWatchers),
    Stats,
    Dirent,
    promises,
    [OPEN_FILE]: (path: string, flags: unknown, mode: number) => OpenFile.open(ov, path, openModeOf(flags), mode, ctx),
    // No `constants` (nor ReadStream/WriteStream classes) of its own: fs-monkey's patchFs copies
    // every such property onto node:fs, whose `constants` is read-only — use node:fs's constants.
    overlay: ov,
  } as unknown as OverlayFs;
}

export type { OpenFile };
