// The data set as Strata MemoryLayers (the layers every Strata benchmark runs on).
import type { Dataset, LayerSpec } from '../dataset.js';
import type { MemoryLayerLike, StrataApi } from '../engine.js';
import { fileData } from './fill.js';

export interface MemoryStack {
  upper: MemoryLayerLike;
  lowers: MemoryLayerLike[];
}

export interface MemoryLayerOptions {
  ttlMs?: number;
  clock?: () => number;
}

function toMemoryLayer(api: StrataApi, spec: LayerSpec, options: MemoryLayerOptions): MemoryLayerLike {
  const layer = new api.MemoryLayer({ name: spec.name, ...options });
  for (const [path, node] of spec.nodes) {
    if (path === '/') continue;
    switch (node.type) {
      case 'dir': layer.mkdir(path, { recursive: true, opaque: node.opaque }); break;
      case 'file': layer.writeFile(path, fileData(node.size)); break;
      case 'symlink': layer.symlink(node.target, path); break;
      case 'whiteout': layer.whiteout(path); break;
    }
  }
  return layer;
}

export function toMemoryStack(api: StrataApi, ds: Dataset, options: MemoryLayerOptions = {}): MemoryStack {
  return {
    upper: toMemoryLayer(api, ds.upper, options),
    lowers: ds.lowers.map((l) => toMemoryLayer(api, l, options)),
  };
}
