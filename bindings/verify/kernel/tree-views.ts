// Whole-tree pictures for the kernel differential: what an overlay shows (through node:fs on a
// mount, or through the Overlay API), and what an upper directory holds on disk in the kernel's
// format (whiteouts, opaque and redirect marks, data). Each is a map path → one-line description,
// so two pictures compare entry by entry.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getXattrRaw, listXattrsRaw } from './host-fixtures.js';
import { kernelReaddir, type OverlayUnderTest } from './diff-ops.js';

export type TreeView = Map<string, string>;

interface ViewReader {
  lstat(p: string): { mode: number; size: number; nlink: number; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean };
  readdir(p: string): string[];
  readFile(p: string): string;
  readlink(p: string): string;
}

function describe(r: ViewReader, p: string): { line: string; dir: boolean } {
  try {
    return describeEntry(r, p);
  } catch (err) {
    // An entry the overlay refuses (a metacopy file with metacopy off: EPERM) is part of the view.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    return { line: `error ${code}`, dir: false };
  }
}

function describeEntry(r: ViewReader, p: string): { line: string; dir: boolean } {
  const st = r.lstat(p);
  const perm = (st.mode & 0o7777).toString(8);
  if (st.isDirectory()) return { line: `dir ${perm}`, dir: true };
  if (st.isSymbolicLink()) return { line: `symlink -> ${r.readlink(p)}`, dir: false };
  if (st.isFile()) return { line: `file ${perm} nlink=${st.nlink} ${JSON.stringify(r.readFile(p))}`, dir: false };
  return { line: `other ${st.mode.toString(8)}`, dir: false };
}

/** Everything visible through an overlay, walked from the root without following symlinks. */
export function overlayView(r: ViewReader): TreeView {
  const view: TreeView = new Map();
  const walk = (dir: string) => {
    for (const name of r.readdir(dir === '' ? '/' : dir).sort()) {
      const p = `${dir}/${name}`;
      const { line, dir: isDir } = describe(r, p);
      view.set(p, line);
      if (isDir) walk(p);
    }
  };
  view.set('/', describe(r, '/').line);
  walk('');
  return view;
}

/** What each of `paths` is through an overlay (no listing involved). */
export function pathsView(r: ViewReader, paths: Iterable<string>): TreeView {
  const view: TreeView = new Map();
  for (const p of paths) view.set(p, describe(r, p).line);
  return view;
}

export function kernelReader(mnt: string): ViewReader {
  return {
    lstat: (p) => fs.lstatSync(mnt + p),
    readdir: (p) => kernelReaddir(mnt, p).map((d) => d.name),
    readFile: (p) => fs.readFileSync(mnt + p, 'utf8'),
    readlink: (p) => fs.readlinkSync(mnt + p),
  };
}

export function strataReader(ov: OverlayUnderTest): ViewReader {
  return {
    lstat: (p) => ov.lstat(p)! as ReturnType<ViewReader['lstat']>,
    readdir: (p) => (ov.readdir as (p: string) => string[])(p),
    readFile: (p) => {
      const d = ov.readFile(p, 'utf8');
      return typeof d === 'string' ? d : new TextDecoder().decode(d);
    },
    readlink: (p) => ov.readlink(p),
  };
}

/** xattrs the kernel keeps for itself (inode origins, readdir hints): not part of the view. */
const KERNEL_PRIVATE = ['origin', 'impure', 'uuid', 'nlink', 'upper', 'protattr'];

/**
 * An upper directory as the kernel reads it: type (whiteout = char 0/0), mode, data, targets,
 * opaque and redirect marks — redirects made absolute (the kernel writes a same-directory rename
 * as a relative name, Strata may write either), other overlay-private xattrs reported by name
 * unless they are the kernel's bookkeeping.
 */
export function upperDiskView(root: string, namespace: 'trusted' | 'user'): TreeView {
  const view: TreeView = new Map();
  const mark = (p: string, key: string) => getXattrRaw(p, `${namespace}.overlay.${key}`);
  const lowerBase = new Map<string, string>([['', '']]);
  const walk = (host: string, rel: string) => {
    for (const name of fs.readdirSync(host).sort()) {
      const hp = path.join(host, name);
      const p = `${rel}/${name}`;
      const st = fs.lstatSync(hp);
      const perm = (st.mode & 0o7777).toString(8);
      if (st.isCharacterDevice() && st.rdev === 0) {
        view.set(p, 'whiteout');
      } else if (st.isDirectory()) {
        const raw = mark(hp, 'redirect');
        const parentBase = lowerBase.get(rel)!;
        const redirect = raw === undefined ? undefined : raw.startsWith('/') ? raw : `${parentBase}/${raw}`;
        lowerBase.set(p, redirect ?? `${parentBase}/${name}`);
        const opaque = mark(hp, 'opaque');
        // A redirect to the directory's own lower path changes nothing (the kernel keeps one after
        // a directory is renamed back, or after a rename that then failed): shown as none.
        const effective = redirect === `${parentBase}/${name}` ? undefined : redirect;
        view.set(p, `dir ${perm}${opaque ? ` opaque=${opaque}` : ''}${effective ? ` redirect=${effective}` : ''}${extraMarks(hp, namespace)}`);
        walk(hp, p);
      } else if (st.isSymbolicLink()) {
        view.set(p, `symlink -> ${fs.readlinkSync(hp)}`);
      } else if (st.isFile()) {
        // A metacopy file's own bytes are a placeholder (the kernel's: sparse, Strata's: empty).
        if (mark(hp, 'metacopy') !== undefined) view.set(p, `file ${perm} metacopy${extraMarks(hp, namespace)}`);
        else view.set(p, `file ${perm} ${JSON.stringify(fs.readFileSync(hp, 'utf8'))}${extraMarks(hp, namespace)}`);
      } else {
        view.set(p, `other ${st.mode.toString(8)}`);
      }
    }
  };
  walk(root, '');
  return view;
}

function extraMarks(hostPath: string, namespace: string): string {
  const prefix = `${namespace}.overlay.`;
  const known = new Set(['opaque', 'redirect', 'metacopy', ...KERNEL_PRIVATE]);
  const extra = listOverlayKeys(hostPath, prefix).filter((k) => !known.has(k));
  return extra.length > 0 ? ` marks=${extra.join(',')}` : '';
}

function listOverlayKeys(hostPath: string, prefix: string): string[] {
  return listXattrsRaw(hostPath).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort();
}

/** Differences between two views, as readable lines (at most `limit`). */
export function diffViews(a: TreeView, b: TreeView, labels: [string, string], limit = 8): string[] {
  const out: string[] = [];
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const k of keys) {
    const va = a.get(k);
    const vb = b.get(k);
    if (va === vb) continue;
    out.push(`${k}: ${labels[0]}=${va ?? '(absent)'} | ${labels[1]}=${vb ?? '(absent)'}`);
    if (out.length >= limit) {
      out.push('…');
      break;
    }
  }
  return out;
}
