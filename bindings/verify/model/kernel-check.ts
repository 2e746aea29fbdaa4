// The reference model against the Linux kernel's overlayfs: each seeded workload's layers are
// written out as real directories in the kernel's on-disk format (whiteout = 0/0 character device,
// opaque = trusted.overlay.opaque), mounted, and the same operations run through node:fs on the
// mount and through the model. Answers are compared as in the engine differential (values, errors
// by code and syscall, stat fields but times, inode identity), and the upper directory is
// compared with the model's upper at the end.
//
// This is how the model's semantics were checked; it needs root (mount, mknod, trusted.* xattrs)
// and is a tool, not part of `npm test`:
//   node dist/bindings/verify/model/kernel-check.js [fromSeed] [toSeed] [opsPerSeed]
// Known differences, accepted and counted (see the header of model-overlay.ts):
// - a non-merged directory is listed raw by the kernel, whiteouts included: they are dropped here;
// - the kernel climbs out of the mount on '..' above its root where the model says EINVAL, and it
//   resolves absolute symlinks from the host root: such answers are skipped, and absolute
//   symlink targets are written with the mount point in front (and read back without it);
// - ext4 reuses freed inode numbers, so only "an object keeps its number" is checked;
// - upper marks the kernel adds without a visible effect: opaque on new directories in merged
//   parents (redirect_dir on), metacopy files from rename/link (metacopy on), and the redirect a
//   rename that failed late (ENOTEMPTY from the upper) has already set;
// - node:fs's mkdir -p turns EROFS into ENOENT (it stat()s after a failed mkdir); the model keeps
//   EROFS.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { listAttributesSync, setAttributeSync } from '@napi-rs/xattr';
import { WHITEOUT, type Handle, type Layer } from '../../layers/layer.js';
import { compareOutcomes } from '../outcome-compare.js';
import { ModelOverlay } from './model-overlay.js';
import { printOp, runOp, type Op, type Outcome } from './ops.js';
import { treeOps } from './tree-ops.js';
import { makeWorkload } from './workload.js';

const BASE = '/tmp/strata-kernel-check';
const MOUNT = `${BASE}/mnt/m`;

export interface KernelCheckResult {
  seed: number;
  redirectDir: boolean;
  metacopy: boolean;
  compared: number;
  skipped: number;
  /** Upper marks only the kernel made, without a visible effect (see header). */
  kernelOnlyMarks: number;
  mismatch?: string;
}

/** Write a layer out in the kernel's format; absolute symlink targets get `prefix` in front. */
function materialise(layer: Layer, root: string, prefix: string): void {
  // Hard links (names sharing a handle) stay hard links on disk.
  const written = new Map<Handle, string>();
  const visit = (h: Handle, p: string): void => {
    const st = layer.stat(h);
    const first = st.type !== 'dir' ? written.get(h) : undefined;
    if (first !== undefined) {
      fs.linkSync(first, p);
      return;
    }
    if (st.type !== 'dir') written.set(h, p);
    if (st.type === 'dir') {
      if (p !== root) fs.mkdirSync(p);
      fs.chmodSync(p, st.mode & 0o7777);
      if (layer.isOpaque(h)) setAttributeSync(p, 'trusted.overlay.opaque', 'y');
      const r = layer.redirect(h);
      if (r !== undefined) setAttributeSync(p, 'trusted.overlay.redirect', r);
      for (const name of layer.list(h)) {
        const c = layer.lookup(h, name);
        if (c === WHITEOUT) execFileSync('mknod', [`${p}/${name}`, 'c', '0', '0']);
        else visit(c, `${p}/${name}`);
      }
    } else if (st.type === 'file') {
      fs.writeFileSync(p, layer.read(h));
      fs.chmodSync(p, st.mode & 0o7777);
    } else if (st.type === 'symlink') {
      const t = layer.readlink(h);
      fs.symlinkSync(t.startsWith('/') ? prefix + t : t, p);
    }
  };
  visit(layer.root(), root);
}

function unprefix(s: unknown): unknown {
  if (typeof s !== 'string') return s;
  if (s === MOUNT) return '/';
  return s.startsWith(MOUNT + '/') ? s.slice(MOUNT.length) : s;
}

