// Building a new object in the (verified, private) work directory, holding a descriptor of it
// from the moment it exists: every later step — owner, mode, times — is applied to that
// descriptor, never to a name that could have been swapped in between.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import type { NodeSpec } from '../layer.js';
import { O_PATH, displayPath, procPath } from './host-paths.js';
import { hostCode } from './host-errors.js';
import { mknodAt } from './whiteout-device.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY } = fs.constants;

/** A just-created object: how it is held (`io`: a real descriptor; else O_PATH) and what it is. */
export interface Made {
  fd: number;
  io: boolean;
  st: fs.Stats;
  type: NodeSpec['type'];
}

/** Create `temp` in `workFd` exclusively, as `spec` says (data written), and hold it. */
export function createInWorkDir(workFd: number, temp: string, spec: NodeSpec, layerPath: string): Made {
  const at = procPath(workFd, temp);
  let fd: number;
  let io = true;
  switch (spec.type) {
    case 'file':
      fd = fs.openSync(at, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        if (spec.data !== undefined) writeAll(fd, spec.data);
      } catch (err) {
        fs.closeSync(fd);
        throw err;
      }
      break;
    case 'dir':
      fs.mkdirSync(at, 0o700);
      fd = fs.openSync(at, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      break;
    case 'symlink':
      fs.symlinkSync(spec.target ?? '', at);
      fd = fs.openSync(at, O_PATH | O_NOFOLLOW);
      io = false;
      break;
    default: {
      mknodAt(workFd, temp, spec.mode, spec.rdev ?? 0, displayPath(layerPath));
      // O_PATH: a FIFO or device is held without being opened (no blocking, no driver called).
      fd = fs.openSync(at, O_PATH | O_NOFOLLOW);
      io = false;
    }
  }
  const st = fs.fstatSync(fd);
  const euid = process.geteuid?.() ?? st.uid;
  if (st.uid !== euid) {
    // Not what we just created (the work dir is verified private, so this is a bug or a root attack).
    fs.closeSync(fd);
    throw fsError('ESTALE', 'create', displayPath(layerPath));
  }
  return { fd, io, st, type: spec.type };
}

/**
 * Owner, mode and times from `spec`, applied through the descriptor: fchown/fchmod/futimes on a
 * real one; on an O_PATH one (FIFO, device) through its /proc magic link, which names the held
 * inode, not a path. Symlinks (no mode, no set-id bits) take lchown/lutimes on their name `at`
 * in the private work directory, checked to still be the same object.
 */
export function applyMetadata(made: Made, at: string, spec: NodeSpec): void {
  const self = procPath(made.fd);
  const uid = spec.uid ?? -1;
  const gid = spec.gid ?? -1;
  if (uid !== -1 || gid !== -1) {
    try {
      if (made.io) fs.fchownSync(made.fd, uid, gid);
      else if (made.type === 'symlink') fs.lchownSync(at, uid, gid);
      else fs.chownSync(self, uid, gid);
    } catch (err) {
      if (hostCode(err) !== 'EPERM') throw err; // ownership is best effort without CAP_CHOWN
    }
  }
  const perm = spec.mode & 0o7777;
  if (made.io) fs.fchmodSync(made.fd, perm);
  else if (made.type !== 'symlink') fs.chmodSync(self, perm);
  if (spec.mtimeMs !== undefined || spec.atimeMs !== undefined) {
    const mtime = (spec.mtimeMs ?? Date.now()) / 1000;
    const atime = spec.atimeMs !== undefined ? spec.atimeMs / 1000 : mtime;
    if (made.io) fs.futimesSync(made.fd, atime, mtime);
    else if (made.type === 'symlink') fs.lutimesSync(at, atime, mtime);
    else fs.utimesSync(self, atime, mtime);
  }
}

export function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}
