// Namespace operations (the kernel's dir.c) on walked entries: create, mkdir with its opaque
// rule, unlink, rmdir, rename, link — with the whiteouts and opaque/redirect marks they leave in
// the upper. Each write records its steps in a journal and undoes them if a later one fails, then
// caches the fresh answer for every name it changed (never counted as a change underneath).
import { F_WHITEOUT, NO_ENTRY, T_DIR, T_NONE } from '../abi.js';
import type { StrataError } from '../errors.js';
import { ABSENT, WHITEOUT, type Handle, type NodeSpec } from '../layers/layer.js';
import type { SplitPath } from './args.js';
import { WriteJournal } from './copy-up.js';
import { clearIntent, recordIntent, type Intent } from './intent.js';
import { journaled, type EngineParts } from './inode.js';
import { listingWithName, type Listings } from './readdir.js';
import { entryPath, type RedirectIndex } from './redirects.js';
import type { Resolver } from './resolver.js';
import type { Walked } from './walked.js';

type Fail = (code: string) => StrataError;

/** The lookups a two-path operation repeats before writing on each side (the engine's). */
export interface Lookups {
  lookupLast(sp: SplitPath, syscall: string, ePath: string, eDest: string | undefined, slot: number): Walked;
  existing(path: string, follow: boolean, syscall: string, ePath: string, eDest: string | undefined, slot: number): Walked;
}

export interface NamespaceParts extends EngineParts {
  resolver: Resolver;
  redirects: RedirectIndex;
  listings: Listings;
  lookups: Lookups;
  redirectDir: boolean;
  metacopy: boolean;
}

/** View slots of a two-path operation. */
const SRC = 0;
const DST = 1;

export class Namespace {
  constructor(private readonly e: NamespaceParts) {}

  /** A new object `name` in directory entry `parent` (its parent copied up first). */
  create(parent: number, name: string, spec: NodeSpec): void {
    // The hot writes (create, unlink) journal inline: no closure per call.
    const j = new WriteJournal(this.e.cache, this.e.table);
    try {
      this.e.upper!.createNode(this.e.copyUp.upperDir(parent, j), name, spec);
    } catch (err) {
      j.rollback();
      throw err;
    }
    this.nameChanged(parent, name);
  }

  /**
   * mkdir at a name walked negative (`last`). Fact 16: over a whiteout in the upper the new
   * directory is opaque (the lower ones stay hidden). And as the kernel does when redirect_dir,
   * metacopy or index is on (lowers may then not change offline), a directory made in a merged parent is
   * opaque too: lookups in it need not look below. The view is the same either way; the upper
   * matches the kernel's.
   */
  mkdir(last: Walked, name: string, mode: number): void {
    const parent = last.parent;
    const opaque = ((last.flags & F_WHITEOUT) !== 0 && last.layer === 0) ||
      ((this.e.redirectDir || this.e.metacopy || this.e.index.enabled) && hasLower(this.e.table.realsOf(parent)));
    this.create(parent, name, { type: 'dir', mode, opaque });
  }

  /** Facts 14, 19: remove a non-directory `w`, walked at `name`; a name that exists below keeps a whiteout. */
  unlink(w: Walked, name: string): void {
    const upper = this.e.upper!;
    const { parent, layer, handle } = w;
    const whiteout = this.lowerPositive(parent, name, layer);
    const j = new WriteJournal(this.e.cache, this.e.table);
    try {
      if (this.e.index.enabled) this.dropName(w.id, layer, handle, j);
      const dir = this.e.copyUp.upperDir(parent, j);
      if (whiteout) upper.putWhiteout(dir, name);
      else upper.removeName(dir, name);
    } catch (err) {
      j.rollback();
      throw err;
    }
    if (layer === 0 && !upper.alive(handle)) this.e.inodes.forget(handle);
    this.nameChanged(parent, name);
  }

  /** Fact 15: remove an empty (merged) directory `w`, walked at `name`: its child whiteouts go, one whiteout stays. */
  rmdir(w: Walked, name: string, fail: Fail): void {
    if (!this.e.listings.isEmpty(w.id)) throw fail('ENOTEMPTY');
    const upper = this.e.upper!;
    const parent = w.parent;
    const whiteout = this.lowerPositive(parent, name, w.layer);
    const upperPart = this.upperPartOf(w.id);
    // A directory replaced by a whiteout is two host steps (engine/intent.ts): announced first.
    const announce = whiteout && upperPart !== 0;
    journaled(this.e, (j) => {
      const dir = this.e.copyUp.upperDir(parent, j);
      // Replaced by a whiteout, the directory goes whole, its whiteouts with it (one host step
      // more, covered by the intent); removed, its whiteouts go first (they hide nothing below).
      if (announce) this.announce(j, { dir: entryPath(this.e.cache, parent), name, whiteout });
      else if (upperPart !== 0) this.clearWhiteouts(upperPart, j, false);
      if (whiteout) upper.putWhiteout(dir, name);
      else if (upperPart !== 0) upper.removeName(dir, name);
    });
    if (announce) clearIntent(upper);
    this.nameChanged(parent, name);
  }

