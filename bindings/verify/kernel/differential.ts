// The kernel differential: one seed = random lower trees written twice, the kernel's overlayfs
// mounted over one copy and Strata (over DirLayers) over the other, then the same operations on
// both with every answer compared — values, errno codes, and st_ino identity. Along the way and
// at the end, whole-tree views are compared; after unmounting, the two upper directories are
// compared on disk, and each side is made to read the other's upper (the kernel mounts Strata's,
// Strata opens the kernel's), which must show the same tree again.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirLayer } from '../../layers/dir-layer.js';
import type { Layer } from '../../layers/layer.js';
import { createRng } from '../prng.js';
import {
  PathPool, READS, kernelQuirks, printOp, randomOp, runOnKernel, runOnStrata, showOutcome, touched, victims,
  type Op, type Outcome, type OverlayUnderTest,
} from './diff-ops.js';
import { InoIdentity } from './ino-identity.js';
import { readKernelIsolated } from './isolated-reads.js';
import { mountOverlay, mountScratchLabel, probeOverlayMount, removeScratch, unmountOverlay } from './kernel-mount.js';
import { describeSpec, randomLowers, specPaths, writeSpec, type SpecDir } from './lower-trees.js';
import { diffViews, kernelReader, overlayView, pathsView, strataReader, upperDiskView, type TreeView } from './tree-views.js';
import { scratchDir } from './host-fixtures.js';
import { isDeepStrictEqual } from 'node:util';

/** Builds the Strata side from layers: the engine's Overlay, or the reference model. */
export interface StrataTarget {
  name: string;
  create(o: { lowers: Layer[]; upper?: Layer } & OverlayModes): OverlayUnderTest;
}

/** The overlay options both sides run with (the kernel's mount options, Strata's Overlay options). */
export interface OverlayModes {
  redirectDir: boolean;
  /** metacopy=on (runs need redirect_dir on with it, as the kernel does); default off. */
  metacopy?: boolean;
  /** index=on; default off. */
  index?: boolean;
}

/** The modes as the kernel's mount options spell them. */
export function modesLabel(m: OverlayModes): string {
  const onOff = (b: boolean | undefined) => (b === true ? 'on' : 'off');
  return `redirect_dir=${onOff(m.redirectDir)},metacopy=${onOff(m.metacopy)},index=${onOff(m.index)}`;
}

/** The same modes as `strata diff-kernel` options. */
export function modesOptions(m: OverlayModes): string {
  const onOff = (b: boolean | undefined) => (b === true ? 'on' : 'off');
  return `--redirect-dir ${onOff(m.redirectDir)} --metacopy ${onOff(m.metacopy)} --index ${onOff(m.index)}`;
}

export interface DiffOptions extends OverlayModes {
  seed: number;
  /** Random operations to run (ignored when `script` is given). */
  ops: number;
  target: StrataTarget;
  /** Number of lower layers (default: 2 or 3, from the seed). */
  lowers?: number;
  /** Compare whole-tree views every this many operations (default 25; 0 = only at the end). */
  checkEvery?: number;
  /** Given lower trees and operations instead of random ones (scripted scenarios, replays). */
  spec?: SpecDir[];
  script?: Op[];
  /** Run only the first `limit` operations (shrinking a replay). */
  limit?: number;
}

/** What kind of check disagreed (a shrinker keeps a replay only if it fails the same way). */
export type CheckKind = 'answer' | 'follow-up' | 'ino' | 'view' | 'upper' | 'kernel-reads-strata' | 'strata-reads-kernel';

export interface Disagreement {
  kind: CheckKind;
  seed: number;
  redirectDir: boolean;
  /** All the modes of the run (redirectDir again, metacopy, index). */
  modes: OverlayModes;
  /** Index of the operation (or -1 for an end-of-run check). */
  index: number;
  what: string;
  detail: string;
  /** The operations up to and including the failing one, as replayable lines. */
  replay: string[];
  /** The same, as data, and the lower trees: what a shrinker needs to re-run it. */
  ops: Op[];
  spec: SpecDir[];
}

export interface DiffResult extends OverlayModes {
  seed: number;
  layers: string;
  opsRun: number;
  /** Answers compared (operation results, follow-up lstats, tree entries, upper entries). */
  answers: number;
  agreed: number;
  inoPairs: number;
  /** Kernel behaviour filtered out on purpose (see kernelQuirks in diff-ops.ts). */
  quirks: { listedWhiteouts: number; copyUpResidue: number; metacopyData: number; refusedListings: number };
  disagreement?: Disagreement;
}

