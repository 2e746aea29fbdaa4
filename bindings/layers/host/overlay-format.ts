// How overlay marks are encoded in a host directory. Default: the kernel's format (whiteout = char
// device 0/0; opaque/redirect/metacopy = `trusted.overlay.*` xattrs), so the kernel can mount a
// tree Strata wrote and vice versa. Two documented alternatives for processes without privileges:
// - xattrs 'user': `user.overlay.*`, what the kernel reads with the `userxattr` mount option;
// - whiteouts 'oci': `.wh.<name>` files and `.wh..wh..opq` in opaque directories (OCI image layers).
import type * as fs from 'node:fs';

export type WhiteoutFormat = 'device' | 'oci';
export type XattrNamespace = 'trusted' | 'user';

/** OCI whiteout prefix; a name starting with it is never visible through an overlay. */
export const OCI_WHITEOUT_PREFIX = '.wh.';
/** OCI opaque marker, a file inside the opaque directory. */
export const OCI_OPAQUE_MARKER = '.wh..wh..opq';

export class OverlayFormat {
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

  /** A character device 0/0: the kernel's whiteout (read as a whiteout in either format). */
  isWhiteoutDevice(st: fs.Stats): boolean {
    return st.isCharacterDevice() && st.rdev === 0;
  }

  /** In the OCI format, the on-disk name of the whiteout for `name`. */
  ociWhiteoutName(name: string): string {
    return OCI_WHITEOUT_PREFIX + name;
  }

  /** A name the format uses for itself: hidden from listings and lookups. */
  isReservedName(name: string): boolean {
    return this.whiteouts === 'oci' && name.startsWith(OCI_WHITEOUT_PREFIX);
  }

  isPrivateXattr(key: string): boolean {
    return key.startsWith(this.privatePrefix);
  }
}
