// The work directory of a writable DirLayer: objects are built complete there, then one rename
// puts them in place. Whoever can write in it can swap what we build (a setuid copy-up, a device),
// so it is safe by construction: created by us with mode 0700, or else verified — a directory, not
// a symlink, owned by this process's user, not writable by group or others, on the root's
// filesystem — and from then on used only through the descriptor we verified.
//
// One writer at a time (the kernel refuses a second mount on one upper with EBUSY): a writer
// takes an flock on the work directory where the native helper is built, and holds a lock file
// `lock.<random>` open for its lifetime; a lock file is live while its process runs (PID + start
// time) and, in this very process, while some descriptor still holds it (another DirLayer
// instance, any worker thread) — unless it says its writer took the flock, which we then hold.
// Under the lock, what is left of earlier writers — temp names of killed copy-ups, dead locks —
// is removed at open. Temp names are random, never reused.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import { explainedError, hostCode, relabel } from './host-errors.js';
import { native } from './native.js';
import { procPath } from './host-paths.js';
import { WhiteoutMaker } from './whiteout-device.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = fs.constants;
/** Names we create in the work directory (any other entry is left alone). */
const TEMP_PREFIX = 'tmp.';
const LOCK_PREFIX = 'lock.';
/** The last word of a lock file whose writer also took the flock. */
const FLOCKED = 'flock';

/** An unpredictable name (96 random bits): nothing can be planted under it in advance. */
export function randomName(prefix: string): string {
  return prefix + randomBytes(12).toString('base64url');
}

/** This process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or undefined. */
function startTime(pid: number | 'self'): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Does any descriptor of this process refer to the object `st`? */
function heldHere(st: fs.Stats): boolean {
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    const s = fs.statSync(`/proc/self/fd/${fd}`, { throwIfNoEntry: false });
    if (s !== undefined && s.dev === st.dev && s.ino === st.ino) return true;
  }
  return false;
}

export class WorkDir {
  /** O_RDONLY descriptor of the verified work directory. */
  readonly fd: number;
  readonly whiteouts: WhiteoutMaker;
  private lockName: string | undefined;
  private lockFd = -1;

  /**
   * Create or verify the work directory at `hostPath`, take its lock, clear what earlier writers
   * left. `rootDev`: the layer root's device (rename must stay on one filesystem).
   */
  constructor(readonly hostPath: string, rootDev: number, rootPath: string) {
    try {
      fs.mkdirSync(hostPath, { mode: 0o700 });
    } catch (err) {
      if (hostCode(err) !== 'EEXIST') throw relabel(err, 'mkdir', hostPath);
    }
    try {
      this.fd = fs.openSync(hostPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    } catch (err) {
      const code = hostCode(err);
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        throw explainedError(code, 'open', hostPath, 'the work directory must be a real directory, not a symlink or a file');
      }
      throw relabel(err, 'open', hostPath);
    }
    try {
      this.verify(rootDev, rootPath);
      this.lock();
      this.removeLeftovers();
    } catch (err) {
      this.close();
      throw err;
    }
    this.whiteouts = new WhiteoutMaker(this.fd, () => this.tempName());
  }

  /** A fresh temp name; exclusive creation under it can fail only if someone guessed 96 bits. */
  tempName(): string {
    return randomName(TEMP_PREFIX);
  }

  close(): void {
    if (this.lockName !== undefined) {
      fs.rmSync(procPath(this.fd, this.lockName), { force: true });
      this.lockName = undefined;
    }
    if (this.lockFd >= 0) fs.closeSync(this.lockFd);
    this.lockFd = -1;
    fs.closeSync(this.fd);
  }

