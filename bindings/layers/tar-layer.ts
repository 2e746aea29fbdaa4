// OCI image layers (tar; gzip or zstd compressed, or not) as read-only layers. The archive is
// parsed with tar-stream into a private MemoryLayer (tar/layer-builder.ts translates the OCI
// whiteout encoding and applies the safety policy); TarLayer wraps that tree and exposes only the
// Layer interface, refusing every write with EROFS, so nothing can change it after load.
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fsError } from '../errors.js';
import type { Handle, Layer, LayerFile, LayerListener, NodeSpec, NodeStat } from './layer.js';
import { MemoryLayer } from './memory-layer.js';
import { asArchiveError } from './tar/archive-error.js';
import { tarBytes } from './tar/decompress.js';
import { refuseImageArchive } from './tar/image-archive.js';
import { LayerBuilder } from './tar/layer-builder.js';
import { readArchive } from './tar/read-archive.js';

/** Default bound on an archive's tar bytes (after decompression): the layer holds them all. */
export const DEFAULT_MAX_BYTES = 2 ** 30;

export interface TarLayerOptions {
  name?: string;
  ttlMs?: number;
  /** Most tar bytes (after decompression) to read; a larger archive is refused. Default 1 GiB. */
  maxBytes?: number;
  /** Strip setuid/setgid bits and file capabilities (default true: archives are untrusted). */
  nosuid?: boolean;
  /** Leave device members out of the layer (default true); they are listed in `omitted`. */
  nodev?: boolean;
}

/** A read-only layer holding one OCI layer tarball's contents. */
export class TarLayer implements Layer {
  readonly writable = false;

  private constructor(
    readonly name: string,
    readonly ttlMs: number,
    private readonly tree: MemoryLayer,
    /** Members read from the archive (for reports). */
    readonly entries: number,
    /** Paths of members left out by policy (device members under nodev). */
    readonly omitted: readonly string[],
  ) {}

  /**
   * Load a layer from a file path or the archive's bytes; the compression is found from magic
   * bytes. A corrupt, hostile or oversized archive, or a whole image given as a layer, rejects
   * with EINVAL (saying why) and no layer is made.
   */
  static async load(source: string | Uint8Array, options: TarLayerOptions = {}): Promise<TarLayer> {
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
      throw new TypeError('TarLayer.load: source must be a path or a Uint8Array');
    }
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new RangeError('TarLayer.load: maxBytes must be a positive integer');
    const where = typeof source === 'string' ? source : '<buffer>';
    const input = typeof source === 'string' ? createReadStream(source) : Readable.from([Buffer.from(source.buffer, source.byteOffset, source.byteLength)]);
    const clock = { now: 0 };
    // Timestamps come from the archive: the tree's clock reads the member being applied.
    const tree = new MemoryLayer({ name: options.name ?? `tar:${where}`, clock: () => clock.now });
    const builder = new LayerBuilder(tree, clock, { maxBytes, nosuid: options.nosuid ?? true, nodev: options.nodev ?? true }, where);
    try {
      await readArchive(tarBytes(input, where, maxBytes), builder, where);
    } catch (err) {
      throw asArchiveError(err, where);
    } finally {
      input.destroy();
    }
    refuseImageArchive(tree, where);
    return new TarLayer(tree.name, options.ttlMs ?? 0, tree, builder.entries, builder.omitted);
  }

  // ---- Layer: reads (the tree's) ----

  root(): Handle { return this.tree.root(); }
  lookup(dir: Handle, name: string): Handle { return this.tree.lookup(dir, name); }
  list(dir: Handle): string[] { return this.tree.list(dir); }
  stat(h: Handle): NodeStat { return this.tree.stat(h); }
  peekStat(h: Handle): Readonly<NodeStat> | undefined { return this.tree.peekStat(h); }
  alive(h: Handle): boolean { return this.tree.alive(h); }
  /** Nothing in it ever changes. */
  vouches(): boolean { return this.ttlMs === 0; }
  isOpaque(dir: Handle): boolean { return this.tree.isOpaque(dir); }
  redirect(dir: Handle): string | undefined { return this.tree.redirect(dir); }
  isMetacopy(h: Handle): boolean { return this.tree.isMetacopy(h); }
  read(h: Handle): Uint8Array { return this.tree.read(h); }
  readlink(h: Handle): string { return this.tree.readlink(h); }
  xattrs(h: Handle): Record<string, Uint8Array> { return this.tree.xattrs(h); }
  /** A tar layer never changes after load; subscribing is allowed and never notified. */
  subscribe(_listener: LayerListener): () => void { return () => {}; }

  /** The handle at a layer path (ABSENT, WHITEOUT or > 0), for tools and tests. */
  handleAt(path: string): Handle { return this.tree.handleAt(path); }
  /** A deterministic dump of the layer (MemoryLayer.snapshot's format). */
  snapshot(): string { return this.tree.snapshot(); }

  // ---- Layer: writes (none: an archive is read-only) ----

  createNode(_dir: Handle, _name: string, _spec: NodeSpec): Handle { throw this.readOnly('open'); }
  writeData(_h: Handle, _data: Uint8Array): void { throw this.readOnly('write'); }
  writeAt(_h: Handle, _data: Uint8Array, _position: number): void { throw this.readOnly('write'); }
  append(_h: Handle, _data: Uint8Array): void { throw this.readOnly('write'); }
  truncate(_h: Handle, _len: number): void { throw this.readOnly('truncate'); }
  open(h: Handle, writable: boolean): LayerFile {
    if (writable) throw this.readOnly('open');
    return this.tree.open(h, false);
  }
  setMode(_h: Handle, _mode: number): void { throw this.readOnly('chmod'); }
  setOwner(_h: Handle, _uid: number, _gid: number): void { throw this.readOnly('chown'); }
  setTimes(_h: Handle, _atimeMs: number, _mtimeMs: number): void { throw this.readOnly('utime'); }
  setXattr(_h: Handle, _key: string, _value: Uint8Array | undefined): void { throw this.readOnly('setxattr'); }
  setOpaqueMark(_dir: Handle, _opaque: boolean): void { throw this.readOnly('setxattr'); }
  setRedirectMark(_dir: Handle, _origin: string | undefined): void { throw this.readOnly('setxattr'); }
  removeName(_dir: Handle, _name: string): void { throw this.readOnly('unlink'); }
  putWhiteout(_dir: Handle, _name: string): void { throw this.readOnly('mknod'); }
  renameName(_fromDir: Handle, _from: string, _toDir: Handle, _to: string): void { throw this.readOnly('rename'); }
  linkName(_h: Handle, _dir: Handle, _name: string): void { throw this.readOnly('link'); }

  private readOnly(syscall: string): Error { return fsError('EROFS', syscall); }
}
