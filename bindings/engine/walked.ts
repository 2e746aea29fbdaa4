// What a lookup hands out: a small typed view of the walked entry, filled by the resolver from
// the cache's result record (raw result slots stay in the resolver and the cache wrapper). Views
// are reused, so a lookup allocates nothing: read one before the next lookup into the same view.
import { NO_ENTRY, T_DIR, T_NONE } from '../abi.js';
import type { DentryCache } from '../cache/dentry-cache.js';
import type { Handle, NodeStat } from '../layers/layer.js';

export class Walked {
  /** False: the last component does not exist (a negative entry; `id` is that entry). */
  found = false;
  /** The entry reached (for a negative answer, the negative entry of the missing component). */
  id = NO_ENTRY;
  /** The directory entry it was looked up in (NO_ENTRY for the root). */
  parent = NO_ENTRY;
  /** The entry table's generation of `id` when walked: (id, gen) tells a reused slot apart. */
  gen = 0;
  type = T_NONE;
  flags = 0;
  /** Topmost layer that answered: 0 = upper, i + 1 = lowers[i]. */
  layer = 0;
  handle: Handle = 0;
  /** For a negative answer: the missing component is the last of the path (it may be created). */
  last = false;
  /**
   * The cache answered the whole path in its first walk (no layer lookup, no re-walk, no link
   * followed): a walk of the same path would count the same hits (engine/stat-memo.ts).
   */
  pure = false;
  /** Index of the component the walk ended on ('.' and '..' count), -1 for the root. */
  index = -1;
  /**
   * The layer's live stat record when the liveness check could peek it (Layer.peekStat): copy it
   * out before any other layer call.
   */
  peeked: Readonly<NodeStat> | undefined = undefined;

  constructor(private readonly cache: DentryCache) {}

  /** The entry's name (decoded on demand; valid while `id` is). */
  get name(): string {
    return this.cache.name(this.id);
  }

  get isDir(): boolean {
    return this.type === T_DIR;
  }
}
