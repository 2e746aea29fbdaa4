// A kernel overlayfs mount of a DiskTree, for the peers suite. Mounting needs root (or a user
// namespace, which a benchmark process cannot enter midway): anything else is "skipped: reason".
import { spawnSync } from 'node:child_process';
import type { DiskTree } from './materialize/disk.js';

export interface KernelMount {
  path: string;
  unmount(): void;
}

export function mountOverlay(tree: DiskTree): KernelMount | string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root: mounting overlayfs needs CAP_SYS_ADMIN';
  if (tree.incomplete) return `the on-disk tree lacks the overlay format: ${tree.incomplete}`;
  const options = `lowerdir=${tree.lowers.join(':')},upperdir=${tree.upper},workdir=${tree.work},index=off,metacopy=off,redirect_dir=off`;
  const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, tree.mountPoint], { encoding: 'utf8' });
  if (r.status !== 0) return `mount failed: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`;
  let mounted = true;
  return {
    path: tree.mountPoint,
    unmount: () => {
      if (!mounted) return;
      const u = spawnSync('umount', [tree.mountPoint], { encoding: 'utf8' });
      // A busy mount (an open handle somewhere) still has to go: detach it lazily.
      if (u.status !== 0) spawnSync('umount', ['-l', tree.mountPoint]);
      mounted = false;
    },
  };
}
