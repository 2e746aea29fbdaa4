// The data set as memfs volumes joined by unionfs — the union filesystem most used in the Node
// ecosystem. It has no whiteouts or opaque directories: those are left out, and the peers suite
// compares only on paths whose answer does not depend on them (Dataset.workload.unionSafe).
import { Volume } from 'memfs';
import { Union, type IUnionFs } from 'unionfs';
import type { Dataset, LayerSpec } from '../dataset.js';
import { fileData } from './fill.js';

function toVolume(spec: LayerSpec): InstanceType<typeof Volume> {
  const vol = new Volume();
  for (const [path, node] of spec.nodes) {
    if (path === '/') continue;
    switch (node.type) {
      case 'dir': vol.mkdirSync(path, { recursive: true }); break;
      case 'file': vol.writeFileSync(path, fileData(node.size)); break;
      case 'symlink': vol.symlinkSync(node.target, path); break;
      case 'whiteout': break;
    }
  }
  return vol;
}

/** A unionfs whose topmost volume is the upper (unionfs: the last `use()` wins). */
export function toUnionFs(ds: Dataset): IUnionFs {
  const union = new Union();
  for (let i = ds.stack.length - 1; i >= 0; i--) union.use(toVolume(ds.stack[i]) as never);
  return union;
}
