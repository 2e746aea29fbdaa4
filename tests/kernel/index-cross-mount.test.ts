// index=on across the two implementations: a tree Strata wrote with index on, mounted by the
// kernel with index=on, shows Strata's view — and a tree the kernel wrote, opened by Strata with
// index on, shows the kernel's (joined hard links: data, link counts, shared inode numbers).
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DirLayer } from '../../bindings/layers/dir-layer.js';
import { Overlay } from '../../bindings/overlay.js';
import { removeTree, scratchDir } from '../../bindings/verify/kernel/host-fixtures.js';
import { mountOverlay, probeOverlayMount, unmountOverlay } from '../../bindings/verify/kernel/kernel-mount.js';

const support = probeOverlayMount();
if (!support.ok) console.log(`# index cross-mount skipped: ${support.reason} (${support.kernel})`);
const skip = !support.ok ? support.reason : support.userxattr ? 'index=on needs trusted.* xattrs (mount as real root)' : false;

const NAMES = ['a', 'b', 'c', 'e', 'f', 's', 's2'];

interface Fs {
  appendFile(p: string, d: string): void;
  unlink(p: string): void;
  chmod(p: string, m: number): void;
  link(a: string, b: string): void;
  rename(a: string, b: string): void;
}

/** The steps both sides run: copy-up, last upper name gone, copied up again, link, rename, a never-copied name removed. */
function play(f: Fs): void {
  f.appendFile('a', 'more\n');
  f.unlink('a');
  f.chmod('b', 0o600);
  f.link('b', 'e');
  f.rename('c', 'f');
  f.unlink('s');
}

/** name → data, mode, nlink and the first name sharing its inode number. */
function view(stat: (n: string) => fs.Stats | { ino: number; nlink: number; mode: number } | undefined, read: (n: string) => string): Record<string, string> {
  const first = new Map<number, string>();
  const out: Record<string, string> = {};
  for (const n of NAMES) {
    const st = stat(n);
    if (st === undefined) { out[n] = 'ENOENT'; continue; }
    if (!first.has(st.ino)) first.set(st.ino, n);
    out[n] = `${JSON.stringify(read(n))} ${(st.mode & 0o777).toString(8)} nlink ${st.nlink} same-as ${first.get(st.ino)}`;
  }
  return out;
}

function tree(): { base: string; l: string; u: string; w: string; m: string } {
  const base = scratchDir('index-cross');
  const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((d) => path.join(base, d));
  for (const d of [l, u, w, m]) fs.mkdirSync(d, { mode: 0o700 });
  fs.writeFileSync(path.join(l, 'a'), 'hello\n', { mode: 0o644 });
  fs.linkSync(path.join(l, 'a'), path.join(l, 'b'));
  fs.linkSync(path.join(l, 'a'), path.join(l, 'c'));
  fs.writeFileSync(path.join(l, 's'), 'solo\n', { mode: 0o644 });
  fs.linkSync(path.join(l, 's'), path.join(l, 's2'));
  return { base, l, u, w, m };
}

function withStrata<T>(t: ReturnType<typeof tree>, fn: (ov: Overlay) => T, readOnly = false): T {
  const lower = new DirLayer(t.l);
  const upper = new DirLayer(t.u, { workdir: t.w, readOnly });
  const ov = new Overlay({ lowers: [lower], upper, index: true });
  try {
    return fn(ov);
  } finally {
    ov.close();
    upper.close();
    lower.close();
  }
}

function withKernel<T>(t: ReturnType<typeof tree>, fn: () => T): T {
  mountOverlay({ lowers: [t.l], upper: t.u, work: t.w, target: t.m, redirectDir: false, index: true, userxattr: false });
  try {
    return fn();
  } finally {
    assert.ok(unmountOverlay(t.m).ok);
  }
}

const strataView = (ov: Overlay) => view((n) => ov.stat(`/${n}`, { throwIfNoEntry: false }), (n) => ov.readFile(`/${n}`, 'utf8') as string);
const kernelView = (m: string) => view((n) => fs.statSync(path.join(m, n), { throwIfNoEntry: false }), (n) => fs.readFileSync(path.join(m, n), 'utf8'));

describe('index=on across Strata and the kernel', { skip }, () => {
  it('the kernel mounts what Strata wrote and shows Strata\'s view', () => {
    const t = tree();
    try {
      const mine = withStrata(t, (ov) => {
        play({
          appendFile: (p, d) => ov.appendFile(`/${p}`, d), unlink: (p) => ov.unlink(`/${p}`), chmod: (p, m) => ov.chmod(`/${p}`, m),
          link: (a, b) => ov.link(`/${a}`, `/${b}`), rename: (a, b) => ov.rename(`/${a}`, `/${b}`),
        });
        return strataView(ov);
      });
      assert.equal(mine.e, '"hello\\nmore\\n" 600 nlink 3 same-as b');
      assert.deepEqual(withKernel(t, () => kernelView(t.m)), mine);
    } finally {
      removeTree(t.base);
    }
  });

  it('Strata opens what the kernel wrote and shows the kernel\'s view', () => {
    const t = tree();
    try {
      const theirs = withKernel(t, () => {
        const at = (p: string) => path.join(t.m, p);
        play({
          appendFile: (p, d) => fs.appendFileSync(at(p), d), unlink: (p) => fs.unlinkSync(at(p)), chmod: (p, m) => fs.chmodSync(at(p), m),
          link: (a, b) => fs.linkSync(at(a), at(b)), rename: (a, b) => fs.renameSync(at(a), at(b)),
        });
        return kernelView(t.m);
      });
      assert.equal(theirs.s2, '"solo\\n" 644 nlink 1 same-as s2');
      // Only read (a read-only upper: its index is read, nothing is written) and opened to write.
      assert.deepEqual(withStrata(t, strataView, true), theirs);
      assert.deepEqual(withStrata(t, strataView), theirs);
    } finally {
      removeTree(t.base);
    }
  });

  it('Strata opens the kernel\'s tree where only the index holds the file (its last upper name went)', () => {
    const t = tree();
    try {
      const theirs = withKernel(t, () => {
        fs.appendFileSync(path.join(t.m, 'a'), 'more\n');
        fs.unlinkSync(path.join(t.m, 'a'));
        return kernelView(t.m);
      });
      assert.equal(theirs.b, '"hello\\nmore\\n" 644 nlink 2 same-as b');
      assert.deepEqual(withStrata(t, strataView), theirs);
    } finally {
      removeTree(t.base);
    }
  });
});
