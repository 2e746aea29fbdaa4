// The reference model's view of a layer stack: how one name resolves across layers, what a merged
// directory lists, and whether a name exists below the upper. Every answer is computed from the
// layers at the moment it is asked (no cache), so the model stays correct while someone else
// mutates the layers.
//
// Stop rules (docs/semantics.md facts 1-5), as the kernel's ovl_lookup applies them:
// - the first entry found for a name decides its type; a non-directory ends the lookup (fact 1);
// - below a directory, only directories merge; a non-directory or a whiteout below ends it (fact 2);
// - a whiteout before anything was found makes the name absent (fact 4);
// - an opaque directory is kept but nothing below it is consulted (fact 5);
// - a directory with a redirect (redirect_dir) sends the lookup in the layers below it to the
//   redirect's absolute path, walked from each of those layers' roots.
// Settled on the kernel (6.18, overlay mounted with redirect_dir=on): a directory renamed into a
// redirected directory's child gets the lower path as redirect ("/d/t" for /x/d3/t when /x/d3
// redirects to "/d"); so a directory's `lowerPath` is where its lowers are found, not its name.
import type { Handle, Layer, NodeStat, NodeType } from '../../layers/layer.js';
import { ABSENT, WHITEOUT } from '../../layers/layer.js';

/** One real object in one layer. `li` is 0 for the upper, i + 1 for lowers[i]. */
export interface Real {
  li: number;
  layer: Layer;
  h: Handle;
}

/** An object visible through the overlay, built fresh by each walk. */
export interface MNode {
  type: NodeType;
  /**
   * Topmost first. A directory: the real directories it merges. A file: the file, then (when the
   * topmost is a metacopy) the lower files its data comes from.
   */
  reals: Real[];
  /** The physical parent directory (null for the root). */
  parent: MNode | null;
  /** Its name in the parent ('' for the root). */
  name: string;
  /** Directories: the absolute path at which its lower directories are found (see header). */
  lowerPath: string;
}

/** A name that resolved to nothing: `whiteout` when a whiteout hides it (else merely absent). */
export interface Missing {
  type: 'none';
  whiteout: boolean;
}

/** A metacopy file whose data cannot be found below it: the kernel fails such a lookup (EIO). */
export interface Broken {
  type: 'broken';
}

/** A metacopy file met with metacopy off: the kernel refuses to follow it (EPERM). */
export interface Refused {
  type: 'refused';
}

export type Lookup = MNode | Missing | Broken | Refused;

export function isNode(l: Lookup): l is MNode {
  return l.type !== 'none' && l.type !== 'broken' && l.type !== 'refused';
}

export interface StackOptions {
  redirectDir: boolean;
  metacopy: boolean;
}

/** The layer stack in overlay order: index 0 the upper (when there is one), i + 1 lowers[i]. */
export class LayerStack {
  constructor(
    readonly upper: Layer | undefined,
    readonly lowers: readonly Layer[],
    readonly options: StackOptions,
  ) {}

  layerAt(li: number): Layer {
    return li === 0 ? this.upper! : this.lowers[li - 1];
  }

  /**
   * The overlay root: every layer's root merged. Opaque marks on layer roots are not consulted:
   * the root of each layer always takes part (as the kernel's mount does).
   */
  root(): MNode {
    const reals: Real[] = [];
    if (this.upper) reals.push({ li: 0, layer: this.upper, h: this.upper.root() });
    this.lowers.forEach((layer, i) => reals.push({ li: i + 1, layer, h: layer.root() }));
    return { type: 'dir', reals, parent: null, name: '', lowerPath: '/' };
  }

