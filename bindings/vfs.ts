// strata/vfs: an Overlay as a node:vfs provider (Node 26, `--experimental-vfs`). Mounted with
// `vfs.create(provider).mount()`, every node:fs call, require() and import under the mount point
// goes to the overlay. The provider translates node:vfs's calls (provider-relative POSIX paths)
// into the createFs adapter's, so errors, flags and stats are the adapter's node:fs-shaped ones;
// open files are the adapter's OpenFiles. Without an upper the provider says `readonly`.
import { createRequire } from 'node:module';
import { createFs, OPEN_FILE, type OpenFile } from './fs.js';
import { Dirent, type Stats } from './engine/stats.js';
import { fsError } from './errors.js';
import { bigintStats, wantsBigint } from './fs/bigint-stats.js';
import { flagString, openModeOf, type OpenMode } from './engine/open-flags.js';
import { optionsOf } from './fs/options.js';
import type { CreateFsOptions, OverlayFs } from './fs/types.js';
import type { Overlay } from './overlay.js';

/** The parts of node:vfs this module uses (the module exists only on Node 26+ with the flag). */
interface NodeVfs {
  VirtualProvider: new () => object;
  create(provider: object, options?: { emitExperimentalWarning?: boolean }): { mount(): string; unmount(): void; mountPoint: string | null };
}

function nodeVfs(): NodeVfs {
  const get = (process as unknown as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  let mod: unknown;
  try {
    mod = get !== undefined ? get('node:vfs') : createRequire(import.meta.url)('node:vfs');
  } catch {
    mod = undefined;
  }
  if (mod === undefined || typeof (mod as NodeVfs).VirtualProvider !== 'function') {
    const err = new Error(
      `node:vfs is not available in Node ${process.version}: it needs Node 26 or later started with --experimental-vfs ` +
      '(on older versions use createFs(overlay) with fs-monkey, see docs/vfs.md)',
    ) as Error & { code: string };
    err.code = 'ERR_UNKNOWN_BUILTIN_MODULE';
    throw err;
  }
  return mod as NodeVfs;
}

/** A node:vfs file handle over an OpenFile (the VirtualFileHandle interface, duck-typed). */
class OverlayFileHandle {
  constructor(private readonly file: OpenFile, private readonly fs: OverlayFs, private readonly openMode: OpenMode) {}

  get path(): string { return this.file.path; }
  get flags(): string { return flagString(this.openMode); }
  get mode(): number { return this.file.stat().mode & 0o7777; }
  get position(): number { return this.file.position; }
  set position(p: number) { this.file.position = p; }
  get closed(): boolean { return this.file.closed; }

  private live(syscall: string): OpenFile {
    if (this.file.closed) throw fsError('EBADF', syscall);
    return this.file;
  }

  readSync(buffer: NodeJS.ArrayBufferView, offset = 0, length = buffer.byteLength - offset, position: number | null = null): number {
    return this.live('read').read(buffer, offset, length, position === -1 ? null : position);
  }

  writeSync(buffer: NodeJS.ArrayBufferView, offset = 0, length = buffer.byteLength - offset, position: number | null = null): number {
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length);
    return this.live('write').write(bytes, position === -1 ? null : position);
  }

  readFileSync(options?: unknown): Buffer | string {
    const file = this.live('read');
    file.position = 0;
    const data = file.readRest();
    const enc = optionsOf(options).encoding;
    return typeof enc === 'string' && enc !== 'buffer' ? data.toString(enc) : data;
  }

  writeFileSync(data: string | NodeJS.ArrayBufferView, options?: unknown): void {
    const file = this.live('write');
    const enc = optionsOf(options).encoding;
    const bytes = typeof data === 'string' ? Buffer.from(data, typeof enc === 'string' && enc !== 'buffer' ? enc : 'utf8')
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    file.write(bytes, null);
  }

  statSync(options?: unknown): unknown {
    const st = this.live('fstat').stat();
    return wantsBigint(options) ? bigintStats(st) : st;
  }

  truncateSync(len = 0): void { this.live('ftruncate').truncate(Math.max(0, len)); }
  chmodSync(mode: number): void { this.fs.chmodSync(this.live('fchmod').path, mode); }
  utimesSync(atime: number | string | Date, mtime: number | string | Date): void { this.fs.utimesSync(this.live('futime').path, atime, mtime); }
  closeSync(): void { this.file.close(); }

  async read(buffer: NodeJS.ArrayBufferView, offset?: number, length?: number, position?: number | null) {
    return { bytesRead: this.readSync(buffer, offset, length, position ?? null), buffer };
  }
  async write(buffer: NodeJS.ArrayBufferView, offset?: number, length?: number, position?: number | null) {
    return { bytesWritten: this.writeSync(buffer, offset, length, position ?? null), buffer };
  }
  async readFile(options?: unknown) { return this.readFileSync(options); }
  async writeFile(data: string | NodeJS.ArrayBufferView, options?: unknown) { this.writeFileSync(data, options); }
  async appendFile(data: string | NodeJS.ArrayBufferView, options?: unknown) { this.writeFileSync(data, options); }
  async stat(options?: unknown) { return this.statSync(options); }
  async truncate(len?: number) { this.truncateSync(len); }
  async chmod(mode: number) { this.chmodSync(mode); }
  async chown(uid: number, gid: number) { this.fs.chownSync(this.live('fchown').path, uid, gid); }
  async utimes(atime: number | string | Date, mtime: number | string | Date) { this.utimesSync(atime, mtime); }
  async sync() { this.live('fsync'); }
  async datasync() { this.live('fdatasync'); }
  async close() { this.closeSync(); }
}