interface Side {
  lowers: string[];
  upper: string;
}

export function runDifferential(o: DiffOptions): DiffResult {
  const support = probeOverlayMount();
  if (!support.ok) throw new Error(`kernel overlayfs unavailable: ${support.reason}`);
  const namespace = support.userxattr ? 'user' : 'trusted';
  const rng = createRng(o.seed);
  const spec = o.spec ?? randomLowers(rng, o.lowers ?? 2 + rng.int(2));
  const modes: OverlayModes = { redirectDir: o.redirectDir, metacopy: o.metacopy === true, index: o.index === true };
  const result: DiffResult = {
    seed: o.seed, ...modes, layers: describeSpec(spec), opsRun: 0, answers: 0, agreed: 0, inoPairs: 0,
    quirks: { listedWhiteouts: 0, copyUpResidue: 0, metacopyData: 0, refusedListings: 0 },
  };
  kernelQuirks.listedWhiteouts = 0;
  const base = scratchDir(mountScratchLabel('kdiff', String(o.seed)));
  const mk = (...p: string[]) => { const d = path.join(base, ...p); fs.mkdirSync(d, { recursive: true }); return d; };
  const kernel: Side = { lowers: spec.map((_, i) => mk('k', `l${i}`)), upper: mk('k', 'u') };
  const strata: Side = { lowers: spec.map((_, i) => mk('s', `l${i}`)), upper: mk('s', 'u') };
  const mnt = mk('k', 'm');
  const crossMnt = mk('s', 'm');
  const oldUmask = process.umask(0o022);
  const layers: DirLayer[] = [];
  const open = (dir: string, readOnly: boolean) => {
    const l = new DirLayer(dir, { readOnly, xattrs: namespace });
    layers.push(l);
    return l;
  };
  const openWith = (dir: string, workdir: string) => {
    const l = new DirLayer(dir, { xattrs: namespace, workdir });
    layers.push(l);
    return l;
  };
  const ran: Op[] = [];
  const fail = (kind: CheckKind, index: number, what: string, detail: string) => {
    result.disagreement ??= {
      kind, seed: o.seed, redirectDir: o.redirectDir, modes, index, what, detail, replay: ran.map(printOp), ops: [...ran], spec,
    };
  };
  const check = (ok: boolean, kind: CheckKind, index: number, what: string, detail: () => string) => {
    result.answers++;
    if (ok) result.agreed++;
    else fail(kind, index, what, detail());
    return ok;
  };

  try {
    spec.forEach((layer, i) => {
      writeSpec(kernel.lowers[i], layer, namespace);
      writeSpec(strata.lowers[i], layer, namespace);
    });
    mountOverlay({ lowers: kernel.lowers, upper: kernel.upper, work: mk('k', 'w'), target: mnt, ...modes, userxattr: support.userxattr });
    const ov = o.target.create({ lowers: strata.lowers.map((d) => open(d, true)), upper: open(strata.upper, false), ...modes });
    const inos = new InoIdentity();
    const pool = new PathPool(specPaths(spec));

    const compareViews = (index: number, label: string): TreeView | undefined => {
      const kv = viewOrError(() => overlayView(kernelReader(mnt)));
      const sv = viewOrError(() => overlayView(strataReader(ov)));
      const diff = diffViews(kv, sv, ['kernel', 'strata']);
      check(diff.length === 0, 'view', index, `${label}: whole-tree view`, () => diff.join('\n'));
      result.answers += kv.size;
      result.agreed += diff.length === 0 ? kv.size : 0;
      if (diff.length === 0) {
        for (const p of kv.keys()) {
          const k = lstatIno(() => fs.lstatSync(mnt + p));
          const s = lstatIno(() => ov.lstat(p));
          if (k !== undefined && s !== undefined) {
            const why = inos.match(k, s, `st_ino of ${p}`);
            if (why !== undefined) check(false, 'ino', index, `${label}: st_ino identity`, () => why);
          }
        }
      }
      return kv;
    };

    /**
     * The kernel copies a rename's source up (and marks it: redirect, or opaque when it moves into
     * a merged directory) before it finds the target not empty, and leaves that behind when the
     * rename fails. Strata undoes a failed operation whole. Path → what a failed rename left in
     * the kernel's upper there: the directory itself (created) and/or marks; it follows renames.
     */
    const residue = new Map<string, { created: boolean; marks: string[] }>();
    const total = o.script?.length ?? o.ops;
    const limit = Math.min(total, o.limit ?? total);
    for (let i = 0; i < limit && result.disagreement === undefined; i++) {
      const op = o.script?.[i] ?? randomOp(rng, pool, i);
      ran.push(op);
      // Objects an operation may delete: their numbers are free for reuse afterwards.
      const doomed = victims(op).map((p) => ({
        k: lstatFacts(() => fs.lstatSync(mnt + p)),
        s: lstatFacts(() => ov.lstat(p)),
      }));
      const upperBefore = op.method === 'rename' ? upperDiskView(kernel.upper, namespace) : undefined;
      // Where a rename's two names really are (their parents may be reached through symlinks):
      // the residue below is kept by real paths.
      const realNames = op.method === 'rename' && residue.size > 0 ? (op.args as string[]).map((a) => realName(mnt, a)) : undefined;
      const k = runOnKernel(mnt, op);
      const s = runOnStrata(ov, op);
      if (upperBefore !== undefined && !k.ok && !s.ok) {
        const after = upperDiskView(kernel.upper, namespace);
        for (const [p, line] of after) {
          const was = upperBefore.get(p);
          if (was === line) continue;
          const marks = dirMarks(line).filter((m) => !dirMarks(was).includes(m));
          const known = residue.get(p);
          residue.set(p, { created: (known?.created ?? false) || was === undefined, marks: [...(known?.marks ?? []), ...marks] });
        }
      } else if (realNames !== undefined && k.ok && s.ok) {
        // Residue moves with a renamed directory.
        const [from, to] = realNames;
        for (const [p, left] of [...residue]) {
          if (p !== from && !p.startsWith(from + '/')) continue;
          residue.delete(p);
          residue.set(to + p.slice(from.length), left);
        }
      }
      result.opsRun++;
      if (!check(sameAnswer(k, s), 'answer', i, printOp(op), () => `kernel: ${showOutcome(k)}\nstrata: ${showOutcome(s)}`)) break;
      if (k.ok && k.ino !== undefined && s.ok && s.ino !== undefined) {
        const why = inos.match(k.ino, s.ino, `${printOp(op)}`);
        if (why !== undefined) check(false, 'ino', i, `st_ino identity`, () => why);
      }
      if (k.ok && !READS.has(op.method)) {
        for (const d of doomed) {
          if (d.k !== undefined && (d.k.dir || d.k.nlink <= 1)) inos.forget(d.k.ino, d.s?.ino);
          else if (d.s !== undefined && (d.s.dir || d.s.nlink <= 1)) inos.forget(d.k?.ino, d.s.ino);
        }
        for (const p of touched(op)) pool.add(p);
      }
      // What the operation changed must now look the same from both sides.
      for (const p of touched(op)) {
        for (const q of [p, parentOf(p)]) {
          const kl = runOnKernel(mnt, { method: 'lstat', args: [q] });
          const sl = runOnStrata(ov, { method: 'lstat', args: [q] });
          check(sameAnswer(kl, sl), 'follow-up', i, `after ${printOp(op)}: lstat ${q}`, () => `kernel: ${showOutcome(kl)}\nstrata: ${showOutcome(sl)}`);
          if (kl.ok && sl.ok && kl.ino !== undefined && sl.ino !== undefined) {
            const why = inos.match(kl.ino, sl.ino, `after ${printOp(op)}: st_ino of ${q}`);
            if (why !== undefined) check(false, 'ino', i, 'st_ino identity', () => why);
          }
        }
        const kd = runOnKernel(mnt, { method: 'readdir', args: [parentOf(p)] });
        const sd = runOnStrata(ov, { method: 'readdir', args: [parentOf(p)] });
        check(sameAnswer(kd, sd), 'follow-up', i, `after ${printOp(op)}: readdir ${parentOf(p)}`, () => `kernel: ${showOutcome(kd)}\nstrata: ${showOutcome(sd)}`);
      }
      if (o.checkEvery !== 0 && (i + 1) % (o.checkEvery ?? 25) === 0) compareViews(i, `after op ${i}`);
    }
    result.inoPairs = inos.size;
    if (result.disagreement !== undefined) return result;

    const finalView = compareViews(-1, 'end of run');
    const unmounted = unmountOverlay(mnt);
    if (!unmounted.ok) throw new Error(`could not unmount ${mnt}: ${unmounted.how}`);

    // The two uppers on disk: the same whiteouts, opaque/redirect marks, data.
    const ku = upperDiskView(kernel.upper, namespace);
    const su = upperDiskView(strata.upper, namespace);
    // What failed renames left in the kernel's upper is not compared: their marks, and the
    // directories they copied up when Strata has nothing there and nothing else differs.
    for (const [p, left] of residue) {
      const mine = ku.get(p);
      if (mine === undefined || mine === su.get(p)) continue;
      const bare = left.marks.reduce((line, m) => line.replace(` ${m}`, ''), mine);
      const theirs = su.get(p);
      if (theirs === undefined ? left.created && /^dir [0-7]+$/.test(bare) : bare === theirs) {
        if (theirs === undefined) ku.delete(p);
        else ku.set(p, theirs);
        result.quirks.copyUpResidue++;
      }
    }
    if (finalView !== undefined) result.quirks.metacopyData += settleMetacopyData(ku, su, finalView);
    const upperDiff = diffViews(ku, su, ['kernel upper', 'strata upper']);
    check(upperDiff.length === 0, 'upper', -1, 'upper directories on disk', () => upperDiff.join('\n'));

    // The kernel mounts Strata's upper and shows the same tree. With index=on the two sides read
    // each other's index (`<workdir>/index/`): the kernel mounts with Strata's work directory, and
    // Strata opens the kernel's upper as its upper over the kernel's work directory (the reference
    // model keeps its index in memory only: it takes no part in these two checks with index on).
    const crossIndex = modes.index && o.target.name !== 'model';
    if (finalView !== undefined && result.disagreement === undefined && (!modes.index || crossIndex)) {
      const strataWork = modes.index ? `${strata.upper}.strata-work` : mk('s', 'w');
      if (modes.index) for (const l of layers.splice(0)) l.close(); // Strata's writer lets go of its work directory first
      mountOverlay({ lowers: strata.lowers, upper: strata.upper, work: strataWork, target: crossMnt, ...modes, userxattr: support.userxattr });
      try {
        const view = viewOrError(() => overlayView(kernelReader(crossMnt)));
        const diff = diffViews(finalView, view, ['kernel', 'kernel over strata upper']);
        check(diff.length === 0, 'kernel-reads-strata', -1, "the kernel mounting Strata's upper", () => diff.join('\n'));
      } finally {
        unmountOverlay(crossMnt);
      }
      // Strata opens the kernel's upper (as the top layer of a read-only stack; with index on, as
      // its upper over the kernel's work directory, where the index is) and shows it too.
      const reader = modes.index
        ? o.target.create({ lowers: kernel.lowers.map((d) => open(d, true)), upper: openWith(kernel.upper, path.join(base, 'k', 'w')), ...modes })
        : o.target.create({ lowers: [open(kernel.upper, true), ...kernel.lowers.map((d) => open(d, true))], ...modes });
      const view = viewOrError(() => overlayView(strataReader(reader)));
      const diff = diffViews(finalView, view, ['kernel', 'strata over kernel upper']);
      check(diff.length === 0, 'strata-reads-kernel', -1, "Strata reading the kernel's upper", () => diff.join('\n'));
    }
    // Metacopy files read with metacopy off: the kernel refuses them (EPERM), and so must Strata —
    // over the kernel's upper, as its upper (only read). Strata leaves an upper one out of its
    // listing; the kernel leaves it out or fails the whole readdir with EPERM (depending on where
    // the lowers hold the name): so each path is compared on its own, and the kernel's listings
    // only where it gives one.
    if (modes.metacopy && result.disagreement === undefined) {
      const off = { ...modes, metacopy: false };
      fs.rmSync(path.join(base, 'k', 'w'), { recursive: true, force: true });
      mountOverlay({ lowers: kernel.lowers, upper: kernel.upper, work: mk('k', 'w'), target: mnt, ...off, userxattr: support.userxattr });
      try {
        const reader = o.target.create({ lowers: kernel.lowers.map((d) => open(d, true)), upper: open(kernel.upper, false), ...off });
        const strataView = viewOrError(() => overlayView(strataReader(reader)));
        const paths = new Set(strataView.keys());
        for (const [p, line] of ku) if (line.includes(' metacopy')) paths.add(p);
        const dirs = [...strataView].filter(([, line]) => line.startsWith('dir ')).map(([p]) => p);
        const theirs = readKernelIsolated(mnt, [...paths], dirs);
        const mine = pathsView(strataReader(reader), paths);
        const diff = diffViews(theirs.view, mine, ['kernel, metacopy=off', 'strata, metacopy off']);
        check(diff.length === 0, 'strata-reads-kernel', -1, "the kernel's upper read with metacopy off", () => diff.join('\n'));
        dirs.forEach((d, i) => {
          const k = theirs.listings[i];
          if (!k.ok && k.code === 'EPERM') { result.quirks.refusedListings++; return; }
          // Strata lists the refused names the kernel leaves out (kernel-differences.md).
          const s = withoutRefused(runOnStrata(reader, { method: 'readdir', args: [d] }), d, mine, () => result.quirks.refusedListings++);
          check(sameAnswer(k, s), 'strata-reads-kernel', -1, `metacopy off: readdir ${d}`, () => `kernel: ${showOutcome(k)}\nstrata: ${showOutcome(s)}`);
        });
      } finally {
        unmountOverlay(mnt);
      }
    }
    return result;
  } finally {
    result.quirks.listedWhiteouts = kernelQuirks.listedWhiteouts;
    for (const l of layers) l.close();
    process.umask(oldUmask);
    removeScratch(base, [mnt, crossMnt]);
  }
}