  /** Resolve `name` inside directory `dir` across its layers. */
  lookup(dir: MNode, name: string): Lookup {
    const found: Real[] = [];
    let type: NodeType | undefined;
    let lowerPath: string | undefined;
    // Where the name lives in the layers below, as an absolute path. Until a redirect is met the
    // name is looked up in the directory's own reals; after one, each lower layer below the
    // redirecting one is searched by walking `path` from its root.
    let path = join(dir.lowerPath, name);
    let redirected = false;
    let nextLi = 0;
    let ci = 0;
    for (;;) {
      let li: number;
      let layer: Layer;
      let h: Handle;
      let stopBelow = false;
      let redirectBelow: string | undefined;
      if (!redirected) {
        if (ci >= dir.reals.length) break;
        const c = dir.reals[ci++];
        li = c.li;
        layer = c.layer;
        h = layer.lookup(c.h, name);
      } else {
        li = nextLi++;
        if (li > this.lowers.length) break;
        layer = this.layerAt(li);
        const walked = this.walkPath(layer, splitPath(path));
        if (walked.kind === 'absent') continue;
        if (walked.kind === 'stop') break;
        h = walked.h;
        stopBelow = walked.opaqueOnTheWay;
        redirectBelow = walked.redirect;
      }
      if (h === ABSENT) continue;
      if (h === WHITEOUT) {
        if (found.length === 0) return { type: 'none', whiteout: true };
        break;
      }
      const st = layer.stat(h);
      if (found.length === 0) {
        type = st.type;
        found.push({ li, layer, h });
        if (li > 0) lowerPath = path;
        if (st.type === 'file' && layer.isMetacopy(h)) {
          if (!this.options.metacopy) return { type: 'refused' };
          return this.metacopyData(dir, name, found, li);
        }
        if (st.type !== 'dir') break;
      } else {
        if (st.type !== 'dir') break;
        found.push({ li, layer, h });
        if (li > 0 && lowerPath === undefined) lowerPath = path;
      }
      if (stopBelow || layer.isOpaque(h)) break;
      const target = this.options.redirectDir ? layer.redirect(h) : undefined;
      if (target !== undefined) redirectBelow = normalizeRedirect(target);
      if (redirectBelow !== undefined) {
        path = redirectBelow;
        redirected = true;
      }
      if (redirected) nextLi = li + 1;
    }
    if (type === undefined) return { type: 'none', whiteout: false };
    return { type, reals: found, parent: dir, name, lowerPath: lowerPath ?? path };
  }

  /**
   * Walk an absolute path from `layer`'s root, in that layer alone (a redirect's target). `stop`
   * ends the lookup for this layer and every layer below (a whiteout or a non-directory on the
   * way). An opaque directory on the way still yields this layer's directory but stops the layers
   * below, and a redirect on the way sends them elsewhere (kernel ovl_lookup_layer walks the whole
   * path in a layer with d->stop set, and ovl_check_redirect rewrites the rest of the path).
   */
  private walkPath(
    layer: Layer,
    components: string[],
  ): { kind: 'absent' } | { kind: 'stop' } | { kind: 'found'; h: Handle; redirect?: string; opaqueOnTheWay: boolean } {
    let h = layer.root();
    let opaqueOnTheWay = false;
    let redirect: string | undefined;
    for (let i = 0; i < components.length; i++) {
      const next = layer.lookup(h, components[i]);
      if (next === ABSENT) return { kind: 'absent' };
      if (next === WHITEOUT) return { kind: 'stop' };
      if (layer.stat(next).type !== 'dir') return { kind: 'stop' };
      h = next;
      if (i < components.length - 1) {
        if (layer.isOpaque(h)) opaqueOnTheWay = true;
        const r = this.options.redirectDir ? layer.redirect(h) : undefined;
        if (r !== undefined) redirect = join(normalizeRedirect(r), ...components.slice(i + 1));
      }
    }
    return { kind: 'found', h, redirect, opaqueOnTheWay };
  }