export interface OverlayProviderOptions extends CreateFsOptions {}

/** The provider's methods: each node:vfs call becomes the adapter call of the same name. */
function providerMethods(fs: OverlayFs) {
  const openHandle = (path: string, flags?: unknown, mode?: number): OverlayFileHandle => {
    const how = openModeOf(flags);
    const open = (fs as unknown as Record<symbol, (p: string, f: unknown, m: number) => OpenFile>)[OPEN_FILE];
    return new OverlayFileHandle(open(path, flags, mode ?? 0o666), fs, how);
  };
  // node:vfs wants a recursive listing's Dirents named by their path below `p` ('a/b.txt').
  const readdir = (p: string, o?: unknown) => {
    const list = fs.readdirSync(p, o as never) as unknown[];
    const opts = (typeof o === 'object' && o !== null ? o : {}) as { recursive?: boolean; withFileTypes?: boolean };
    if (opts.recursive !== true || opts.withFileTypes !== true) return list;
    const prefix = p.endsWith('/') ? p : `${p}/`;
    return (list as Dirent[]).map((d) => new Dirent(d.parentPath === p ? d.name : `${d.parentPath.slice(prefix.length)}/${d.name}`, p, d.mode));
  };
  const stat = (p: string, o?: unknown) => fs.statSync(p, o as never) as unknown as Stats;
  const lstat = (p: string, o?: unknown) => fs.lstatSync(p, o as never) as unknown as Stats;
  const sync: Record<string, (...args: any[]) => unknown> = {
    openSync: openHandle,
    statSync: stat,
    lstatSync: lstat,
    readdirSync: (p: string, o?: unknown) => readdir(p, o),
    mkdirSync: (p: string, o?: unknown) => fs.mkdirSync(p, o as never),
    rmdirSync: (p: string) => fs.rmdirSync(p),
    unlinkSync: (p: string) => fs.unlinkSync(p),
    renameSync: (a: string, b: string) => fs.renameSync(a, b),
    readFileSync: (p: string, o?: unknown) => fs.readFileSync(p, o as never),
    writeFileSync: (p: string, d: string | Uint8Array, o?: unknown) => fs.writeFileSync(p, d, o as never),
    appendFileSync: (p: string, d: string | Uint8Array, o?: unknown) => fs.appendFileSync(p, d, o as never),
    existsSync: (p: string) => fs.existsSync(p),
    copyFileSync: (a: string, b: string, m?: number) => fs.copyFileSync(a, b, m),
    realpathSync: (p: string) => fs.realpathSync(p),
    accessSync: (p: string, m?: number) => fs.accessSync(p, m),
    linkSync: (a: string, b: string) => fs.linkSync(a, b),
    readlinkSync: (p: string, o?: unknown) => fs.readlinkSync(p, o as never),
    symlinkSync: (t: string, p: string) => fs.symlinkSync(t, p),
    chmodSync: (p: string, m: number) => fs.chmodSync(p, m),
    lchmodSync: (p: string) => { throw fsError('ENOTSUP', 'lchmod', p); },
    chownSync: (p: string, u: number, g: number) => fs.chownSync(p, u, g),
    lchownSync: (p: string, u: number, g: number) => fs.lchownSync(p, u, g),
    utimesSync: (p: string, a: number, m: number) => fs.utimesSync(p, a, m),
    lutimesSync: (p: string, a: number, m: number) => fs.lutimesSync(p, a, m),
  };
  const methods: Record<string, unknown> = { ...sync };
  // node:vfs's async provider calls are the sync ones answered as promises.
  for (const [name, fn] of Object.entries(sync)) {
    methods[name.slice(0, -4)] = async (...args: unknown[]) => fn(...args);
  }
  methods.exists = async (p: string) => fs.existsSync(p);
  methods.watch = (p: string, o?: unknown) => fs.watch(p, o);
  methods.watchAsync = (p: string, o?: unknown) => fs.promises.watch(p, o as never);
  methods.watchFile = (p: string, o: unknown, l?: never) => fs.watchFile(p, o, l);
  methods.unwatchFile = (p: string, l?: never) => fs.unwatchFile(p, l);
  return methods;
}

/**
 * A node:vfs provider over `overlay`: `vfs.create(overlayProvider(ov)).mount()`. Throws
 * ERR_UNKNOWN_BUILTIN_MODULE where node:vfs does not exist (before Node 26, or without the flag).
 */
export function overlayProvider(overlay: Overlay, options: OverlayProviderOptions = {}): object {
  const { VirtualProvider } = nodeVfs();
  const fs = createFs(overlay, options);
  const provider = Object.create(VirtualProvider.prototype, {
    readonly: { get: () => !overlay.writable },
    supportsSymlinks: { get: () => true },
    supportsWatch: { get: () => true },
  });
  Object.assign(provider, providerMethods(fs));
  return provider;
}

/** Mount `overlay` through node:vfs; returns the mount point and how to unmount it. */
export function mountOverlay(overlay: Overlay, options: OverlayProviderOptions = {}): { mountPoint: string; unmount(): void } {
  const vfs = nodeVfs().create(overlayProvider(overlay, options), { emitExperimentalWarning: false });
  const mountPoint = vfs.mount();
  return { mountPoint, unmount: () => vfs.unmount() };
}