  private verify(rootDev: number, rootPath: string): void {
    const st = fs.fstatSync(this.fd);
    const euid = process.geteuid?.() ?? st.uid;
    if (st.uid !== euid) {
      throw explainedError('EPERM', 'open', this.hostPath,
        `the work directory is owned by uid ${st.uid}, not by this process (uid ${euid}): its owner could swap ` +
        'what a copy-up builds there; remove it, or choose another with { workdir }');
    }
    if ((st.mode & 0o022) !== 0) {
      throw explainedError('EPERM', 'open', this.hostPath,
        `the work directory is writable by group or others (mode ${(st.mode & 0o7777).toString(8)}): ` +
        'anyone who can write there could swap what a copy-up builds; make it 0700');
    }
    if (st.dev !== rootDev) {
      throw explainedError('EXDEV', 'rename', this.hostPath,
        `the work directory must be on the same filesystem as ${rootPath} for atomic copy-up`);
    }
  }

  /** Take the writer lock, or fail with EBUSY naming the live holder. */
  private lock(): void {
    const flocked = this.flock();
    const name = randomName(LOCK_PREFIX);
    // Filled in under a temp name and renamed: a lock file is never seen half-written.
    const temp = this.tempName();
    this.lockFd = fs.openSync(procPath(this.fd, temp), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    fs.writeSync(this.lockFd, `${process.pid} ${startTime('self') ?? ''}${flocked ? ` ${FLOCKED}` : ''}\n`);
    fs.renameSync(procPath(this.fd, temp), procPath(this.fd, name));
    this.lockName = name;
    // Create first, then look: of two writers starting at once, at least one sees the other.
    for (const other of fs.readdirSync(procPath(this.fd))) {
      if (!other.startsWith(LOCK_PREFIX) || other === name) continue;
      const holder = this.liveHolder(other, flocked);
      if (holder !== undefined) {
        throw explainedError('EBUSY', 'open', this.hostPath,
          `the upper is in use by another writer (process ${holder}): one writing DirLayer per upper at a ` +
          'time, as the kernel allows one mount per upper; share that DirLayer instead');
      }
      fs.rmSync(procPath(this.fd, other), { force: true });
    }
  }

  /**
   * With the native helper, the flock on the work directory (through our descriptor of it): the
   * kernel drops it when that descriptor is closed or its process dies, in whatever PID
   * namespace or container, which the lock files' PIDs cannot tell from here. True when held;
   * false without the helper or where the filesystem takes no flock (the lock files alone then).
   */
  private flock(): boolean {
    const take = native()?.flockExclusive;
    if (take === undefined) return false;
    const result = take(this.fd);
    if (result === 0) return true;
    if (-result === os.errno.EWOULDBLOCK) {
      throw explainedError('EBUSY', 'open', this.hostPath,
        'the upper is in use by another writer (it holds the lock on the work directory: in this process, another ' +
        'one, or another container): one writing DirLayer per upper at a time, as the kernel allows one mount per ' +
        'upper; share that DirLayer instead');
    }
    return false;
  }

  /**
   * The PID holding lock file `name` if it is live, else undefined (a dead writer's lock). A
   * writer that took the flock holds it while it lives: while we hold it, its file is stale.
   */
  private liveHolder(name: string, flocked: boolean): number | undefined {
    let text: string;
    let st: fs.Stats;
    try {
      const fd = fs.openSync(procPath(this.fd, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      try {
        st = fs.fstatSync(fd);
        text = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      if (hostCode(err) === 'ENOENT') return undefined;
      throw relabel(err, 'open', `${this.hostPath}/${name}`);
    }
    const [pidText, started, how] = text.trim().split(' ');
    if (flocked && how === FLOCKED) return undefined;
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (pid === process.pid) return heldHere(st) ? pid : undefined;
    const now = startTime(pid);
    return now !== undefined && (started === '' || now === started) ? pid : undefined;
  }

  /** Temp objects of killed writers (any of our temp names: we hold the lock, none is live). */
  private removeLeftovers(): void {
    for (const name of fs.readdirSync(procPath(this.fd))) {
      if (name.startsWith(TEMP_PREFIX)) fs.rmSync(procPath(this.fd, name), { recursive: true, force: true });
    }
  }
}
