// A lower and an upper DirLayer over fresh scratch directories, the lower written from `entries`:
// the stack the DirLayer-under-the-Overlay suites build their overlays on.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirLayer } from '../../bindings/layers/dir-layer.js';
import { removeTree, scratchDir, writeTree } from '../../bindings/verify/kernel/host-fixtures.js';

export function dirLayerStack(prefix: string, entries: Parameters<typeof writeTree>[1],
  lowerOptions: ConstructorParameters<typeof DirLayer>[1] = {}) {
  const base = scratchDir(prefix);
  const lowerDir = path.join(base, 'lower');
  const upperDir = path.join(base, 'upper');
  fs.mkdirSync(lowerDir);
  fs.mkdirSync(upperDir);
  writeTree(lowerDir, entries);
  const lower = new DirLayer(lowerDir, { readOnly: true, ...lowerOptions });
  const upper = new DirLayer(upperDir);
  return {
    base, lowerDir, upperDir, lower, upper,
    done() { lower.close(); upper.close(); removeTree(base); },
  };
}
