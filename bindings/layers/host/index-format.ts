// The kernel's on-disk form of index=on (Documentation/filesystems/overlayfs.rst "Index"), as
// observed on Linux 6.18 and pinned by tests/kernel/index-format.test.ts:
// - trusted.overlay.origin of a copied-up object = the lower object's file handle, wrapped as the
//   kernel's struct ovl_fb: version 0, magic 0xfb, total length, flags, handle type (one byte), the
//   lower filesystem's UUID (16 bytes), then the handle bytes name_to_handle_at(2) gave;
// - the index entry of a joined hard link is `<workdir>/index/<hex of that origin>`, a hard link of
//   the upper file;
// - trusted.overlay.nlink = "U" + signed difference between the overlay's link count and the
//   upper inode's own (which counts the index entry): "U+0", "U-1", "U+2". "L±n" is relative to
//   the lower's count (written by older kernels; read here too).
import * as fs from 'node:fs';
import { native, nativeResult } from './native.js';

const FH_VERSION = 0;
const FH_MAGIC = 0xfb;
/** version, magic, len, flags, type, uuid[16]: the bytes before the handle's own. */
const FB_HEADER = 21;
/** OVL_FH_FLAG_BIG_ENDIAN: set by big-endian hosts (the handle bytes are in host order). */
const FLAG_BIG_ENDIAN = 1 << 0;
const BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/**
 * The origin xattr value for an object whose file handle is `handle` (native fileHandle(): handle
 * type u32 LE, then its bytes) on a filesystem with UUID `uuid` (shorter UUIDs are zero-padded).
 */
export function encodeOrigin(handle: Uint8Array, uuid: Uint8Array): Buffer {
  const type = handle[0] | (handle[1] << 8) | (handle[2] << 16) | (handle[3] << 24);
  if (handle.length < 4 || type < 0 || type > 0xff) throw new RangeError(`file handle type ${type} does not fit the overlay's one byte`);
  const fid = handle.subarray(4);
  const len = FB_HEADER + fid.length;
  if (len > 0xff) throw new RangeError(`file handle of ${fid.length} bytes is too long for an overlay origin`);
  const out = Buffer.alloc(len);
  out[0] = FH_VERSION;
  out[1] = FH_MAGIC;
  out[2] = len;
  out[3] = BIG_ENDIAN ? FLAG_BIG_ENDIAN : 0;
  out[4] = type;
  out.set(uuid.subarray(0, 16), 5);
  out.set(fid, FB_HEADER);
  return out;
}

/** Is `value` an origin as encodeOrigin writes it (the kernel's checks of version, magic, length)? */
export function isOrigin(value: Uint8Array): boolean {
  return value.length >= FB_HEADER && value[0] === FH_VERSION && value[1] === FH_MAGIC && value[2] === value.length;
}

/** The index entry's name for an origin: its bytes in lower-case hex. */
export function indexName(origin: Uint8Array): string {
  return Buffer.from(origin).toString('hex');
}

/** The nlink xattr value saying the overlay counts `overlayNlink` links while the upper inode has `hostNlink`. */
export function encodeNlink(overlayNlink: number, hostNlink: number): string {
  const diff = overlayNlink - hostNlink;
  return `U${diff < 0 ? '-' : '+'}${Math.abs(diff)}`;
}

/** The overlay's link count from an nlink xattr, or undefined when the value is malformed. */
export function decodeNlink(value: string, hostNlink: number, lowerNlink: number): number | undefined {
  const m = /^([UL])([+-]\d{1,9})$/.exec(value);
  if (m === null) return undefined;
  const n = (m[1] === 'U' ? hostNlink : lowerNlink) + Number(m[2]);
  return n >= 0 ? n : undefined;
}

/** The UUID of the filesystem holding host directory `hostPath` (FS_IOC_GETFSUUID needs a real open). */
export function filesystemUuid(hostPath: string): Buffer {
  const helper = native();
  if (helper === null) throw new Error('native helper unavailable');
  const fd = fs.openSync(hostPath, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    const r = helper.fsUuid(fd);
    // A filesystem without the ioctl has no UUID to give: the kernel then writes zeros too.
    if (typeof r === 'number') return Buffer.alloc(16);
    return Buffer.concat([r, Buffer.alloc(16)]).subarray(0, 16);
  } finally {
    fs.closeSync(fd);
  }
}

/** The origin of the host object open as `fd` (O_PATH is enough) on a filesystem with UUID `uuid`. */
export function originOfFd(fd: number, uuid: Uint8Array, pathForErrors: string): Buffer {
  const helper = native();
  if (helper === null) throw new Error('native helper unavailable');
  return encodeOrigin(nativeResult(helper.fileHandle(fd), 'name_to_handle_at', pathForErrors), uuid);
}
