// The one place the overlay's lookup stop rules live (docs/semantics.md facts 1–5), with the state of
// one name's lookup carried in one struct — as the kernel's struct ovl_lookup_data does.
// Layer indexes: 0 = upper (may be absent), i + 1 = lowers[i]; top-down order is ascending.
import { F_MERGED, F_OPAQUE, F_REDIRECT, F_WHITEOUT, T_DIR, T_FILE, T_NONE, T_OTHER, T_SYMLINK } from '../abi.js';
import { ABSENT, WHITEOUT, type Handle, type Layer, type NodeType } from '../layers/layer.js';

/** The stack as the engine sees it: index 0 is the upper (undefined when read-only). */
export type LayerStack = readonly (Layer | undefined)[];

export function typeCode(type: NodeType): number {
  switch (type) {
    case 'file': return T_FILE;
    case 'dir': return T_DIR;
    case 'symlink': return T_SYMLINK;
    default: return T_OTHER;
  }
}

/** The answer for one name, built layer by layer; reused between lookups (no allocation). */
export class LookupData {
  type = T_NONE;
  flags = 0;
  /** Topmost layer that answered (for a whiteout: the layer holding it). */
  layer = 0;
  /** Deepest layer consulted: a change in a layer below it cannot affect this answer. */
  lowest = 0;
  handle: Handle = 0;
  /**
   * The real objects behind the answer, top-down, as (layer, handle) pairs: a directory's merged
   * directories, or a metacopy file followed by the files below it down to the one with the data.
   */
  readonly reals: number[] = [];
  /** A metacopy file was found: the lookup goes on below for its data (docs/semantics.md fact 13). */
  metacopy = false;
  /** A metacopy file whose data is nowhere below: the lookup fails (EIO), as the kernel's does. */
  broken = false;
  /**
   * A metacopy file met with metacopy off: the lookup fails (EPERM), as the kernel's "refusing to
   * follow metacopy origin" — a metacopy mark from an untrusted layer must not redirect reads.
   */
  refused = false;
  /**
   * Redirects met, as (layer, redirect) pairs: layers below `layer` look the directory up at
   * `redirect` (absolute: from their roots; relative: a new name in the same parent).
   */
  redirects: (number | string)[] | undefined = undefined;
  stop = false;

  reset(): void {
    this.type = T_NONE;
    this.flags = 0;
    this.layer = 0;
    this.lowest = 0;
    this.handle = 0;
    this.reals.length = 0;
    this.metacopy = false;
    this.broken = false;
    this.refused = false;
    this.redirects = undefined;
    this.stop = false;
  }
}

/** The root merges every layer's root; opaque and redirect marks on roots are ignored. */
export function lookupRoot(layers: LayerStack, d: LookupData): void {
  d.reset();
  for (let L = 0; L < layers.length; L++) {
    const layer = layers[L];
    if (layer === undefined) continue;
    const h = layer.root();
    if (d.type === T_NONE) { d.type = T_DIR; d.layer = L; d.handle = h; }
    d.reals.push(L, h);
    d.lowest = L;
  }
  if (d.reals.length > 2) d.flags |= F_MERGED;
}

/**
 * Look `name` up in a directory whose real directories are `parent` ((layer, handle) pairs,
 * top-down, already cut at an opaque one). Redirects are followed when `followRedirects` is set
 * (redirect_dir); metacopy files are followed to their data when `followMetacopy` is set, else
 * refused (metacopy). Fills `d`.
 */
export function lookupName(
  layers: LayerStack, parent: readonly number[], name: string, followRedirects: boolean, followMetacopy: boolean, d: LookupData,
): void {
  d.reset();
  let current = name;
  for (let k = 0; k < parent.length && !d.stop; k += 2) {
    const L = parent[k];
    const layer = layers[L]!;
    const h = layer.lookup(parent[k + 1], current);
    if (d.metacopy) considerData(d, layer, L, h);
    else consider(d, layer, L, h, followRedirects, followMetacopy);
    const redirect = d.metacopy ? dataRedirectAt(d, layers, L) : redirectAt(d, L);
    if (redirect === undefined) continue;
    if (redirect.charCodeAt(0) === 47 /* / */) {
      // An absolute redirect leaves the parent: every layer below continues from its root.
      if (d.metacopy) lookupDataByPath(layers, L + 1, redirect, d);
      else lookupBelowByPath(layers, L + 1, redirect, d);
      break;
    }
    current = redirect;
  }
  // A metacopy file whose data was not found below it cannot be used.
  if (d.metacopy && !d.stop) d.broken = true;
  finish(d);
}

/**
 * The redirect of a metacopy file found at layer L (the kernel writes one when it renames a
 * metacopy file: its data is then below under the old path).
 */
function dataRedirectAt(d: LookupData, layers: LayerStack, L: number): string | undefined {
  const last = d.reals.length - 2;
  if (d.stop || d.reals[last] !== L) return undefined;
  const r = layers[L]!.redirect(d.reals[last + 1]);
  return r === '' ? undefined : r;
}

