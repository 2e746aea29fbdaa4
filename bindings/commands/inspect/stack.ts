// The layer stack the inspection commands read: `--lower` (host directories or OCI tar layers,
// first = topmost) and an optional `--upper` directory, opened read-only so that looking can
// never write — no copy-up, no work directory, nothing created in the trees.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import { DirLayer, type DirLayerOptions } from '../../layers/dir-layer.js';
import type { Layer } from '../../layers/layer.js';
import { TarLayer } from '../../layers/tar-layer.js';
import { Overlay, type ResolveInfo } from '../../overlay.js';
import type { PolicyName } from '../../policy.js';

export interface StackSpec {
  lowers: string[];
  upper?: string;
  policy: PolicyName;
  /** Directory layers keep their marks in `user.overlay.*` (the kernel's userxattr format). */
  userxattr: boolean;
  /** Directory layers hold OCI whiteouts (`.wh.<name>`) instead of 0/0 character devices. */
  ociWhiteouts: boolean;
}

export interface Stack {
  overlay: Overlay;
  /** The argument each layer came from, for reports: sources.upper, sources.lowers[i]. */
  sources: { upper?: string; lowers: string[] };
  close(): void;
}

async function openLayer(source: string, options: DirLayerOptions): Promise<Layer> {
  let st: fs.Stats;
  try {
    st = fs.statSync(source);
  } catch (err) {
    throw fsError((err as NodeJS.ErrnoException).code ?? 'EIO', 'stat', source);
  }
  // A directory is a DirLayer; any regular file is taken as a tar (gzip is detected by content).
  if (st.isDirectory()) return new DirLayer(source, options);
  if (st.isFile()) return TarLayer.load(source);
  throw fsError('EINVAL', 'open', source);
}

export async function openStack(spec: StackSpec): Promise<Stack> {
  const opened: Layer[] = [];
  const closeAll = () => {
    for (const layer of opened) if (layer instanceof DirLayer) layer.close();
  };
  const dirOptions: DirLayerOptions = {
    readOnly: true,
    xattrs: spec.userxattr ? 'user' : 'auto',
    whiteouts: spec.ociWhiteouts ? 'oci' : 'device',
  };
  try {
    const lowers: Layer[] = [];
    for (const source of spec.lowers) {
      const layer = await openLayer(source, dirOptions);
      opened.push(layer);
      lowers.push(layer);
    }
    let upper: Layer | undefined;
    if (spec.upper !== undefined) {
      upper = await openLayer(spec.upper, dirOptions);
      opened.push(upper);
      if (!(upper instanceof DirLayer)) throw fsError('ENOTDIR', 'open', spec.upper);
    }
    const overlay = new Overlay({ lowers, upper, policy: spec.policy });
    return {
      overlay,
      sources: { upper: spec.upper, lowers: spec.lowers },
      close: () => {
        overlay.close();
        closeAll();
      },
    };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/** Short layer name for text output: `upper`, `lower0`, `lower1`, … */
export function layerLabel(info: ResolveInfo): string {
  return info.layer === 'upper' ? 'upper' : `lower${info.layer}`;
}

export function layerSource(stack: Stack, info: ResolveInfo): string {
  return (info.layer === 'upper' ? stack.sources.upper : stack.sources.lowers[info.layer]) ?? '';
}
