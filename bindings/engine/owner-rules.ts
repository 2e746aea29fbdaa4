// chown(2)'s rules for who may change an owner, applied to the merged view's attributes with this
// process's credentials (the layers are written as the process anyway, so the overlay checks):
// with CAP_CHOWN (root) anything goes; otherwise only the owner may act, may not give the file
// away, and may set the group only to one of its own groups. -1 leaves an id unchanged and is
// not checked (the kernel does not see that attribute at all).
import { fsError } from '../errors.js';
import { invalidArgType, outOfRange } from '../arg-errors.js';

/** uid/gid argument: an integer from -1 ("unchanged") to 2^32-1, as node:fs validates it. */
export function ownerIdOf(id: unknown, name: string): number {
  if (typeof id !== 'number') throw invalidArgType(name, 'of type number', id);
  if (!Number.isInteger(id)) throw outOfRange(name, 'an integer', id);
  if (id < -1 || id > 0xffffffff) throw outOfRange(name, '>= -1 && <= 4294967295', id);
  return id;
}

/** EPERM unless this process may set owner `uid`/`gid` (-1: unchanged) on a file owned as `st`. */
export function checkOwnerChange(st: { uid: number; gid: number }, uid: number, gid: number, syscall: string, path: string): void {
  if (uid === -1 && gid === -1) return;
  const euid = process.geteuid?.() ?? 0;
  if (euid === 0) return;
  const owner = euid === st.uid;
  const uidOk = uid === -1 || (owner && uid === st.uid);
  const gidOk = gid === -1 || (owner && (gid === st.gid || inGroup(gid)));
  if (!uidOk || !gidOk) throw fsError('EPERM', syscall, path);
}

function inGroup(gid: number): boolean {
  return process.getegid?.() === gid || (process.getgroups?.() ?? []).includes(gid);
}
