// OCI image layers (tar, optionally gzipped) as read-only layers. The archive is parsed with
// tar-stream into a MemoryLayer, translating the OCI whiteout encoding into overlay terms as it
// goes: `.wh.<name>` becomes a whiteout of <name>, `.wh..wh..opq` marks its directory opaque,
// so no `.wh.` name is ever visible through an overlay (SEMANTICS facts 4, 5, 7).
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { fsError } from '../errors.js';
import { NAME_MAX, PATH_MAX } from '../abi.js';
import { MemoryLayer } from './memory-layer.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';

export interface TarLayerOptions {
  name?: string;
  ttlMs?: number;
}

/** A read-only layer holding one OCI layer tarball's contents. */
export class TarLayer extends MemoryLayer {
  /** Entries read from the archive (for reports). */
  entries = 0;

  private constructor(name: string, ttlMs: number, clock: () => number) {
    super({ name, ttlMs, readonly: true, clock });
  }

  /**
   * Load a layer from a file path or the archive's bytes. Gzip is detected by its magic bytes.
   * A corrupt or hostile archive (bad headers, `..` or absolute escapes, names over NAME_MAX)
   * rejects with EINVAL and no layer is made.
   */
  static async load(source: string | Uint8Array, options: TarLayerOptions = {}): Promise<TarLayer> {
    const where = typeof source === 'string' ? source : '<buffer>';
    if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
      throw new TypeError('TarLayer.load: source must be a path or a Uint8Array');
    }
    let bytes = typeof source === 'string' ? await readFile(source) : source;
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        bytes = gunzipSync(bytes);
      } catch (err) {
        throw corrupt(where, `gzip: ${(err as Error).message}`);
      }
    }
    // Timestamps come from the archive: the clock reads the entry being applied.
    let entryTime = 0;
    const layer = new TarLayer(options.name ?? `tar:${where}`, options.ttlMs ?? 0, () => entryTime);
    await new Promise<void>((resolve, reject) => {
      const extract = tar.extract();
      extract.on('entry', (header, stream, next) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', reject);
        stream.on('end', () => {
          try {
            entryTime = header.mtime ? header.mtime.getTime() : 0;
            layer.apply(header, Buffer.concat(chunks), where);
            layer.entries++;
            next();
          } catch (err) {
            // A member the layer cannot hold (a hard link to nothing or to a directory, a path
            // through a non-directory member) makes the archive corrupt, like any other.
            const e = err as Error & { code?: string };
            extract.destroy(e.message.includes('tar layer') ? e : corrupt(where, `member '${header.name}': ${e.message}`));
          }
        });
      });
      extract.on('finish', resolve);
      extract.on('error', (err: Error) => reject((err as { code?: string }).code ? err : corrupt(where, err.message)));
      extract.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    });
    return layer;
  }

  private apply(header: tar.Headers, data: Buffer, where: string): void {
    const path = entryPath(header.name, where);
    if (path === '/') return; // the archive's root directory entry
    const slash = path.lastIndexOf('/');
    const dir = slash === 0 ? '/' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    if (dir !== '/') this.mkdir(dir, { recursive: true });
    if (base === OPAQUE_MARKER) {
      this.setOpaque(dir, true);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const hidden = base.slice(WHITEOUT_PREFIX.length);
      if (hidden === '' || hidden === '.' || hidden === '..') throw corrupt(where, `bad whiteout '${header.name}'`);
      this.removeExisting(`${dir === '/' ? '' : dir}/${hidden}`);
      this.whiteout(`${dir === '/' ? '' : dir}/${hidden}`);
      return;
    }
    const mode = (header.mode ?? 0o644) & 0o7777;
    switch (header.type) {
      case 'directory': {
        // An existing directory is kept with its contents (its mode updated); a non-directory
        // there is replaced (tar's last-wins rule, as for every other member type).
        const h = this.handleAt(path);
        if (h > 0 && this.stat(h).type === 'dir') {
          this.chmod(path, mode);
        } else {
          this.removeExisting(path);
          this.mkdir(path, { mode });
        }
        break;
      }
      case 'file':
      case 'contiguous-file':
        this.removeExisting(path);
        this.writeFile(path, data, { mode });
        break;
      case 'symlink':
        this.removeExisting(path);
        this.symlink(header.linkname ?? '', path);
        break;
      case 'link':
        this.removeExisting(path);
        this.link(entryPath(header.linkname ?? '', where), path);
        break;
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        const kind = header.type === 'fifo' ? 0o010000 : header.type === 'block-device' ? 0o060000 : 0o020000;
        const rdev = ((header.devmajor ?? 0) << 8) | (header.devminor ?? 0);
        this.removeExisting(path);
        this.mknod(path, kind | mode, rdev);
        break;
      }
      default:
        // pax/gnu metadata records are consumed by tar-stream; anything else carries no file.
        return;
    }
    // tar-stream hands PAX records over as `pax`; its type declarations do not list it.
    const pax = (header as { pax?: Record<string, string> }).pax ?? {};
    for (const [key, value] of Object.entries(pax)) {
      if (key.startsWith('SCHILY.xattr.')) this.setXattr(path, key.slice('SCHILY.xattr.'.length), Buffer.from(value, 'binary'));
    }
  }

  /** A later entry replaces an earlier one of the same name (tar's last-wins rule). */
  private removeExisting(path: string): void {
    const h = this.handleAt(path);
    if (h === 0) return;
    if (h > 0 && this.stat(h).type === 'dir') this.rmdir(path, { recursive: true });
    else this.unlink(path);
  }
}

function corrupt(where: string, why: string): Error {
  const err = fsError('EINVAL', 'open', where);
  err.message = `EINVAL: corrupt or unsafe tar layer, open '${where}': ${why}`;
  return err;
}

/** An archive member name as an absolute layer path; refuses anything that would escape. */
function entryPath(name: string, where: string): string {
  if (name.includes('\0')) throw corrupt(where, 'NUL byte in a member name');
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw corrupt(where, `member name '${name}' climbs out of the layer`);
    if (Buffer.byteLength(part) > NAME_MAX) throw corrupt(where, `member name component over ${NAME_MAX} bytes in '${name.slice(0, 80)}…'`);
    parts.push(part);
  }
  const path = '/' + parts.join('/');
  if (Buffer.byteLength(path) > PATH_MAX) throw corrupt(where, 'member name over PATH_MAX');
  return path;
}
