// Paths of cached entries in the overlay and in each layer. They are the same path unless a
// directory on the way carries a redirect (redirect_dir, docs/semantics.md fact 18): then layers below
// the redirect hold that directory's contents elsewhere. The small set of cached redirected
// entries lets a change reported at a layer path be mapped back onto overlay paths.
import { NO_ENTRY, ROOT_ID } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { EntryTable } from './entry-table.js';

/** The overlay path of a live entry (its cached parent chain). */
export function entryPath(cache: DentryCache, id: number): string {
  if (id === ROOT_ID) return '/';
  const names: string[] = [];
  for (let a = id; a !== ROOT_ID && a !== NO_ENTRY; a = cache.parent(a)) names.push(cache.name(a));
  return '/' + names.reverse().join('/');
}

export function joinPath(dir: string, name: string): string {
  return dir === '/' ? '/' + name : dir + '/' + name;
}

export class RedirectIndex {
  /** Cached entries whose lookup met a redirect: id → gen when recorded. */
  private readonly ids = new Map<number, number>();

  constructor(private readonly cache: DentryCache, private readonly table: EntryTable) {}

  get size(): number { return this.ids.size; }

  note(id: number): void {
    if (this.table.redirects[id] !== undefined) this.ids.set(id, this.table.gen[id]);
  }

  clear(): void { this.ids.clear(); }

  /** The path at which layer `layer` holds the directory (or name) of entry `id`. */
  layerPath(id: number, layer: number): string {
    if (id === ROOT_ID) return '/';
    const redirect = this.applicable(id, layer);
    const parent = this.cache.parent(id);
    if (redirect === undefined) return joinPath(this.layerPath(parent, layer), this.cache.name(id));
    if (redirect.charCodeAt(0) === 47) return normalize(redirect);
    return joinPath(this.layerPath(parent, layer), redirect);
  }

  /**
   * Overlay paths a change at `path` in layer `layer` may concern, besides `path` itself:
   * calls `hit(overlayPath, underRedirect)` — underRedirect false when the change is at or above
   * a redirect's source (the redirected directory itself is affected).
   */
  translate(layer: number, path: string, hit: (overlayPath: string, inside: boolean) => void): void {
    if (this.ids.size === 0) return;
    for (const [id, gen] of [...this.ids]) {
      if (!this.table.same(id, gen)) { this.ids.delete(id); continue; }
      if (this.applicable(id, layer) === undefined) continue;
      const source = this.layerPath(id, layer);
      const target = entryPath(this.cache, id);
      if (path === source) hit(target, false);
      else if (path.startsWith(source + '/')) hit(target + path.slice(source.length), true);
      else if (path === '/' || source.startsWith(path + '/')) hit(target, false);
    }
  }

  /**
   * True when `path` in layer `layer` is not where the overlay path of the same spelling looks:
   * a cached directory on the way redirects that layer elsewhere.
   */
  shadows(layer: number, path: string): boolean {
    if (this.ids.size === 0) return false;
    for (const [id, gen] of this.ids) {
      if (!this.table.same(id, gen) || this.applicable(id, layer) === undefined) continue;
      const at = entryPath(this.cache, id);
      if (path === at || path.startsWith(at + '/')) return true;
    }
    return false;
  }

  /** The redirect that layer `layer` follows for entry `id`, if any (the last one above it). */
  private applicable(id: number, layer: number): string | undefined {
    const pairs = this.table.redirects[id];
    if (pairs === undefined) return undefined;
    let found: string | undefined;
    for (let k = 0; k < pairs.length; k += 2) if ((pairs[k] as number) < layer) found = pairs[k + 1] as string;
    return found;
  }
}

function normalize(path: string): string {
  const parts = path.split('/').filter((c) => c !== '' && c !== '.');
  return '/' + parts.join('/');
}