  /**
   * rename, once both parents were walked and the overlay can write: the VFS's checks in its
   * order (they need the merged state), then the move — decided before anything is written, then
   * each side walked again before writing on it, `(id, gen)` checked before touching the cache.
   */
  rename(sp: SplitPath, dp: SplitPath, from: string, to: string, fail: Fail): void {
    const { cache, table, lookups } = this.e;
    const src = lookups.lookupLast(sp, 'rename', from, to, SRC);
    if (!src.found) throw fail('ENOENT');
    const srcIsDir = src.type === T_DIR;
    const srcLayer = src.layer;
    const srcHandle = src.handle;
    const srcReals = table.realsOf(src.id).slice();
    const srcHasLower = srcIsDir && hasLower(srcReals);
    const srcPath = entryPath(cache, src.id);
    const srcParentPath = entryPath(cache, src.parent);
    if (!srcIsDir && (sp.trailingSlash || dp.trailingSlash)) throw fail('ENOTDIR');
    const dst = lookups.lookupLast(dp, 'rename', from, to, DST);
    const dstType = dst.found ? dst.type : T_NONE;
    const dstParentPath = entryPath(cache, dst.parent);
    // The VFS's traps: a directory moved below itself, or onto one of its ancestors.
    if (srcIsDir && isWithin(dstParentPath, srcPath)) throw fail('EINVAL');
    if (dstType === T_DIR && isWithin(srcParentPath, entryPath(cache, dst.id))) throw fail('ENOTEMPTY');
    // One object (one name, or two names of one upper object): nothing to do. Two lower names of
    // one hard link are two files to the kernel (index off: copy-up splits them), so a rename
    // between them goes ahead as between any two files.
    if (dst.found && dst.layer === srcLayer && dst.handle === srcHandle && (srcLayer === 0 || this.e.index.enabled || entryPath(cache, dst.id) === srcPath)) return;
    // index=on: names of one joined file are one file too.
    const joined = dst.found && !srcIsDir ? this.e.index.of(srcLayer, srcHandle) : undefined;
    if (joined !== undefined && joined === this.e.index.of(dst.layer, dst.handle)) return;
    if (dst.found && srcIsDir && dstType !== T_DIR) throw fail('ENOTDIR');
    if (dst.found && !srcIsDir && dstType === T_DIR) throw fail('EISDIR');
    if (srcIsDir && srcHasLower && !this.e.redirectDir) throw fail('EXDEV');
    const dstUpperDir = dstType === T_DIR ? this.upperPartOf(dst.id) : 0;
    const dstHasLower = dstType === T_DIR && hasLower(table.realsOf(dst.id));
    if (dstType === T_DIR && !this.e.listings.isEmpty(dst.id)) throw fail('ENOTEMPTY');
    this.move(sp, dp, from, to, { srcIsDir, srcHasLower, srcLayer, srcReals, dstUpperDir, dstHasLower });
  }

