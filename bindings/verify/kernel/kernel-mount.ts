// The kernel's overlayfs, mounted for a test: a probe that says once whether (and why not) this
// process can mount it, and a mount that always comes down again — a plain umount, retried, then
// a lazy one (MNT_DETACH) as the last resort so a failing test never leaves a mount behind.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTree, scratchDir } from './host-fixtures.js';

export interface OverlayMountOptions {
  /** Lower directories, topmost first (the kernel's `lowerdir=L0:L1` order). */
  lowers: string[];
  upper: string;
  work: string;
  target: string;
  redirectDir: boolean;
  /** metacopy=on (the kernel needs redirect_dir=on with it); default off. */
  metacopy?: boolean;
  /** index=on (hard links stay joined across copy-up); default off. */
  index?: boolean;
  /** `userxattr`: user.overlay.* marks, for mounts inside a user namespace (unshare -rm). */
  userxattr: boolean;
}

export interface MountSupport {
  ok: boolean;
  /** Why not, or which variant works. */
  reason: string;
  kernel: string;
  /** The mount needs `userxattr` (we are root only inside a user namespace). */
  userxattr: boolean;
  /** redirect_dir=on is accepted (the kernel refuses it together with userxattr). */
  redirectDir: boolean;
}

export function overlayOptions(o: OverlayMountOptions): string {
  const opts = [
    `lowerdir=${o.lowers.join(':')}`, `upperdir=${o.upper}`, `workdir=${o.work}`,
    // With userxattr the kernel takes only redirect_dir=nofollow for "off" ('off' may mean 'follow'
    // when the kernel is built with REDIRECT_ALWAYS_FOLLOW, which conflicts with userxattr).
    `redirect_dir=${o.redirectDir ? 'on' : o.userxattr ? 'nofollow' : 'off'}`, `index=${o.index === true ? 'on' : 'off'}`,
    `metacopy=${o.metacopy === true ? 'on' : 'off'}`, 'xino=off',
  ];
  if (o.userxattr) opts.push('userxattr');
  return opts.join(',');
}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error !== undefined) return { ok: false, out: r.error.message };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

export function mountOverlay(o: OverlayMountOptions): void {
  const r = run('mount', ['-t', 'overlay', 'overlay', '-o', overlayOptions(o), o.target]);
  if (!r.ok) throw new Error(`mount -t overlay -o ${overlayOptions(o)} ${o.target}: ${r.out}`);
}

/** Unmount, retrying a busy mount; a lazy unmount as the last resort. Never throws. */
export function unmountOverlay(target: string): { ok: boolean; how: string } {
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = run('umount', [target]);
    if (r.ok || /not mounted|no mount point/i.test(r.out)) return { ok: true, how: 'umount' };
  }
  const lazy = run('umount', ['-l', target]);
  return { ok: lazy.ok, how: lazy.ok ? 'umount -l' : `failed: ${lazy.out}` };
}

export function isMounted(target: string): boolean {
  const real = fs.realpathSync(target);
  return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === real);
}

/**
 * Remove a scratch tree that held mount points — unless one is still mounted: deleting through
 * a live overlay mount would delete in its layers, so then the tree is left and reported.
 */
export function removeScratch(base: string, targets: string[]): boolean {
  for (const t of targets) {
    if (fs.existsSync(t) && isMounted(t)) unmountOverlay(t);
    if (fs.existsSync(t) && isMounted(t)) {
      console.error(`# kernel: ${t} is still mounted; leaving ${base} in place`);
      return false;
    }
  }
  removeTree(base);
  return true;
}

/**
 * The scratch label of a mount made by this process: it carries our PID so that
 * `unmountLeftovers` in another process (another test file, another worktree's `npm test` on
 * the same machine — mounts are shared by the whole mount namespace) never takes down a live run.
 */
export function mountScratchLabel(kind: 'kdiff' | 'probe', detail = ''): string {
  return `${kind}-p${process.pid}${detail === '' ? '' : `-${detail}`}`;
}

/**
 * Unmount overlays this harness left mounted under the temp directory (a run killed mid-way
 * cannot run its `finally`). Only mount points inside our own scratch directories are touched,
 * and only those whose owning process (the PID in the name) is gone.
 */
export function unmountLeftovers(): string[] {
  const prefix = path.join(fs.realpathSync(os.tmpdir()), 'strata-');
  const left = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 4 && f[4].startsWith(prefix))
    .map((f) => ({ target: f[4], owner: /\/strata-(?:kdiff|probe)-p(\d+)-[^/]*\//.exec(f[4])?.[1] }))
    .filter((m) => m.owner !== undefined && Number(m.owner) !== process.pid && !fs.existsSync(`/proc/${m.owner}`))
    .map((m) => m.target);
  for (const target of left) unmountOverlay(target);
  return left;
}

let probed: MountSupport | undefined;

/** Can this process mount overlayfs with the options the differential tests use? Probed once. */
export function probeOverlayMount(): MountSupport {
  if (probed !== undefined) return probed;
  const kernel = `${os.type()} ${os.release()}`;
  if (process.platform !== 'linux') return (probed = { ok: false, reason: `not Linux (${kernel})`, kernel, userxattr: false, redirectDir: false });
  if (process.getuid?.() !== 0) {
    return (probed = {
      ok: false, kernel, userxattr: false, redirectDir: false,
      reason: 'not root: mounting overlayfs needs CAP_SYS_ADMIN (run as root, or under `unshare -rm`)',
    });
  }
  const failures: string[] = [];
  const tryMount = (userxattr: boolean, redirectDir: boolean): boolean => {
    const base = scratchDir(mountScratchLabel('probe'));
    const d = (n: string) => { const p = path.join(base, n); fs.mkdirSync(p); return p; };
    const o: OverlayMountOptions = { lowers: [d('l0'), d('l1')], upper: d('u'), work: d('w'), target: d('m'), redirectDir, userxattr };
    try {
      mountOverlay(o);
      return true;
    } catch (err) {
      failures.push((err as Error).message);
      return false;
    } finally {
      unmountOverlay(o.target);
      removeScratch(base, [o.target]);
    }
  };
  // As root: the kernel format. Inside a user namespace: userxattr, where redirect_dir=on is refused.
  for (const userxattr of [false, true]) {
    if (!tryMount(userxattr, false)) continue;
    const redirectDir = tryMount(userxattr, true);
    return (probed = {
      ok: true, kernel, userxattr, redirectDir,
      reason: `${userxattr ? 'mounts with userxattr (user namespace)' : 'mounts as root'}` +
        `${redirectDir ? '' : '; redirect_dir=on refused'}`,
    });
  }
  return (probed = { ok: false, kernel, userxattr: false, redirectDir: false, reason: `overlayfs does not mount here: ${failures.join(' | ')}` });
}