/** The Overlay API over node:fs on the mount. */
function kernelOverlay(): object {
  const P = (p: unknown) => (typeof p === 'string' && p.startsWith('/') ? MOUNT + p : p) as string;
  return {
    stat: (p: string, o?: fs.StatSyncOptions) => fs.statSync(P(p), o),
    lstat: (p: string, o?: fs.StatSyncOptions) => {
      const st = fs.lstatSync(P(p), o) as fs.Stats | undefined;
      if (st?.isSymbolicLink()) {
        const t = fs.readlinkSync(P(p));
        if (t === MOUNT || t.startsWith(MOUNT + '/')) st.size -= MOUNT.length;
      }
      return st;
    },
    exists: (p: string) => fs.existsSync(P(p)),
    readdir: (p: string, o?: { withFileTypes?: boolean }) =>
      fs.readdirSync(P(p), { withFileTypes: true }).filter((d) => !d.isCharacterDevice()).map((d) => (o?.withFileTypes ? d : d.name)),
    readFile: (p: string, o?: BufferEncoding) => fs.readFileSync(P(p), o),
    readlink: (p: string) => unprefix(fs.readlinkSync(P(p))),
    realpath: (p: string) => unprefix(fs.realpathSync.native(P(p))),
    writeFile: (p: string, d: string) => fs.writeFileSync(P(p), d),
    appendFile: (p: string, d: string) => fs.appendFileSync(P(p), d),
    mkdir: (p: string, o?: fs.MakeDirectoryOptions) => unprefix(fs.mkdirSync(P(p), o)),
    rmdir: (p: string) => fs.rmdirSync(P(p)),
    unlink: (p: string) => fs.unlinkSync(P(p)),
    rm: (p: string, o?: fs.RmOptions) => fs.rmSync(P(p), o),
    rename: (a: string, b: string) => fs.renameSync(P(a), P(b)),
    symlink: (t: string, p: string) => fs.symlinkSync(P(t), P(p)),
    link: (a: string, b: string) => fs.linkSync(P(a), P(b)),
    truncate: (p: string, n: number) => fs.truncateSync(P(p), n),
    chmod: (p: string, m: number) => fs.chmodSync(P(p), m),
    utimes: (p: string, a: number, m: number) => fs.utimesSync(P(p), a, m),
  };
}

/** Times differ by nature; a directory's size is the host filesystem's business. */
function normalise(o: Outcome): Outcome {
  if (!o.ok || typeof o.value !== 'object' || o.value === null || !('nlink' in o.value)) return o;
  const v: Record<string, unknown> = { ...(o.value as Record<string, unknown>), atimeMs: 0, mtimeMs: 0, ctimeMs: 0 };
  if (v.type === 'dir') v.size = 0;
  return { ok: true, value: v };
}

function upperOnDisk(root: string): string[] {
  const out: string[] = [];
  const visit = (p: string, rel: string): void => {
    const st = fs.lstatSync(p);
    if (st.isCharacterDevice() && st.rdev === 0) {
      out.push(`${rel} whiteout`);
      return;
    }
    const x = listAttributesSync(p).filter((k) => k.startsWith('trusted.overlay.'));
    let line = `${rel} ${st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other'} mode=${(st.mode & 0o7777).toString(8)}`;
    if (st.isFile()) line += x.includes('trusted.overlay.metacopy') ? ' metacopy' : ` data=${fs.readFileSync(p).toString('hex')}`;
    if (st.isSymbolicLink()) line += ` target=${unprefix(fs.readlinkSync(p))}`;
    if (st.isDirectory()) {
      if (x.includes('trusted.overlay.opaque')) line += ' opaque';
      if (x.includes('trusted.overlay.redirect')) line += ' redirect';
    }
    out.push(line);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) visit(`${p}/${n}`, rel === '/' ? `/${n}` : `${rel}/${n}`);
  };
  visit(root, '/');
  return out;
}

function upperInModel(layer: Layer): string[] {
  const out: string[] = [];
  const visit = (h: Handle, rel: string): void => {
    const st = layer.stat(h);
    let line = `${rel} ${st.type} mode=${(st.mode & 0o7777).toString(8)}`;
    if (st.type === 'file') line += layer.isMetacopy(h) ? ' metacopy' : ` data=${Buffer.from(layer.read(h)).toString('hex')}`;
    if (st.type === 'symlink') line += ` target=${layer.readlink(h)}`;
    if (st.type === 'dir') {
      if (layer.isOpaque(h)) line += ' opaque';
      if (layer.redirect(h) !== undefined) line += ' redirect';
    }
    out.push(line);
    if (st.type !== 'dir') return;
    for (const n of layer.list(h).slice().sort()) {
      const c = layer.lookup(h, n);
      const cr = rel === '/' ? `/${n}` : `${rel}/${n}`;
      if (c === WHITEOUT) out.push(`${cr} whiteout`);
      else visit(c, cr);
    }
  };
  visit(layer.root(), '/');
  return out;
}

