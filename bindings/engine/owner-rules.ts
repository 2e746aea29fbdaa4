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

/** Who is asking: the effective uid and every group the process is in. */
export interface Credentials {
  euid: number;
  groups: readonly number[];
}

export function processCredentials(): Credentials {
  const groups = [...(process.getgroups?.() ?? [])];
  const egid = process.getegid?.();
  if (egid !== undefined) groups.push(egid);
  return { euid: process.geteuid?.() ?? 0, groups };
}

/** EPERM unless `who` may set owner `uid`/`gid` (-1: unchanged) on a file owned as `st`. */
export function checkOwnerChange(st: { uid: number; gid: number }, uid: number, gid: number, syscall: string, path: string,
  who: Credentials = processCredentials()): void {
  if (uid === -1 && gid === -1) return;
  if (who.euid === 0) return;
  const owner = who.euid === st.uid;
  const uidOk = uid === -1 || (owner && uid === st.uid);
  const gidOk = gid === -1 || (owner && (gid === st.gid || who.groups.includes(gid)));
  if (!uidOk || !gidOk) throw fsError('EPERM', syscall, path);
}
