// Recognizes whole-image archives handed over as a layer — an OCI image layout (`oci-layout`,
// `index.json`, `blobs/`) or a `docker save` tar (`manifest.json` listing `Layers`) — and says
// which layer blobs to pass instead, topmost first as Strata's lowers are ordered.
import { WHITEOUT } from '../layer.js';
import type { MemoryLayer } from '../memory-layer.js';
import { notALayerError } from './archive-error.js';

const SHOWN_LAYERS = 12;
/** Image indexes nest (a multi-platform index points at per-platform manifests). */
const MAX_INDEX_DEPTH = 4;

function readJson(tree: MemoryLayer, path: string): unknown {
  const h = tree.handleAt(path);
  if (h <= 0 || h === WHITEOUT || tree.stat(h).type !== 'file') return undefined;
  try {
    return JSON.parse(Buffer.from(tree.read(h)).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isFile(tree: MemoryLayer, path: string): boolean {
  const h = tree.handleAt(path);
  return h > 0 && tree.stat(h).type === 'file';
}

interface Descriptor { digest?: unknown; mediaType?: unknown }

/** Layer blob paths of an OCI layout, bottom layer first (first image manifest found). */
function ociLayers(tree: MemoryLayer, index: unknown, depth = 0): string[] | undefined {
  const manifests = (index as { manifests?: Descriptor[] })?.manifests;
  if (!Array.isArray(manifests) || depth > MAX_INDEX_DEPTH) return undefined;
  for (const m of manifests) {
    if (typeof m?.digest !== 'string' || !/^[a-z0-9]+:[a-f0-9]+$/.test(m.digest)) continue;
    const doc = readJson(tree, `/blobs/${m.digest.replace(':', '/')}`) as { layers?: Descriptor[]; manifests?: unknown } | undefined;
    if (Array.isArray(doc?.layers)) {
      return doc!.layers.filter((l) => typeof l?.digest === 'string').map((l) => `blobs/${(l.digest as string).replace(':', '/')}`);
    }
    const nested = ociLayers(tree, doc, depth + 1);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

function advice(kind: string, layersBottomFirst: string[] | undefined): string {
  const top = (layersBottomFirst ?? []).slice().reverse();
  const shown = top.slice(0, SHOWN_LAYERS).map((p) => `--lower ${p}`).join(' ');
  const more = top.length > SHOWN_LAYERS ? ` … (${top.length - SHOWN_LAYERS} more)` : '';
  const which = top.length > 0 ? `, topmost first: ${shown}${more}` : ' (its manifest lists them)';
  return `this is ${kind}, not a layer: extract it (tar -xf) and pass each layer blob as a layer${which}`;
}

/** Throws EINVAL with advice when the archive is a whole image rather than one layer. */
export function refuseImageArchive(tree: MemoryLayer, where: string): void {
  if (isFile(tree, '/oci-layout') && isFile(tree, '/index.json') && tree.handleAt('/blobs') > 0) {
    throw notALayerError(where, advice('an OCI image layout (oci-layout, index.json, blobs/)', ociLayers(tree, readJson(tree, '/index.json'))));
  }
  const manifest = readJson(tree, '/manifest.json');
  if (Array.isArray(manifest) && manifest.length > 0 && Array.isArray((manifest[0] as { Layers?: unknown }).Layers)) {
    const layers = ((manifest[0] as { Layers: unknown[] }).Layers).filter((l): l is string => typeof l === 'string');
    throw notALayerError(where, advice('a `docker save` image archive (manifest.json)', layers));
  }
}