/** One run; `readOnly` mounts the lowers alone (the kernel needs two of them for that). */
export function kernelCheck(seed: number, redirectDir: boolean, metacopy: boolean, ops: number, readOnly = false): KernelCheckResult | undefined {
  execFileSync('rm', ['-rf', BASE]);
  const w = makeWorkload(seed, { ops, upper: readOnly ? 'none' : seed % 3 === 0 ? 'populated' : 'empty' });
  if (readOnly && w.plan.lowers < 2) return undefined;
  const k = w.build();
  const lowerDirs = k.lowers.map((l, i) => {
    const d = `${BASE}/l${i}`;
    fs.mkdirSync(d, { recursive: true });
    materialise(l, d, MOUNT);
    return d;
  });
  fs.mkdirSync(`${BASE}/u`, { recursive: true });
  if (k.upper) materialise(k.upper, `${BASE}/u`, MOUNT);
  fs.mkdirSync(`${BASE}/w`, { recursive: true });
  fs.mkdirSync(MOUNT, { recursive: true });
  const options = `lowerdir=${lowerDirs.join(':')},${k.upper ? `upperdir=${BASE}/u,workdir=${BASE}/w,` : ''}` +
    `redirect_dir=${redirectDir ? 'on' : 'off'},index=off,metacopy=${metacopy ? 'on' : 'off'},xino=off`;
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', options, MOUNT]);
  let mounted = true;
  const result: KernelCheckResult = { seed, redirectDir, metacopy, compared: 0, skipped: 0, kernelOnlyMarks: 0 };
  try {
    const m = w.build();
    const model = new ModelOverlay({ lowers: m.lowers, upper: m.upper, redirectDir, metacopy });
    const kernel = kernelOverlay();
    const keeps = new Map<number, number>();
    const inos = {
      match: (a: number, b: number) => (keeps.has(a) ? keeps.get(a) === b : (keeps.set(a, b), true)),
      counterpart: (a: number) => keeps.get(a),
    };
    const check = (op: Op, at: string): boolean => {
      const expected = runOp(model, op);
      const refused = (o: Outcome) => !o.ok && ['EINVAL', 'ENAMETOOLONG', 'TypeError'].includes(o.code);
      // node:fs's mkdir -p reports a read-only filesystem as its stat()'s ENOENT; the model says EROFS.
      const mkdirpOnReadOnly = !expected.ok && expected.code === 'EROFS' && op.method === 'mkdir' && op.args.length > 1;
      if (refused(expected) || mkdirpOnReadOnly || (op.method === 'exists' && refused(runOp(model, { method: 'stat', args: op.args })))) {
        result.skipped++;
        return false;
      }
      result.compared++;
      const why = compareOutcomes(normalise(expected), normalise(runOp(kernel, op)), inos as never);
      if (why !== undefined) result.mismatch = `at ${at}: ${printOp(op)}\n  ${why}`;
      return why !== undefined;
    };
    for (let i = 0; i < w.ops.length; i++) {
      if (check(w.ops[i], `op ${i}`)) return result;
      if ((i + 1) % 20 === 0 || i === w.ops.length - 1) {
        for (const op of treeOps(model)) if (check(op, `tree after op ${i}`)) return result;
      }
    }
    execFileSync('umount', [MOUNT]);
    mounted = false;
    if (!m.upper) return result;
    const disk = upperOnDisk(`${BASE}/u`);
    const mine = upperInModel(m.upper!);
    const have = new Set(mine);
    for (let i = 0; i < disk.length; i++) {
      for (const mark of [' opaque', ' redirect']) {
        if (disk[i].endsWith(mark) && have.has(disk[i].slice(0, -mark.length))) {
          disk[i] = disk[i].slice(0, -mark.length);
          result.kernelOnlyMarks++;
        }
      }
      if (disk[i].endsWith(' metacopy')) {
        const withData = mine.find((l) => l.startsWith(disk[i].slice(0, -' metacopy'.length) + ' data='));
        if (withData) {
          disk[i] = withData;
          result.kernelOnlyMarks++;
        }
      }
    }
    const diskSet = new Set(disk);
    const diff = [...mine.filter((l) => !diskSet.has(l)).map((l) => `- ${l}`), ...disk.filter((l) => !have.has(l)).map((l) => `+ ${l}`)];
    if (diff.length > 0) result.mismatch = `upper differs (model -, kernel +):\n${diff.slice(0, 12).join('\n')}`;
    return result;
  } finally {
    if (mounted) execFileSync('umount', [MOUNT]);
  }
}

function main(): void {
  const [from = 1, to = 20, ops = 120] = process.argv.slice(2).map(Number);
  const totals = { runs: 0, compared: 0, skipped: 0, kernelOnlyMarks: 0, mismatches: 0 };
  for (let seed = from; seed <= to; seed++) {
    for (const [redirectDir, metacopy, readOnly] of [[false, false, false], [true, false, false], [true, true, false], [false, false, true]]) {
      const r = kernelCheck(seed, redirectDir, metacopy, ops, readOnly);
      if (r === undefined) continue;
      totals.runs++;
      totals.compared += r.compared;
      totals.skipped += r.skipped;
      totals.kernelOnlyMarks += r.kernelOnlyMarks;
      if (r.mismatch) {
        totals.mismatches++;
        console.log(`seed ${seed} redirectDir=${redirectDir} metacopy=${metacopy}${readOnly ? ' read-only' : ''}: ${r.mismatch}`);
      }
    }
  }
  console.log(JSON.stringify(totals));
  process.exitCode = totals.mismatches === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