/** A metacopy file's data below an absolute redirect: each layer >= first walked from its root. */
function lookupDataByPath(layers: LayerStack, first: number, path: string, d: LookupData): void {
  const parts = splitPath(path);
  for (let L = first; L < layers.length && !d.stop; L++) {
    const layer = layers[L]!;
    d.lowest = L;
    let dir = layer.root();
    let reached = parts.length > 0;
    for (let i = 0; i < parts.length - 1 && reached; i++) {
      const h = layer.lookup(dir, parts[i]);
      if (h === WHITEOUT || (h !== ABSENT && typeOf(layer, h) !== 'dir')) { d.stop = true; d.broken = true; return; }
      reached = h !== ABSENT;
      dir = h;
    }
    if (reached) considerData(d, layer, L, layer.lookup(dir, parts[parts.length - 1]));
  }
}

/** The redirect a directory found at layer L carries, if this lookup just met one there. */
function redirectAt(d: LookupData, L: number): string | undefined {
  const r = d.redirects;
  if (r === undefined || r[r.length - 2] !== L) return undefined;
  return r[r.length - 1] as string;
}

/** Continue a redirected lookup in layers >= first, each from its root along `path`. */
function lookupBelowByPath(layers: LayerStack, first: number, path: string, d: LookupData): void {
  let parts = splitPath(path);
  for (let L = first; L < layers.length && !d.stop; L++) {
    const layer = layers[L]!;
    let dir = layer.root();
    let opaqueAbove = false;
    let reached = true;
    for (let i = 0; i < parts.length - 1; i++) {
      const h = layer.lookup(dir, parts[i]);
      if (h === ABSENT) { reached = false; break; }
      if (h === WHITEOUT || typeOf(layer, h) !== 'dir') { d.stop = true; reached = false; break; }
      if (layer.isOpaque(h)) opaqueAbove = true;
      dir = h;
    }
    d.lowest = L;
    if (reached) {
      // Below a redirected directory, so a file here only ends the merge (metacopy is moot).
      consider(d, layer, L, parts.length === 0 ? dir : layer.lookup(dir, parts[parts.length - 1]), true, false);
      const redirect = redirectAt(d, L);
      if (redirect !== undefined) {
        parts = redirect.charCodeAt(0) === 47 ? splitPath(redirect) : [...parts.slice(0, -1), redirect];
      }
    }
    if (opaqueAbove) d.stop = true;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The type of a handle a lookup just returned: from the layer's own stat record where it has one
 * (a DirLayer proves the object is still there with one lstat of its path, or none while a watch
 * vouches for it, instead of a contained walk), else from stat(), which fails with ESTALE for a
 * dead object as peekStat's undefined would.
 */
function typeOf(layer: Layer, h: Handle): NodeType {
  return (layer.peekStat?.(h) ?? layer.stat(h)).type;
}

/** Apply the stop rules to what layer L holds at the name (a handle, ABSENT or WHITEOUT). */
function consider(d: LookupData, layer: Layer, L: number, h: Handle, followRedirects: boolean, followMetacopy: boolean): void {
  d.lowest = L;
  if (h === ABSENT) return;
  if (h === WHITEOUT) {
    // Fact 4: a whiteout hides the name below; under a directory found above, it ends the merge.
    if (d.type === T_NONE) { d.flags |= F_WHITEOUT; d.layer = L; }
    d.stop = true;
    return;
  }
  const type = typeCode(typeOf(layer, h));
  if (d.type === T_NONE) {
    d.type = type;
    d.layer = L;
    d.handle = h;
    if (type !== T_DIR) {
      // Fact 13: a metacopy file's data is the first full file below it; look on.
      if (type === T_FILE && layer.isMetacopy(h)) {
        if (followMetacopy) { d.reals.push(L, h); d.metacopy = true; return; }
        d.refused = true;
      }
      // Fact 1: a non-directory hides everything below it.
      d.stop = true;
      return;
    }
    d.reals.push(L, h);
    // Fact 5: an opaque directory is visible itself but hides every same-named one below.
    if (layer.isOpaque(h)) { d.flags |= F_OPAQUE; d.stop = true; return; }
    if (followRedirects) noteRedirect(d, layer, L, h, true);
    return;
  }
  // Fact 2: under a directory found above, a non-directory is invisible and ends the lookup.
  if (type !== T_DIR) { d.stop = true; return; }
  // Fact 3: directories of the same name merge.
  d.reals.push(L, h);
  if (layer.isOpaque(h)) { d.stop = true; return; }
  if (followRedirects) noteRedirect(d, layer, L, h, false);
}

/** Below a metacopy file: skip absent layers; a full file ends the search, anything else breaks it. */
function considerData(d: LookupData, layer: Layer, L: number, h: Handle): void {
  d.lowest = L;
  if (h === ABSENT) return;
  d.stop = true;
  if (h === WHITEOUT || typeOf(layer, h) !== 'file') { d.broken = true; return; }
  d.reals.push(L, h);
  if (layer.isMetacopy(h)) d.stop = false;
}

function noteRedirect(d: LookupData, layer: Layer, L: number, h: Handle, topmost: boolean): void {
  const r = layer.redirect(h);
  if (r === undefined || r === '') return;
  if (topmost) d.flags |= F_REDIRECT;
  (d.redirects ??= []).push(L, r);
}

function finish(d: LookupData): void {
  if (d.type === T_DIR && d.reals.length > 2) d.flags |= F_MERGED;
}
