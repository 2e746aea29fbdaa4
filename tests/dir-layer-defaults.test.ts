// DirLayer's defaults for a normal user (issue 11 §4, issue 12.9): a plain project directory opens
// without privileges (the userxattr format is picked automatically), a file created on the host is
// seen after a negative lookup and after a readdir with default options (lazy watching), and a
// directory that cannot be watched is reported and falls back to a TTL instead of staying stale.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DirLayer, MemoryLayer, Overlay } from '../bindings/index.js';
import { isRoot, removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const entry = fileURLToPath(new URL('../bindings/index.js', import.meta.url));
/** Generous: events and TTLs are asynchronous, and the machine is shared and loaded. */
const DEADLINE_MS = 30_000;

async function eventually(what: string, check: () => boolean): Promise<void> {
  const end = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > end) assert.fail(`not seen within ${DEADLINE_MS} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const exists = (ov: Overlay, p: string) => { try { ov.stat(p); return true; } catch { return false; } };

/** How to run a script as user nobody, if this machine has a way. */
function nobodyRunner(): { cmd: string; args: string[] } | string {
  if (!isRoot()) return 'not root: cannot switch to another user';
  for (const [cmd, args] of [
    ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups']],
    ['runuser', ['-u', 'nobody', '--']],
  ] as const) {
    if (spawnSync(cmd, [...args, 'true']).status === 0) return { cmd, args: [...args] };
  }
  return 'neither setpriv nor runuser can switch to nobody here';
}

describe('DirLayer defaults', () => {
  it('default options: a file created on the host is seen after a negative lookup and after a readdir', async () => {
    const base = scratchDir('defaults');
    fs.mkdirSync(path.join(base, 'root/d'), { recursive: true });
    fs.writeFileSync(path.join(base, 'root/d/old'), 'o');
    const lower = new DirLayer(path.join(base, 'root'));
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer() });
    try {
      assert.equal(exists(ov, '/d/new'), false);
      assert.deepEqual(ov.readdir('/d'), ['old']);
      assert.equal(exists(ov, '/d/sub'), false);
      fs.writeFileSync(path.join(base, 'root/d/new'), 'n');
      fs.mkdirSync(path.join(base, 'root/d/sub'));
      await eventually('/d/new after a negative lookup', () => exists(ov, '/d/new'));
      await eventually('/d/new and /d/sub in readdir', () => ov.readdir('/d').sort().join() === 'new,old,sub');
      fs.writeFileSync(path.join(base, 'root/d/sub/inner'), 'i');
      assert.deepEqual(ov.readdir('/d/sub'), ['inner']);
      assert.equal(ov.readFile('/d/new', 'utf8'), 'n');
    } finally { lower.close(); removeTree(base); }
  });

  const runner = nobodyRunner();
  it('a non-root user opens a plain directory with default options and sees host changes; a refused mark names the option', { skip: typeof runner === 'string' ? runner : false }, () => {
    const { cmd, args } = runner as { cmd: string; args: string[] };
    const base = scratchDir('nobody-defaults');
    fs.chmodSync(base, 0o755);
    const root = path.join(base, 'project');
    fs.mkdirSync(path.join(root, 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src/a.js'), 'a');
    fs.mkdirSync(path.join(root, 'shared'), { mode: 0o1777 });
    fs.chmodSync(path.join(root, 'shared'), 0o1777); // root's sticky directory: user.* xattrs refused to others
    fs.chownSync(root, 65534, 65534);
    fs.chownSync(path.join(root, 'src'), 65534, 65534);
    const script = `
      import * as fs from 'node:fs';
      const { DirLayer, MemoryLayer, Overlay } = await import(${JSON.stringify(entry)});
      const lower = new DirLayer(${JSON.stringify(root)});
      const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer() });
      const seen = (p) => { try { ov.stat(p); return true; } catch { return false; } };
      const before = [seen('/src/b.js'), ov.readdir('/src').join()];
      fs.writeFileSync(${JSON.stringify(path.join(root, 'src/b.js'))}, 'b');
      const end = Date.now() + ${DEADLINE_MS};
      while (!seen('/src/b.js') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      let refused = 'written';
      try { lower.setOpaqueMark(lower.lookup(lower.root(), 'shared'), true); } catch (e) { refused = e.code + ' ' + e.message; }
      console.log(JSON.stringify({ format: lower.format.xattrs, before, after: ov.readdir('/src').sort().join(), refused }));
      lower.close();`;
    try {
      const r = spawnSync(cmd, [...args, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { refused: string };
      assert.match(out.refused, /^EPERM .*\/shared.*user\.overlay\..*xattrs: 'trusted'/, 'a mark that cannot be written names the options');
      assert.deepEqual({ ...out, refused: undefined }, { format: 'user', before: [false, 'a.js'], after: 'a.js,b.js', refused: undefined });
    } finally { removeTree(base); }
  });

  it('a directory that cannot be watched is reported and falls back to a TTL (never silently stale)', async () => {
    const base = scratchDir('watch-limit');
    fs.mkdirSync(path.join(base, 'root/w'), { recursive: true });
    fs.mkdirSync(path.join(base, 'root/u'), { recursive: true });
    const failures: string[] = [];
    let budget = 2; // the root and /w get a watch; then the limit is reached
    const lower = new DirLayer(path.join(base, 'root'), {
      fallbackTtlMs: 100,
      onWatchError: (err, p) => failures.push(`${p} ${(err as NodeJS.ErrnoException).code}`),
      watchFunction: (p, o, l) => {
        if (budget-- > 0) return fs.watch(p, o, l);
        throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached, watch'), { code: 'ENOSPC' });
      },
    });
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer() });
    try {
      assert.equal(lower.ttlMs, 0, 'watched: no TTL needed');
      assert.equal(exists(ov, '/w/x'), false);
      assert.equal(exists(ov, '/u/x'), false);
      assert.deepEqual(failures, ['/u ENOSPC']);
      assert.equal(lower.watchFailures?.unwatched, 1);
      assert.match(String(lower.watchFailures?.lastError?.message), /max_user_watches/);
      assert.equal(lower.ttlMs, 100, 'the fallback TTL from the first unwatched directory on');
      fs.writeFileSync(path.join(base, 'root/u/x'), 'u');
      fs.writeFileSync(path.join(base, 'root/w/x'), 'w');
      await eventually('/u/x (unwatched: after the fallback TTL)', () => exists(ov, '/u/x'));
      await eventually('/w/x (watched)', () => exists(ov, '/w/x'));
    } finally { lower.close(); removeTree(base); }
  });
});
