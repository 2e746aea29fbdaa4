// Applies tar members, in archive order, to the MemoryLayer that holds a TarLayer's tree.
// - Tar's rule is last wins: a member replaces an earlier one of the same name (a directory
//   over a directory keeps its contents and takes the new metadata).
// - OCI whiteouts (image-spec layer.md): `.wh.<x>` deletes x from the layers below only; an x in
//   this same layer, before or after the whiteout, stays visible, and a directory x is opaque
//   (its lower namesake was deleted). `.wh..wh..opq` makes its directory opaque. Whatever the
//   order, the result is the same, so it is kept per path in `deleted`.
// - A 0/0 character device is the kernel's whiteout: unpacked into an overlay lower (containerd,
//   Docker overlay2) it hides the name below, so it is a whiteout here too, never a device.
// - nosuid drops setuid/setgid bits and file capabilities; nodev leaves device members out (as
//   rootless runtimes do), listing them in `omitted`. Both protect a host upper from a copy-up.
import type tar from 'tar-stream';
import { NAME_MAX, PATH_MAX } from '../../abi.js';
import { ABSENT, S_IFBLK, S_IFCHR, S_IFIFO, WHITEOUT, type Handle, type NodeSpec } from '../layer.js';
import type { MemoryLayer } from '../memory-layer.js';
import { archiveError } from './archive-error.js';

const WHITEOUT_PREFIX = '.wh.';
const OPAQUE_MARKER = '.wh..wh..opq';
/** Largest uid/gid Linux accepts ((uid_t)-1 means "unchanged"). */
const ID_MAX = 0xfffffffe;
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
/** Overlay marks and file capabilities an archive must not carry into a host upper. */
const OVERLAY_XATTR = /^(trusted|user)\.overlay\./;
const CAPABILITY_XATTR = 'security.capability';

export interface BuildPolicy {
  /** Most member data the archive may declare in all (its tar bytes are bounded the same way). */
  maxBytes: number;
  /** Drop setuid/setgid bits (files) and file capabilities. */
  nosuid: boolean;
  /** Leave character/block device members out of the layer. */
  nodev: boolean;
}

/** Linux's dev_t for major:minor, as glibc's makedev() builds it (the kernel's encoding). */
export function makedev(major: number, minor: number): number {
  // Low 32 bits: minor[7:0], major[11:0] << 8, minor[19:8] << 20; above: major[31:12] << 44.
  return (minor & 0xff) + (major & 0xfff) * 2 ** 8 + Math.floor(minor / 256) * 2 ** 20 + Math.floor(major / 4096) * 2 ** 44;
}

type PaxHeader = tar.Headers & { pax?: Record<string, string> };

export class LayerBuilder {
  entries = 0;
  readonly omitted: string[] = [];
  private readonly deleted = new Set<string>();
  private readonly omittedSet = new Set<string>();
  /** Directory members' own times, set again at the end: adding children moved them. */
  private readonly dirTimes = new Map<Handle, number>();
  private declared = 0;

  /** `clock.now` is what the tree's clock reads: the time of the member being applied. */
  constructor(
    private readonly tree: MemoryLayer,
    private readonly clock: { now: number },
    private readonly policy: BuildPolicy,
    private readonly where: string,
  ) {}

  /** Validate a member's header before its data is read (tar-stream passes some values through). */
  check(header: tar.Headers): void {
    // tar-stream leaves null (an unreadable size field) or NaN/negative (PAX) in place and then
    // waits forever for the member's end: only a real size may pass.
    const size = header.size as number;
    if (!Number.isSafeInteger(size) || size < 0) throw this.bad(header, `bad size ${String((header as PaxHeader).pax?.size ?? size)}`);
    if (header.type === 'directory' && size !== 0) throw this.bad(header, 'a directory member with data');
    // Refused at the header, before any of the data is held.
    this.declared += size;
    if (this.declared > this.policy.maxBytes) throw this.bad(header, `members declare more than ${this.policy.maxBytes} bytes of data (the maxBytes option)`);
  }

