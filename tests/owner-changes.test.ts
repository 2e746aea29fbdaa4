// chown/lchown/lutimes (issue 11 §3 follow-up): chown(2)'s permission rules for the caller's
// credentials, copy-up with metacopy (metadata only), and a symlink's own owner and times —
// node:fs on a real directory is the oracle for what lchown/lutimes change.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFs } from '../bindings/fs.js';
import { checkOwnerChange, type Credentials } from '../bindings/engine/owner-rules.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import type { Layer } from '../bindings/layers/layer.js';
import { Overlay } from '../bindings/overlay.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

test('chown(2) rules: root anything; the owner may only change the group to one of its own; -1 is no change', () => {
  const file = { uid: 1000, gid: 1000 };
  const owner: Credentials = { euid: 1000, groups: [1000, 27] };
  const other: Credentials = { euid: 1001, groups: [1001] };
  const root: Credentials = { euid: 0, groups: [0] };
  const allowed = (uid: number, gid: number, who: Credentials) => {
    try { checkOwnerChange(file, uid, gid, 'chown', '/f', who); return true; } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'EPERM');
      return false;
    }
  };
  const table: [number, number, Credentials, boolean][] = [
    [-1, -1, other, true], [1000, 1000, owner, true], [-1, 27, owner, true], [1000, 27, owner, true],
    [-1, 28, owner, false], [1001, -1, owner, false], [1000, -1, other, false], [-1, 1001, other, false],
    [5, 5, root, true],
  ];
  for (const [uid, gid, who, want] of table) assert.equal(allowed(uid, gid, who), want, `chown(${uid}, ${gid}) as ${who.euid}`);
});

function stacks(): [string, () => { lower: MemoryLayer; upper: Layer; done(): void }][] {
  const lowerTree = () => {
    const l = new MemoryLayer({ name: 'lower' });
    l.mkdir('/d');
    l.writeFile('/d/f', 'data');
    l.symlink('f', '/d/link');
    return l;
  };
  return [
    ['MemoryLayer upper', () => ({ lower: lowerTree(), upper: new MemoryLayer({ name: 'upper' }), done() {} })],
    ['DirLayer upper', () => {
      const base = scratchDir('owner');
      nodeFs.mkdirSync(path.join(base, 'upper'));
      const upper = new DirLayer(path.join(base, 'upper'));
      return { lower: lowerTree(), upper, done() { upper.close(); removeTree(base); } };
    }],
  ];
}

for (const [name, make] of stacks()) {
  describe(`chown and lutimes, ${name}`, { skip: isRoot() ? false : 'needs root (any owner; the kernel format)' }, () => {
    it('chown of a lower file with metacopy copies up metadata only; lchown and lutimes change the link itself', () => {
      const s = make();
      try {
        const ov = new Overlay({ lowers: [s.lower], upper: s.upper, metacopy: true });
        const before = ov.stat('/d/f');
        ov.chown('/d/f', 4242, 4243);
        assert.deepEqual([ov.stat('/d/f').uid, ov.stat('/d/f').gid], [4242, 4243]);
        assert.equal(ov.resolve('/d/f').layer, 'upper');
        assert.equal(s.upper.isMetacopy(s.upper.lookup(s.upper.lookup(s.upper.root(), 'd'), 'f')), true, 'metadata only');
        assert.equal(ov.readFile('/d/f', 'utf8'), 'data');
        assert.equal(ov.stat('/d/f').ino, before.ino);
        ov.chown('/d/f', -1, 7);
        assert.deepEqual([ov.stat('/d/f').uid, ov.stat('/d/f').gid], [4242, 7]);

        ov.lchown('/d/link', 11, 12);
        ov.lutimes('/d/link', 1000, 2000);
        const link = ov.lstat('/d/link');
        assert.deepEqual([link.uid, link.gid, link.atimeMs, link.mtimeMs], [11, 12, 1_000_000, 2_000_000]);
        assert.equal(ov.readlink('/d/link'), 'f');
        const target = ov.stat('/d/link');
        assert.deepEqual([target.uid, target.gid], [4242, 7], 'the target is untouched');
        assert.notEqual(target.mtimeMs, 2_000_000);
        assert.throws(() => ov.chown('/nope', 1, 1), { code: 'ENOENT', syscall: 'chown' });
        assert.throws(() => ov.chown('/d/f', 1.5, 1), { code: 'ERR_OUT_OF_RANGE' });
        ov.close();
      } finally { s.done(); }
    });
  });
}

test('lchown and lutimes through createFs change what node:fs changes on disk (a symlink, not its target)', { skip: isRoot() ? false : 'needs root (any owner)' }, () => {
  const root = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-owner-'));
  try {
    nodeFs.writeFileSync(path.join(root, 'f'), 'x');
    nodeFs.symlinkSync('f', path.join(root, 'link'));
    const lower = new MemoryLayer({ name: 'lower' });
    lower.writeFile('/f', 'x');
    lower.symlink('f', '/link');
    const fs = createFs(new Overlay({ lowers: [lower], upper: new MemoryLayer({ name: 'upper' }) }));
    const run = (f: typeof nodeFs | Record<string, any>, p: (s: string) => string) => {
      f.lchownSync(p('/link'), 21, 22);
      f.lutimesSync(p('/link'), 3, 4);
      f.chownSync(p('/link'), 31, 32);
      const l = f.lstatSync(p('/link'));
      const t = f.statSync(p('/link'));
      return [l.uid, l.gid, l.mtimeMs, t.uid, t.gid, t.mtimeMs === 4000];
    };
    assert.deepEqual(run(fs, (s) => s), run(nodeFs, (s) => path.join(root, s)));
  } finally {
    nodeFs.rmSync(root, { recursive: true, force: true });
  }
});
