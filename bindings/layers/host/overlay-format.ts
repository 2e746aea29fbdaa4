// How overlay marks are encoded in a host directory: the one place that knows the formats, so
// DirLayer and the watcher never branch on which one is in use. Default: the kernel's format
// (whiteout = char device 0/0; opaque/redirect/metacopy = `trusted.overlay.*` xattrs), so the
// kernel can mount a tree Strata wrote and vice versa. Two documented alternatives:
// - xattrs 'user': `user.overlay.*`, what the kernel reads with the `userxattr` mount option;
// - whiteouts 'oci': `.wh.<name>` files and `.wh..wh..opq` in opaque directories (OCI image layers).
// Every marker file is created exclusively (O_EXCL, O_NOFOLLOW, O_NONBLOCK): a planted symlink or
// FIFO at a marker's name is never followed or opened.
import * as fs from 'node:fs';
import { procPath } from './host-paths.js';
import { hostCode } from './host-errors.js';
import { removeXattr, setXattr } from './xattr.js';

export type WhiteoutFormat = 'device' | 'oci';
export type XattrNamespace = 'trusted' | 'user';

/** OCI whiteout prefix; a name starting with it is never visible through an overlay. */
export const OCI_WHITEOUT_PREFIX = '.wh.';
/** OCI opaque marker, a file inside the opaque directory. */
export const OCI_OPAQUE_MARKER = '.wh..wh..opq';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = fs.constants;

