// Extended attributes of host objects, through @napi-rs/xattr (prebuilt, no compiler needed). Its
// calls are the l-variants (lgetxattr, …): they never follow a symlink in the last component, so
// `/proc/self/fd/<dir>/<name>` names the entry itself and `/proc/self/fd/<dir>/.` a held directory.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { hostCode } from './host-errors.js';

interface XattrBinding {
  getAttributeSync(path: string, name: string): Buffer | null;
  listAttributesSync(path: string): string[];
  removeAttributeSync(path: string, name: string): void;
  setAttributeSync(path: string, name: string, value: Uint8Array | string): void;
}

// Loaded lazily: a DirLayer that never touches xattrs should not need the native addon.
let binding: XattrBinding | undefined;
function xattr(): XattrBinding {
  binding ??= createRequire(import.meta.url)('@napi-rs/xattr') as XattrBinding;
  return binding;
}

/** The attribute's value, or undefined when it is not set. */
export function getXattr(hostPath: string, name: string): Buffer | undefined {
  try {
    return xattr().getAttributeSync(hostPath, name) ?? undefined;
  } catch (err) {
    if (hostCode(err) === 'ENODATA') return undefined;
    throw err;
  }
}

export function listXattrs(hostPath: string): string[] {
  return xattr().listAttributesSync(hostPath);
}

export function setXattr(hostPath: string, name: string, value: Uint8Array | string): void {
  xattr().setAttributeSync(hostPath, name, value);
}

/** Remove the attribute; an attribute that is not set is not an error. */
export function removeXattr(hostPath: string, name: string): void {
  try {
    xattr().removeAttributeSync(hostPath, name);
  } catch (err) {
    if (hostCode(err) !== 'ENODATA') throw err;
  }
}

let trustedProbe: { ok: boolean; why: string } | undefined;

/**
 * Whether this process may read and write `trusted.*` xattrs (CAP_SYS_ADMIN in the initial user
 * namespace). Without it the kernel hides them silently — opaque and redirect marks would simply
 * vanish — so this is probed once by writing one on a scratch file, not inferred from the uid.
 */
export function canUseTrustedXattrs(scratchDir = os.tmpdir()): { ok: boolean; why: string } {
  if (trustedProbe !== undefined) return trustedProbe;
  let dir: string | undefined;
  try {
    dir = fs.mkdtempSync(path.join(scratchDir, 'strata-xattr-probe-'));
    const file = path.join(dir, 'probe');
    fs.writeFileSync(file, '');
    setXattr(file, 'trusted.overlay.strata-probe', 'y');
    const back = getXattr(file, 'trusted.overlay.strata-probe');
    trustedProbe = back?.toString() === 'y'
      ? { ok: true, why: 'trusted.* xattrs are writable' }
      : { ok: false, why: 'trusted.* xattrs are not visible to this process' };
  } catch (err) {
    const code = hostCode(err) ?? String(err);
    trustedProbe = {
      ok: false,
      why: code === 'EPERM'
        ? 'trusted.* xattrs need CAP_SYS_ADMIN (run as root)'
        : `trusted.* xattrs are unusable here (${code})`,
    };
  } finally {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  }
  return trustedProbe;
}