/**
 * Where one upper holds a metacopy file and the other a full copy (Strata copies the data when it
 * renames or links a metacopy file; the kernel keeps it metacopy, with a redirect), the two agree
 * when the full copy's mode is the metacopy file's and its data is what the overlay shows there.
 * Such entries are made equal; returns how many.
 */
function settleMetacopyData(ku: TreeView, su: TreeView, shown: TreeView): number {
  let settled = 0;
  for (const [p, k] of ku) {
    const s = su.get(p);
    if (s === undefined || s === k) continue;
    const meta = k.includes(' metacopy') ? k : s.includes(' metacopy') ? s : undefined;
    const full = meta === k ? s : k;
    if (meta === undefined || full.includes(' metacopy')) continue;
    const m = /^file ([0-7]+) metacopy$/.exec(meta);
    const f = /^file ([0-7]+) (".*")$/.exec(full);
    const v = /^file ([0-7]+) nlink=\d+ (".*")$/.exec(shown.get(p) ?? '');
    if (m === null || f === null || v === null || m[1] !== f[1] || f[2] !== v[2]) continue;
    su.set(p, k);
    settled++;
  }
  return settled;
}

/** A listing without the names `view` shows as refused (`error EPERM`); `count` per name dropped. */
function withoutRefused(o: Outcome, dir: string, view: TreeView, count: () => void): Outcome {
  if (!o.ok || !Array.isArray(o.value)) return o;
  const at = (name: string) => `${dir === '/' ? '' : dir}/${name}`;
  // Listing entries read `name:type`.
  const kept = (o.value as string[]).filter((e) => {
    const refused = view.get(at(e.slice(0, e.lastIndexOf(':')))) === 'error EPERM';
    if (refused) count();
    return !refused;
  });
  return { ...o, value: kept };
}

