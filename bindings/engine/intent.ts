// Crash safety of the namespace changes that take more than one step in the upper. The kernel
// does each in one renameat2 (RENAME_EXCHANGE, RENAME_WHITEOUT); node:fs cannot, and DirLayer does
// through its native helper only where the host takes the flag (host/rename-at2.ts). Here the
// preparatory steps are ordered so that each intermediate state looks, through the overlay, like
// the state before (namespace.ts); the last steps — a rename followed by the whiteout it leaves, a
// directory replaced by a whiteout (rmdir, then the whiteout put in its place) — are announced
// first in an intent record on the upper's root directory, and removed after. An overlay opened
// on an upper that still carries one (the writer was killed in between) finishes those steps
// before anything else: it rolls the change forward, so the view is the old state or the new.
import { hasCode } from '../errors.js';
import { ABSENT, WHITEOUT, type Handle, type Layer } from '../layers/layer.js';

/** The xattr on the upper's root that holds the unfinished change (JSON). */
export const INTENT_XATTR = 'user.strata.intent';

export interface Intent {
  /** The upper path of the directory holding `name`. */
  dir: string;
  name: string;
  /** For a rename: where the object goes. */
  to?: { dir: string; name: string };
  /** Whether `name` ends as a whiteout (else absent). */
  whiteout: boolean;
}

/**
 * Announce the last steps of a change (every step before them already done). False when the
 * upper's file system takes no user xattrs (tmpfs before Linux 6.6): the change then goes
 * unannounced, as before (docs/known-limitations.md); any other failure fails the change.
 */
export function recordIntent(upper: Layer, intent: Intent): boolean {
  try {
    upper.setXattr(upper.root(), INTENT_XATTR, Buffer.from(JSON.stringify(intent)));
    return true;
  } catch (err) {
    if (hasCode(err, 'ENOTSUP') || hasCode(err, 'EOPNOTSUPP')) return false;
    throw err;
  }
}

/** The change is complete (or undone): forget it. A leftover record is harmless (see finish). */
export function clearIntent(upper: Layer): void {
  try {
    upper.setXattr(upper.root(), INTENT_XATTR, undefined);
  } catch {
    // Finishing it again at the next open finds nothing left to do.
  }
}

/**
 * At open: finish the change a killed writer announced, if any. Each step is done only if it is
 * still missing, so finishing twice is the same as finishing once. True if there was one.
 */
export function finishIntent(upper: Layer): boolean {
  const raw = upper.xattrs(upper.root())[INTENT_XATTR];
  if (raw === undefined) return false;
  let intent: Intent | undefined;
  try {
    intent = JSON.parse(Buffer.from(raw).toString('utf8')) as Intent;
  } catch {
    intent = undefined;
  }
  const dir = intent === undefined ? undefined : walk(upper, intent.dir);
  if (intent !== undefined && dir !== undefined) {
    let h = upper.lookup(dir, intent.name);
    // The rename was not done yet: its object is still at the source, prepared (marks set).
    if (intent.to !== undefined && h > 0) {
      const to = walk(upper, intent.to.dir);
      if (to !== undefined) {
        // A directory it replaces may still hold whiteouts (it was made opaque before they went).
        const old = upper.lookup(to, intent.to.name);
        if (old > 0 && upper.stat(old).type === 'dir') {
          for (const name of upper.list(old)) if (upper.lookup(old, name) === WHITEOUT) upper.removeName(old, name);
        }
        upper.renameName(dir, intent.name, to, intent.to.name, intent.whiteout);
      }
      h = upper.lookup(dir, intent.name);
    }
    // The whiteout replaces what is still there (an rmdir'ed directory holding only whiteouts).
    if (intent.whiteout && h !== WHITEOUT) upper.putWhiteout(dir, intent.name);
    else if (!intent.whiteout && h !== ABSENT && h !== WHITEOUT) upper.removeName(dir, intent.name);
  }
  clearIntent(upper);
  return true;
}

/** The upper's directory at `path`, or undefined. */
function walk(upper: Layer, path: string): Handle | undefined {
  let h = upper.root();
  for (const part of path.split('/')) {
    if (part === '') continue;
    const next = upper.lookup(h, part);
    if (next <= 0 || upper.stat(next).type !== 'dir') return undefined;
    h = next;
  }
  return h;
}