  private move(sp: SplitPath, dp: SplitPath, from: string, to: string, plan: MovePlan): void {
    const { table, copyUp, lookups } = this.e;
    const upper = this.e.upper!;
    const srcName = sp.last!;
    const dstName = dp.last!;
    let srcParent = NO_ENTRY, srcParentGen = 0, dstParent = NO_ENTRY, announced = false;
    journaled(this.e, (j) => {
      // The source side: walk it again (pinning its chain) and bring it into the upper.
      const src = lookups.lookupLast(sp, 'rename', from, to, SRC);
      srcParent = src.parent;
      const whiteoutAtSource = this.lowerPositive(srcParent, srcName, plan.srcLayer);
      const redirect = plan.srcIsDir && plan.srcHasLower ? this.e.redirects.layerPath(src.id, firstLowerLayer(plan.srcReals)) : undefined;
      const srcUpper = plan.srcIsDir ? copyUp.upperDir(src.id, j) : copyUp.wholeUpper(src.id, srcParent, srcName, j);
      const srcDir = copyUp.upperDir(srcParent, j);
      srcParentGen = table.gen[srcParent];
      // The destination side.
      dstParent = lookups.lookupLast(dp, 'rename', from, to, DST).parent;
      const dstDir = copyUp.upperDir(dstParent, j);
      if (plan.srcIsDir) {
        if (redirect !== undefined) this.mark(j, srcUpper, 'redirect', redirect);
        else if (!upper.isOpaque(srcUpper) && hasLower(table.realsOf(dstParent))) this.mark(j, srcUpper, 'opaque', true);
      }
      // The destination's whiteouts going, the rename, the whiteout it leaves (or one it
      // replaces: removed, then the rename) are separate host steps (engine/intent.ts): announced first.
      if (whiteoutAtSource || plan.dstUpperDir !== 0 || (plan.srcIsDir && upper.lookup(dstDir, dstName) === WHITEOUT)) {
        const paths = { dir: entryPath(this.e.cache, srcParent), to: entryPath(this.e.cache, dstParent) };
        this.announce(j, { dir: paths.dir, name: srcName, to: { dir: paths.to, name: dstName }, whiteout: whiteoutAtSource });
        announced = true;
      }
      if (plan.dstUpperDir !== 0) this.clearWhiteouts(plan.dstUpperDir, j, plan.dstHasLower);
      if (this.e.index.enabled) {
        // index=on: the file renamed over loses a name.
        const dst = lookups.lookupLast(dp, 'rename', from, to, DST);
        if (dst.found && dst.type !== T_DIR) this.dropName(dst.id, dst.layer, dst.handle, j);
      }
      upper.renameName(srcDir, srcName, dstDir, dstName, whiteoutAtSource);
      j.onUndo(() => upper.renameName(dstDir, dstName, srcDir, srcName));
      // Not left by the rename itself (a layer that cannot, or a host that refused): put now.
      if (whiteoutAtSource && upper.lookup(srcDir, srcName) !== WHITEOUT) upper.putWhiteout(srcDir, srcName);
    });
    if (announced) clearIntent(upper);
    this.nameChanged(dstParent, dstName);
    if (table.same(srcParent, srcParentGen)) this.nameChanged(srcParent, srcName);
  }

  /**
   * Fact 20: link, once the new name was found free: the lower file is copied up (whole) and the
   * new name links to the copy. Both paths are walked again here, as rename does.
   */
  link(existingPath: string, dp: SplitPath, newPath: string): void {
    const { copyUp, lookups } = this.e;
    const upper = this.e.upper!;
    const name = dp.last!;
    let dstParent = NO_ENTRY;
    journaled(this.e, (j) => {
      const src = lookups.existing(existingPath, false, 'link', existingPath, newPath, SRC);
      const srcUpper = copyUp.wholeUpper(src.id, src.parent, src.name, j);
      dstParent = lookups.lookupLast(dp, 'link', existingPath, newPath, DST).parent;
      const dir = copyUp.upperDir(dstParent, j);
      if (upper.lookup(dir, name) === WHITEOUT) {
        upper.removeName(dir, name);
        j.onUndo(() => upper.putWhiteout(dir, name));
      }
      // Its entry is read (from disk, the first time) before the host count changes.
      const joined = this.e.index.of(0, srcUpper);
      upper.linkName(srcUpper, dir, name);
      if (joined !== undefined) {
        joined.nlink++;
        j.onUndo(() => { joined.nlink--; });
      }
    });
    this.nameChanged(dstParent, name);
  }

  /**
   * index=on: a name of a joined file goes (unlink, or renamed over): one link less. (The kernel
   * copies the file up first if no name of it was — its count lives with the upper — which shows
   * nowhere but in its work directory.)
   */
  private dropName(id: number, L: number, h: Handle, j: WriteJournal): void {
    const { index, layers } = this.e;
    let entry = index.of(L, h);
    if (entry === undefined && L > 0) {
      const st = layers[L]!.stat(h);
      if (index.wants(st.type, st.nlink)) entry = index.enter(L, h, st.nlink, this.e.table.realsOf(id));
    }
    if (entry === undefined) return;
    const joined = entry;
    if (L === 0) j.onUndo(index.beforeUpperNameGoes(joined, layers[0]!, () => this.joinedContent(id, L, h)));
    // On disk the count is rewritten (after the in-memory undo, on failure); an upper name's host link goes next.
    j.onUndo(() => index.persist(joined));
    joined.nlink--;
    j.onUndo(() => { joined.nlink++; });
    if (L > 0) j.onUndo(index.keepInIndex(joined, layers[L]!, h));
    index.persist(joined, L === 0 ? -1 : 0);
  }