  /**
   * A metacopy file's data lives in the first regular file found for the same name below it —
   * or, when the metacopy file has a redirect (the kernel's rename of one), at the redirect's
   * path, walked from each lower root; another metacopy in between passes the search on. Anything
   * else (whiteout, non-file, nothing) leaves the file without data: the kernel fails the lookup
   * with EIO.
   */
  private metacopyData(dir: MNode, name: string, found: Real[], fromLi: number): Lookup {
    const done = (): MNode => ({ type: 'file', reals: found, parent: dir, name, lowerPath: join(dir.lowerPath, name) });
    const redirect = found[0].layer.redirect(found[0].h);
    if (redirect !== undefined && redirect !== '') {
      const parts = splitPath(normalizeRedirect(redirect));
      for (let li = fromLi + 1; li <= this.lowers.length; li++) {
        const layer = this.layerAt(li);
        const parent = this.walkDirs(layer, parts.slice(0, -1));
        if (parent === 'stop') return { type: 'broken' };
        if (parent === 'absent') continue;
        const h = layer.lookup(parent, parts[parts.length - 1]);
        if (h === ABSENT) continue;
        if (h === WHITEOUT || layer.stat(h).type !== 'file') return { type: 'broken' };
        found.push({ li, layer, h });
        if (!layer.isMetacopy(h)) return done();
      }
      return { type: 'broken' };
    }
    for (const c of dir.reals) {
      if (c.li <= fromLi) continue;
      const h = c.layer.lookup(c.h, name);
      if (h === ABSENT) continue;
      if (h === WHITEOUT) return { type: 'broken' };
      if (c.layer.stat(h).type !== 'file') return { type: 'broken' };
      found.push({ li: c.li, layer: c.layer, h });
      if (!c.layer.isMetacopy(h)) return done();
    }
    return { type: 'broken' };
  }

  /** The directory at `components` in one layer; a whiteout or non-directory on the way stops. */
  private walkDirs(layer: Layer, components: string[]): Handle | 'absent' | 'stop' {
    let h = layer.root();
    for (const c of components) {
      const next = layer.lookup(h, c);
      if (next === ABSENT) return 'absent';
      if (next === WHITEOUT || layer.stat(next).type !== 'dir') return 'stop';
      h = next;
    }
    return h;
  }

  /**
   * The visible entries of a directory, each once, the topmost winning (its type), whiteouts
   * omitted (fact 9). Sorted by name so answers are deterministic.
   */
  listing(dir: MNode): { name: string; type: NodeType; mode: number }[] {
    const seen = new Set<string>();
    const out: { name: string; type: NodeType; mode: number }[] = [];
    for (const r of dir.reals) {
      for (const name of r.layer.list(r.h)) {
        if (seen.has(name)) continue;
        seen.add(name);
        const h = r.layer.lookup(r.h, name);
        if (h === WHITEOUT || h === ABSENT) continue;
        const st = r.layer.stat(h);
        out.push({ name, type: st.type, mode: st.mode });
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * Whether removing `child` (found as `name` in `dir`) must leave a whiteout: it is lower-only, or
   * the first thing the directory's lower layers hold for the name is not a whiteout (facts 14, 19;
   * kernel ovl_lower_positive).
   */
  lowerPositive(dir: MNode, name: string, child: MNode): boolean {
    if (child.reals[0].li !== 0) return true;
    for (const r of dir.reals) {
      if (r.li === 0) continue;
      const h = r.layer.lookup(r.h, name);
      if (h === ABSENT) continue;
      return h !== WHITEOUT;
    }
    return false;
  }

  /** stat() of a real object. */
  statOf(r: Real): NodeStat {
    return r.layer.stat(r.h);
  }
}

export function join(base: string, ...names: string[]): string {
  let out = base;
  for (const n of names) out = out === '/' ? `/${n}` : `${out}/${n}`;
  return out;
}

export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** Redirects are absolute overlay paths (Layer contract); a bare name is taken from the root. */
function normalizeRedirect(r: string): string {
  return r.startsWith('/') ? r : `/${r}`;
}
