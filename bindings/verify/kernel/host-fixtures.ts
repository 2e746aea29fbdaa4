// Host fixtures shared by the DirLayer tests and the kernel differential harness: scratch
// directories, kernel-format marks written without going through DirLayer (so tests of DirLayer's
// reading do not depend on its writing), and snapshots of host trees.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as {
  getAttributeSync(p: string, n: string): Buffer | null;
  setAttributeSync(p: string, n: string, v: string | Uint8Array): void;
  listAttributesSync(p: string): string[];
};

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** A fresh scratch directory under the system temp dir. */
export function scratchDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `strata-${label}-`));
}

/** Remove a scratch tree (chmod'ed-away permissions are root's problem only, which we are). */
export function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A kernel whiteout (character device 0/0) at `p`, made with the system mknod. */
export function makeWhiteoutDevice(p: string): void {
  const r = spawnSync('mknod', [p, 'c', '0', '0'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mknod ${p}: ${r.stderr || r.error?.message}`);
}

export function setXattrRaw(p: string, key: string, value: string | Uint8Array): void {
  xattr.setAttributeSync(p, key, value);
}

export function getXattrRaw(p: string, key: string): string | undefined {
  return xattr.getAttributeSync(p, key)?.toString() ?? undefined;
}

export function listXattrsRaw(p: string): string[] {
  return xattr.listAttributesSync(p);
}

/** Write a small tree: `{ 'a/f': 'data', 'a/d/': null (dir), 'a/l': { symlink: 't' } }`. */
export function writeTree(root: string, entries: Record<string, string | null | { symlink: string } | { whiteout: true }>): void {
  for (const [rel, value] of Object.entries(entries)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (value === null) fs.mkdirSync(p, { recursive: true });
    else if (typeof value === 'string') fs.writeFileSync(p, value);
    else if ('symlink' in value) fs.symlinkSync(value.symlink, p);
    else makeWhiteoutDevice(p);
  }
}