  /** The content of an upper file about to lose a name (its metacopy data read through). */
  private joinedContent(id: number, L: number, h: Handle): Uint8Array {
    const reals = this.e.table.reals[id];
    if (reals !== undefined) return this.e.copyUp.contentOf(reals);
    const st = this.e.layers[L]!.stat(h);
    return st.type === 'file' ? this.e.layers[L]!.read(h) : new Uint8Array(0);
  }

  /** A name in directory entry `parent` changed through the overlay: cache the fresh answer. */
  private nameChanged(parent: number, name: string): void {
    const listing = this.e.table.listings[parent];
    const id = this.e.resolver.relookup(parent, name);
    this.e.table.dropListing(parent);
    // Update the cached listing in place of a rebuild (engine/readdir.ts) when the fresh answer is cached.
    if (listing === undefined || id === NO_ENTRY) return;
    const cache = this.e.cache;
    this.e.table.listings[parent] = listingWithName(listing, name,
      cache.type(id) !== T_NONE ? { layer: cache.layer(id), handle: cache.handle(id) } : undefined);
  }

  /** Whether a name's removal must leave a whiteout: something below the upper would show. */
  private lowerPositive(parent: number, name: string, topLayer: number): boolean {
    if (topLayer !== 0) return true;
    const reals = this.e.table.realsOf(parent);
    for (let k = 0; k < reals.length; k += 2) {
      const L = reals[k];
      if (L === 0) continue;
      const h = this.e.layers[L]!.lookup(reals[k + 1], name);
      if (h !== ABSENT) return h !== WHITEOUT;
    }
    return false;
  }

  /** The upper directory of a directory entry, or 0 when it has none. */
  private upperPartOf(id: number): Handle {
    const reals = this.e.table.realsOf(id);
    return reals[0] === 0 ? reals[1] : 0;
  }

  /**
   * Remove the whiteouts an upper directory holds (all it holds, once it looks empty). When they
   * hide a lower directory's names (`hidesLower`) the directory is made opaque first: it then
   * looks empty without them, so a writer killed halfway shows none of the names they hid.
   */
  private clearWhiteouts(dir: Handle, j: WriteJournal, hidesLower: boolean): void {
    const upper = this.e.upper!;
    const names = upper.list(dir);
    if (hidesLower && names.length > 0 && !upper.isOpaque(dir)) this.mark(j, dir, 'opaque', true);
    for (const name of names) {
      if (upper.lookup(dir, name) !== WHITEOUT) continue;
      upper.removeName(dir, name);
      j.onUndo(() => upper.putWhiteout(dir, name));
    }
  }

  /** Record the last steps of a change before taking them (engine/intent.ts), undoable. */
  private announce(j: WriteJournal, intent: Intent): void {
    const upper = this.e.upper!;
    if (recordIntent(upper, intent)) j.onUndo(() => clearIntent(upper));
  }

  /** Set an opaque or redirect mark on an upper directory, undoable. */
  private mark(j: WriteJournal, dir: Handle, kind: 'opaque' | 'redirect', value: boolean | string): void {
    const upper = this.e.upper!;
    if (kind === 'opaque') {
      const was = upper.isOpaque(dir);
      upper.setOpaqueMark(dir, value as boolean);
      j.onUndo(() => upper.setOpaqueMark(dir, was));
    } else {
      const was = upper.redirect(dir);
      upper.setRedirectMark(dir, value as string);
      j.onUndo(() => upper.setRedirectMark(dir, was));
    }
  }
}

/** What rename decided before writing. */
interface MovePlan {
  srcIsDir: boolean;
  srcHasLower: boolean;
  srcLayer: number;
  srcReals: number[];
  /** The destination directory's upper part, whose whiteouts go (0: none). */
  dstUpperDir: Handle;
  /** The destination is a directory with lower parts (its whiteouts hide names). */
  dstHasLower: boolean;
}

function hasLower(reals: readonly number[]): boolean {
  for (let k = 0; k < reals.length; k += 2) if (reals[k] > 0) return true;
  return false;
}

function firstLowerLayer(reals: readonly number[]): number {
  for (let k = 0; k < reals.length; k += 2) if (reals[k] > 0) return reals[k];
  return 1;
}

function isWithin(path: string, ancestor: string): boolean {
  return path === ancestor || ancestor === '/' || path.startsWith(ancestor + '/');
}