  apply(header: tar.Headers, data: Buffer): void {
    this.entries++;
    const path = this.entryPath(header.name);
    const pax = (header as PaxHeader).pax ?? {};
    const owner = { uid: this.id(header, 'uid', header.uid, pax.uid), gid: this.id(header, 'gid', header.gid, pax.gid) };
    const mtimeMs = this.mtime(header, pax.mtime);
    this.clock.now = mtimeMs;
    if (path === '/') return this.updateDir(this.tree.root(), header, owner, mtimeMs);
    const slash = path.lastIndexOf('/');
    const dirPath = slash === 0 ? '/' : path.slice(0, slash);
    const base = path.slice(slash + 1);
    const zeroDevice = header.type === 'character-device' && makedev(header.devmajor ?? 0, header.devminor ?? 0) === 0;
    if (base.startsWith(WHITEOUT_PREFIX) || zeroDevice) {
      // Under a name this layer deletes (`.wh.foo`, then `foo/.wh.bar`, as some tools write
      // for `rm -rf foo`), a whiteout has nothing left to hide: it must not bring foo back.
      const dir = this.ensureDir(dirPath, true);
      if (dir === undefined) return;
      if (base === OPAQUE_MARKER) return this.tree.setOpaqueMark(dir, true);
      if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // other AUFS meta files carry nothing
      return this.whiteout(dir, dirPath, base.startsWith(WHITEOUT_PREFIX) ? base.slice(WHITEOUT_PREFIX.length) : base, header);
    }
    const dir = this.ensureDir(dirPath)!;

    let mode = (header.mode ?? 0o644) & 0o7777;
    if (this.policy.nosuid && header.type !== 'directory') mode &= ~(S_ISUID | S_ISGID);
    const spec: NodeSpec = { type: 'file', mode, ...owner, atimeMs: mtimeMs, mtimeMs, xattrs: this.xattrs(pax) };
    switch (header.type) {
      case 'directory': {
        const h = this.tree.lookup(dir, base);
        if (h > 0 && this.tree.stat(h).type === 'dir') return this.updateDir(h, header, owner, mtimeMs, mode);
        this.replace(dir, base, { ...spec, type: 'dir', opaque: this.deleted.has(path) });
        this.dirTimes.set(this.tree.lookup(dir, base), mtimeMs);
        return;
      }
      case 'file':
      case 'contiguous-file':
        return this.replace(dir, base, { ...spec, data });
      case 'symlink':
        return this.replace(dir, base, { ...spec, type: 'symlink', mode: 0o777, target: header.linkname ?? '' });
      case 'link': {
        const target = this.entryPath(header.linkname ?? '');
        if (this.omittedSet.has(target)) return this.omit(path);
        const h = this.tree.handleAt(target);
        if (h <= 0) throw this.bad(header, `hard link to '${header.linkname}', which is not in the archive`);
        if (this.tree.stat(h).type === 'dir') throw this.bad(header, `hard link to directory '${header.linkname}'`);
        this.remove(dir, base);
        this.tree.linkName(h, dir, base);
        return;
      }
      case 'character-device':
      case 'block-device': {
        const rdev = makedev(header.devmajor ?? 0, header.devminor ?? 0);
        if (this.policy.nodev) {
          this.remove(dir, base);
          return this.omit(path);
        }
        const kind = header.type === 'block-device' ? S_IFBLK : S_IFCHR;
        return this.replace(dir, base, { ...spec, type: 'other', mode: kind | mode, rdev });
      }
      case 'fifo':
        return this.replace(dir, base, { ...spec, type: 'other', mode: S_IFIFO | mode });
      default:
        return; // other member types (tar-stream consumes pax/gnu records) carry no file
    }
  }

  /** `.wh.<name>` (or a 0/0 device): the name is deleted below; a same-layer object stays. */
  private whiteout(dir: Handle, dirPath: string, name: string, header: tar.Headers): void {
    if (name === '' || name === '.' || name === '..' || name.includes('/')) throw this.bad(header, 'bad whiteout name');
    this.deleted.add(dirPath === '/' ? `/${name}` : `${dirPath}/${name}`);
    const h = this.tree.lookup(dir, name);
    if (h === ABSENT) this.tree.putWhiteout(dir, name);
    else if (h > 0 && this.tree.stat(h).type === 'dir') this.tree.setOpaqueMark(h, true);
  }