/** Create an empty file `name` in `dirFd` unless something is there already (then leave it). */
function createMarker(dirFd: number, name: string): void {
  let fd: number;
  try {
    fd = fs.openSync(procPath(dirFd, name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (err) {
    if (hostCode(err) === 'EEXIST') return; // any entry at a marker's name already counts as the marker
    throw err;
  }
  fs.closeSync(fd);
}

/** Remove the marker `name` from `dirFd`; whether there was one. unlink(2) never follows. */
function removeMarker(dirFd: number, name: string): boolean {
  try {
    fs.unlinkSync(procPath(dirFd, name));
    return true;
  } catch (err) {
    if (hostCode(err) === 'ENOENT') return false;
    if (hostCode(err) === 'EISDIR' || hostCode(err) === 'EPERM') {
      fs.rmdirSync(procPath(dirFd, name)); // a directory planted under a marker's name, if empty
      return true;
    }
    throw err;
  }
}

function existsAt(dirFd: number, name: string): boolean {
  return fs.lstatSync(procPath(dirFd, name), { throwIfNoEntry: false }) !== undefined;
}

/** The codec: the keys of the xattr marks, and how whiteouts and opaque marks are read and written. */
export abstract class OverlayFormat {
  /** Prefix of the xattrs that belong to the overlay itself (never copied up, never user-visible). */
  readonly privatePrefix: string;
  readonly opaqueKey: string;
  readonly redirectKey: string;
  readonly metacopyKey: string;
  /** Kernel ≥ 6.7 marks a regular file as a whiteout with this xattr when its parent has opaque=x. */
  readonly xwhiteoutKey: string;

  constructor(readonly whiteouts: WhiteoutFormat, readonly xattrs: XattrNamespace) {
    this.privatePrefix = `${xattrs}.overlay.`;
    this.opaqueKey = `${this.privatePrefix}opaque`;
    this.redirectKey = `${this.privatePrefix}redirect`;
    this.metacopyKey = `${this.privatePrefix}metacopy`;
    this.xwhiteoutKey = `${this.privatePrefix}whiteout`;
  }

  /** A character device 0/0: the kernel's whiteout (read as a whiteout in every format). */
  isWhiteoutDevice(st: fs.Stats): boolean {
    return st.isCharacterDevice() && st.rdev === 0;
  }

  isPrivateXattr(key: string): boolean {
    return key.startsWith(this.privatePrefix);
  }

  /** A name the format uses for itself: hidden from listings and lookups, refused for writes. */
  abstract isReservedName(name: string): boolean;
  /** `name` is absent from `dirFd`: does a marker file say it is a whiteout? */
  abstract markedWhiteout(dirFd: number, name: string): boolean;
  /** The overlay names of a host listing (markers hidden or translated). */
  abstract visibleNames(hostNames: string[]): string[];
  /** Is the directory held by `dirFd` opaque? `opaqueXattr` is its opaque xattr value. */
  abstract isOpaque(dirFd: number, opaqueXattr: () => string | undefined): boolean;
  /** Set or clear the opaque mark of the directory held by `dirFd` (`xattrPath` reaches it). */
  abstract setOpaque(dirFd: number, xattrPath: string, opaque: boolean): void;
  /**
   * Put a whiteout marker for `name` in `dirFd` if this format writes whiteouts as marker files;
   * false when it writes them as 0/0 devices (the caller makes one).
   */
  abstract writeWhiteoutMarker(dirFd: number, name: string): boolean;
  /** Something real now stands at `name`: drop the marker that said it was a whiteout; whether one was there. */
  abstract clearWhiteoutMarker(dirFd: number, name: string): boolean;
  /** Before rmdir of `name` in `dirFd`: remove the format's own files inside it. */
  abstract beforeRemoveDir(dirFd: number, name: string): void;
  /** The layer path an event on host name `name` in a directory is about; 'dir' for the directory itself. */
  abstract eventSubject(name: string): { name: string } | 'dir';
}

/** The kernel's format: whiteouts are 0/0 devices, the opaque mark an xattr. */
class DeviceFormat extends OverlayFormat {
  isReservedName(): boolean { return false; }
  markedWhiteout(): boolean { return false; }
  visibleNames(hostNames: string[]): string[] { return hostNames; }
  isOpaque(_dirFd: number, opaqueXattr: () => string | undefined): boolean { return opaqueXattr() === 'y'; }
  setOpaque(_dirFd: number, xattrPath: string, opaque: boolean): void {
    if (opaque) setXattr(xattrPath, this.opaqueKey, 'y');
    else removeXattr(xattrPath, this.opaqueKey);
  }
  writeWhiteoutMarker(): boolean { return false; }
  clearWhiteoutMarker(): boolean { return false; }
  beforeRemoveDir(): void {}
  eventSubject(name: string): { name: string } | 'dir' { return { name }; }
}

/** OCI image layers: `.wh.<name>` files mark whiteouts, `.wh..wh..opq` an opaque directory. */
class OciFormat extends OverlayFormat {
  isReservedName(name: string): boolean { return name.startsWith(OCI_WHITEOUT_PREFIX); }
  markedWhiteout(dirFd: number, name: string): boolean { return existsAt(dirFd, OCI_WHITEOUT_PREFIX + name); }
  visibleNames(hostNames: string[]): string[] {
    // `.wh.<name>` lists as <name> (lookup() says it is a whiteout); the opaque marker is hidden.
    const out = new Set<string>();
    for (const n of hostNames) {
      if (n === OCI_OPAQUE_MARKER) continue;
      out.add(this.isReservedName(n) ? n.slice(OCI_WHITEOUT_PREFIX.length) : n);
    }
    return [...out];
  }
  isOpaque(dirFd: number, opaqueXattr: () => string | undefined): boolean {
    return existsAt(dirFd, OCI_OPAQUE_MARKER) || opaqueXattr() === 'y';
  }
  setOpaque(dirFd: number, _xattrPath: string, opaque: boolean): void {
    if (opaque) createMarker(dirFd, OCI_OPAQUE_MARKER);
    else removeMarker(dirFd, OCI_OPAQUE_MARKER);
  }
  writeWhiteoutMarker(dirFd: number, name: string): boolean {
    createMarker(dirFd, OCI_WHITEOUT_PREFIX + name);
    return true;
  }
  clearWhiteoutMarker(dirFd: number, name: string): boolean {
    return removeMarker(dirFd, OCI_WHITEOUT_PREFIX + name);
  }
  beforeRemoveDir(dirFd: number, name: string): void {
    // Through a descriptor of the directory itself: `name` may have been swapped for a symlink.
    let fd: number;
    try {
      fd = fs.openSync(procPath(dirFd, name), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | O_NOFOLLOW);
    } catch {
      return; // not a directory (any more): rmdir will say what it is
    }
    try {
      removeMarker(fd, OCI_OPAQUE_MARKER);
    } finally {
      fs.closeSync(fd);
    }
  }
  eventSubject(name: string): { name: string } | 'dir' {
    if (name === OCI_OPAQUE_MARKER) return 'dir';
    return { name: this.isReservedName(name) ? name.slice(OCI_WHITEOUT_PREFIX.length) : name };
  }
}

export function overlayFormat(whiteouts: WhiteoutFormat, xattrs: XattrNamespace): OverlayFormat {
  return whiteouts === 'oci' ? new OciFormat(whiteouts, xattrs) : new DeviceFormat(whiteouts, xattrs);
}
