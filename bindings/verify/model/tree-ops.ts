// The read operations that look at every visible object of an overlay, as the model sees it:
// readdir (with types) of each directory, lstat of each entry, readFile of each file, readlink of
// each symlink. Running them on two overlays and comparing the answers compares the two trees;
// a name only the other side has shows up in the readdir answers.
import type { ModelOverlay } from './model-overlay.js';
import type { Op } from './ops.js';

export function treeOps(model: ModelOverlay, limit = 2000): Op[] {
  const ops: Op[] = [{ method: 'lstat', args: ['/'] }];
  const queue = ['/'];
  while (queue.length > 0 && ops.length < limit) {
    const dir = queue.shift()!;
    ops.push({ method: 'readdir', args: [dir, { withFileTypes: true }] });
    let names: string[];
    try {
      names = model.readdir(dir) as string[];
    } catch {
      continue;
    }
    for (const name of names) {
      const p = dir === '/' ? `/${name}` : `${dir}/${name}`;
      ops.push({ method: 'lstat', args: [p] });
      const st = model.lstat(p);
      if (st === undefined) continue;
      if (st.isDirectory()) queue.push(p);
      else if (st.isFile()) ops.push({ method: 'readFile', args: [p] });
      else if (st.isSymbolicLink()) ops.push({ method: 'readlink', args: [p] });
    }
  }
  return ops;
}