  private updateDir(h: Handle, header: tar.Headers, owner: { uid: number; gid: number }, mtimeMs: number, mode?: number): void {
    this.tree.setMode(h, mode ?? (header.mode ?? 0o755) & 0o7777);
    this.tree.setOwner(h, owner.uid, owner.gid);
    this.tree.setTimes(h, mtimeMs, mtimeMs);
    this.dirTimes.set(h, mtimeMs);
  }

  /** After the last member: directories get back their own members' times. */
  finish(): void {
    for (const [h, ms] of this.dirTimes) {
      if (!this.tree.alive(h)) continue;
      this.clock.now = ms;
      this.tree.setTimes(h, ms, ms);
    }
  }

  /**
   * The directory at `dirPath`, made (plain, or opaque where a whiteout was) if missing; with
   * `forWhiteout`, undefined when a whiteout of this layer covers it instead.
   */
  private ensureDir(dirPath: string, forWhiteout = false): Handle | undefined {
    let h = this.tree.root();
    let path = '';
    for (const part of dirPath.split('/')) {
      if (part === '') continue;
      path += `/${part}`;
      const next = this.tree.lookup(h, part);
      if (next > 0) {
        if (this.tree.stat(next).type !== 'dir') throw archiveError(this.where, `member path through non-directory '${path}'`);
        h = next;
      } else if (next === WHITEOUT && forWhiteout) {
        return undefined;
      } else {
        h = this.tree.createNode(h, part, { type: 'dir', mode: 0o755, opaque: next === WHITEOUT || this.deleted.has(path) });
      }
    }
    return h;
  }

  private replace(dir: Handle, name: string, spec: NodeSpec): void {
    this.remove(dir, name);
    this.tree.createNode(dir, name, spec);
  }

  /** Drop what an earlier member put at `name` (a whole directory tree included). */
  private remove(dir: Handle, name: string): void {
    const h = this.tree.lookup(dir, name);
    if (h === ABSENT) return;
    if (h > 0 && this.tree.stat(h).type === 'dir') {
      for (const child of this.tree.list(h)) this.remove(h, child);
    }
    this.tree.removeName(dir, name);
  }

  private omit(path: string): void {
    this.omittedSet.add(path);
    this.omitted.push(path);
  }

  private xattrs(pax: Record<string, string>): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith('SCHILY.xattr.')) continue;
      const name = key.slice('SCHILY.xattr.'.length);
      if (OVERLAY_XATTR.test(name) || (this.policy.nosuid && name === CAPABILITY_XATTR)) continue;
      out[name] = Buffer.from(value, 'binary');
    }
    return out;
  }

  /** A uid/gid: the PAX record's when there is one (ids past the octal field's range). */
  private id(header: tar.Headers, what: string, field: number | undefined, pax: string | undefined): number {
    const id = pax !== undefined ? (/^\d{1,10}$/.test(pax) ? Number(pax) : NaN) : field ?? 0;
    if (!Number.isSafeInteger(id) || id < 0 || id > ID_MAX) throw this.bad(header, `bad ${what} ${pax ?? String(field)}`);
    return id;
  }

  private mtime(header: tar.Headers, pax: string | undefined): number {
    const ms = pax !== undefined ? (/^-?\d+(\.\d+)?$/.test(pax) ? Math.round(Number(pax) * 1000) : NaN) : header.mtime?.getTime() ?? 0;
    if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) throw this.bad(header, 'bad mtime');
    return ms;
  }

  private bad(header: tar.Headers, why: string): Error {
    return archiveError(this.where, `member '${String(header.name).slice(0, 200)}': ${why}`);
  }

  /** An archive member name as an absolute layer path; refuses anything that would escape. */
  private entryPath(name: string): string {
    if (name.includes('\0')) throw archiveError(this.where, 'NUL byte in a member name');
    const parts: string[] = [];
    for (const part of name.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') throw archiveError(this.where, `member name '${name.slice(0, 200)}' climbs out of the layer`);
      if (Buffer.byteLength(part) > NAME_MAX) throw archiveError(this.where, `member name component over ${NAME_MAX} bytes in '${name.slice(0, 80)}…'`);
      parts.push(part);
    }
    const path = '/' + parts.join('/');
    if (Buffer.byteLength(path) > PATH_MAX) throw archiveError(this.where, 'member name over PATH_MAX');
    return path;
  }
}
