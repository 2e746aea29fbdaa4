// The data set as real directories in the kernel's overlay format (whiteout = character device
// 0/0, opaque = xattr trusted.overlay.opaque=y), for a kernel overlay mount and for DirLayer.
// Whiteouts and opaque marks need root; without it the tree is written without them and the
// reason is returned, so a caller can say what it skipped. As root the tree goes on a private
// tmpfs: memory-backed like the other peers' data, written in a second instead of the ~30 s a
// loaded disk takes for 50k files, and removed by one umount.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setAttributeSync } from '@napi-rs/xattr';
import type { Dataset } from '../dataset.js';
import { fileData } from './fill.js';

export interface DiskTree {
  root: string;
  /** Layer directories, top-down: upper first, then lowers[0..]. */
  upper: string;
  lowers: string[];
  /** Empty directories for a kernel mount (workdir on the upper's filesystem, mount point). */
  work: string;
  mountPoint: string;
  /** Why whiteouts/opaque marks are missing, if they are. */
  incomplete?: string;
  /** 'tmpfs' when the tree lives on its own tmpfs mount. */
  backing: 'tmpfs' | 'tmpdir';
  remove(): void;
}

function makeWhiteouts(paths: string[]): string | undefined {
  // One shell runs mknod for a batch of paths: a process per whiteout would cost seconds.
  for (let i = 0; i < paths.length; i += 500) {
    const batch = paths.slice(i, i + 500);
    const r = spawnSync('sh', ['-c', 'for p; do mknod "$p" c 0 0 || exit 1; done', 'sh', ...batch], { encoding: 'utf8' });
    if (r.status !== 0) return `mknod failed: ${(r.stderr || r.error?.message || '').trim()}`;
  }
  return undefined;
}

/** Mount a private tmpfs on `dir` when we may; false otherwise (then the tree goes on disk). */
function mountTmpfs(dir: string): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4g,mode=700', 'strata-bench', dir]).status === 0;
}

export function writeDiskTree(ds: Dataset): DiskTree {
  const root = mkdtempSync(join(tmpdir(), `strata-bench-${ds.seed}-`));
  const tmpfs = mountTmpfs(root);
  const dirs = ds.stack.map((l) => join(root, l.name));
  let incomplete: string | undefined;
  const whiteouts: string[] = [];
  ds.stack.forEach((spec, i) => {
    const base = dirs[i];
    mkdirSync(base);
    for (const [path, node] of spec.nodes) {
      const host = base + path;
      switch (node.type) {
        case 'dir':
          if (path !== '/') mkdirSync(host);
          if (node.opaque && incomplete === undefined) {
            try { setAttributeSync(host, 'trusted.overlay.opaque', 'y'); } catch (err) { incomplete = `cannot set trusted.overlay.opaque (${(err as Error).message})`; }
          }
          break;
        case 'file': writeFileSync(host, fileData(node.size)); break;
        case 'symlink': symlinkSync(node.target, host); break;
        case 'whiteout': whiteouts.push(host); break;
      }
    }
  });
  if (whiteouts.length > 0) incomplete ??= makeWhiteouts(whiteouts);
  const work = join(root, 'work');
  const mountPoint = join(root, 'merged');
  mkdirSync(work);
  mkdirSync(mountPoint);
  return {
    root, upper: dirs[0], lowers: dirs.slice(1), work, mountPoint, incomplete, backing: tmpfs ? 'tmpfs' : 'tmpdir',
    remove: () => {
      if (tmpfs) {
        // Something may still hold a descriptor inside (a layer not yet collected): detach
        // lazily then, the kernel frees the tmpfs when the last one closes.
        if (spawnSync('umount', [root]).status !== 0) spawnSync('umount', ['-l', root]);
        rmdirSync(root);
      } else {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