/** `p` with its parent's symlinks resolved on the kernel mount `mnt` (`p` itself may be a link). */
function realName(mnt: string, p: string): string {
  const parent = parentOf(p);
  let real: string;
  try {
    real = fs.realpathSync(mnt + parent).slice(mnt.length) || '/';
  } catch {
    return p;
  }
  return `${real === '/' ? '' : real}/${p.slice(p.lastIndexOf('/') + 1)}`;
}

/** The mark tokens of an upper-view directory line ('opaque=y', 'redirect=/a'). */
function dirMarks(line: string | undefined): string[] {
  return line === undefined ? [] : line.split(' ').filter((t) => t.startsWith('opaque=') || t.startsWith('redirect='));
}

function sameAnswer(a: Outcome, b: Outcome): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return (a as { code: string }).code === (b as { code: string }).code;
  return isDeepStrictEqual(a.value, b.value);
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function lstatFacts(fn: () => { ino: number; nlink: number; isDirectory(): boolean } | undefined) {
  try {
    const st = fn();
    return st === undefined ? undefined : { ino: st.ino, nlink: st.nlink, dir: st.isDirectory() };
  } catch {
    return undefined;
  }
}

function lstatIno(fn: () => { ino: number } | undefined): number | undefined {
  try {
    return fn()?.ino;
  } catch {
    return undefined;
  }
}

/** A view, or a one-entry view naming the error that stopped the walk (so it shows in the diff). */
function viewOrError(fn: () => TreeView): TreeView {
  try {
    return fn();
  } catch (err) {
    return new Map([['(walk failed)', String((err as Error).message ?? err)]]);
  }
}
