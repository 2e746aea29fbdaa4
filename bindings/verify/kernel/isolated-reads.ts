// Reads of a kernel mount that may fail with EPERM (metacopy files with metacopy=off), made in a
// child process. One EPERM from statx makes libuv stop using statx for the rest of the process
// (it takes EPERM for a seccomp refusal): birthtimeMs then reads as ctimeMs, and DirLayer's object
// identity (dev, ino, birth time) breaks at the next ctime change. The harness process keeps its
// statx by never meeting that EPERM itself.
import { spawnSync } from 'node:child_process';
import type { Outcome } from './diff-ops.js';
import type { TreeView } from './tree-views.js';

const CHILD = `
const [views, ops] = await Promise.all([import(process.argv[1]), import(process.argv[2])]);
const { mnt, paths, dirs } = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const view = [...views.pathsView(views.kernelReader(mnt), paths)];
const listings = dirs.map((d) => ops.runOnKernel(mnt, { method: 'readdir', args: [d] }));
process.stdout.write(JSON.stringify({ view, listings }));
`;

/** What each of `paths` is on the kernel mount `mnt`, and the listing (or error) of each of `dirs`. */
export function readKernelIsolated(mnt: string, paths: string[], dirs: string[]): { view: TreeView; listings: Outcome[] } {
  const views = new URL('./tree-views.js', import.meta.url).href;
  const ops = new URL('./diff-ops.js', import.meta.url).href;
  const code = `const require = (await import('node:module')).createRequire(import.meta.url);${CHILD}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code, views, ops], {
    input: JSON.stringify({ mnt, paths, dirs }), encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`kernel reads in a child process failed: ${r.stderr || r.error?.message}`);
  const out = JSON.parse(r.stdout) as { view: [string, string][]; listings: Outcome[] };
  return { view: new Map(out.view), listings: out.listings };
}
