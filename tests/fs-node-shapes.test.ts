// What node:fs's Stats, BigIntStats and Dirents look like, and how its promise form of recursive
// readdir lists, compared with node:fs of the running Node: these differ by major (Node 22 made
// the Stats dates prototype getters, 24 removed Dirent.path, 26 added the *Instant getters and
// made the promise readdir list as the sync form). `npm test` checks the machine's Node;
// tests/node-majors.test.ts runs this file on Node 26 too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { createFs } from '../bindings/fs.js';
import { NODE_FS } from '../bindings/fs/node-version.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';

type AnyFs = Record<string, any>;
const TIMES = ['atime', 'mtime', 'ctime', 'birthtime'];
const TIME_KEYS = [...TIMES, ...TIMES.map((t) => `${t}Instant`)];

/** The same tree on disk (node:fs) and in an overlay (createFs): a file, directories, links to directories. */
function trees(): { disk: string; ov: Overlay; fs: AnyFs; both: Array<[AnyFs, string]> } {
  const disk = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-shapes-'));
  const ov = new Overlay({ lowers: [new MemoryLayer({ name: 'lower' })], upper: new MemoryLayer({ name: 'upper' }) });
  const fs = createFs(ov) as unknown as AnyFs;
  for (const [f, root] of [[nodeFs as AnyFs, disk], [fs, '/t']] as Array<[AnyFs, string]>) {
    f.mkdirSync(`${root}/a/b`, { recursive: true });
    f.mkdirSync(`${root}/c`);
    f.writeFileSync(`${root}/a/f`, 'x');
    f.writeFileSync(`${root}/a/b/g`, 'y');
    f.writeFileSync(`${root}/c/h`, 'z');
    f.symlinkSync('../c', `${root}/a/lnk`);
    f.symlinkSync('c', `${root}/l2`);
    f.writeFileSync(`${root}/top`, 'q');
  }
  return { disk, ov, fs, both: [[nodeFs as AnyFs, disk], [fs, '/t']] };
}

/** Where a time key is found: own (data or getter), on the prototype chain (with its flags), or nowhere. */
function placeOf(obj: object, key: string): string {
  const own = Object.getOwnPropertyDescriptor(obj, key);
  if (own) return `own ${own.get ? 'getter' : 'data'}${own.enumerable ? ' enumerable' : ''}`;
  for (let p = Object.getPrototypeOf(obj); p !== null; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, key);
    if (d) return `prototype ${d.get ? 'getter' : 'data'}${d.set ? ' setter' : ''}${d.enumerable ? ' enumerable' : ''}`;
  }
  return 'none';
}

function layout(st: object): Record<string, unknown> {
  const forIn: string[] = [];
  for (const k in st) if (TIME_KEYS.includes(k)) forIn.push(k);
  return { keys: Object.keys(st), places: TIME_KEYS.map((k) => `${k}: ${placeOf(st, k)}`), forIn };
}

for (const bigint of [false, true]) {
  const kind = bigint ? 'BigIntStats' : 'Stats';

  test(`${kind}: own keys, where the time fields live, for…in: as node:fs of this Node`, () => {
    const { disk, fs } = trees();
    const theirs = nodeFs.statSync(`${disk}/top`, { bigint });
    const ours = fs.statSync('/t/top', { bigint });
    const expected = layout(theirs);
    const got = layout(ours);
    if (NODE_FS.statsDates !== 'own') assert.deepEqual(got, expected);
    else {
      // Node 20 builds the four Dates as own properties; ours are prototype getters (an own
      // property once read), which is left as it is for Stats (docs/fs-adapter.md, "Node majors").
      if (bigint) assert.deepEqual(got, expected);
      assert.deepEqual((got.keys as string[]).concat(bigint ? [] : TIMES), expected.keys);
    }
  });

  test(`${kind}: a read Date is kept (the same object, an own property as node:fs's); assigning one keeps the value`, () => {
    const { disk, fs } = trees();
    const kept: unknown[] = [];
    for (const st of [nodeFs.statSync(`${disk}/top`, { bigint }), fs.statSync('/t/top', { bigint })] as Array<Record<string, any>>) {
      const first = st.mtime;
      assert.ok(first instanceof Date);
      assert.equal(st.mtime, first);
      assert.equal(first.getTime(), Math.round(Number(st.mtimeMs)));
      st.atime = 'set';
      assert.equal(st.atime, 'set');
      const flags = (key: string) => {
        const { value: _, ...rest } = Object.getOwnPropertyDescriptor(st, key) ?? { value: undefined };
        return rest;
      };
      kept.push({ mtime: flags('mtime'), atime: flags('atime'), keys: Object.keys(st) });
    }
    if (NODE_FS.statsDates === 'own' && !bigint) {
      // Node 20's four Dates are own from the start, ours once read, in the order read (left as it is).
      const [theirs, ours] = kept as Array<{ keys: string[] }>;
      assert.deepEqual({ ...ours, keys: undefined }, { ...theirs, keys: undefined });
      assert.deepEqual([...ours!.keys].sort(), theirs!.keys.filter((k) => !['ctime', 'birthtime'].includes(k)).sort());
    } else assert.deepEqual(kept[1], kept[0]);
  });

  test(`${kind}: the *Instant getters where node:fs has them (Node 26), from the same nanoseconds`, () => {
    const { disk, fs } = trees();
    const theirs = nodeFs.statSync(`${disk}/top`, { bigint }) as unknown as Record<string, any>;
    const ours = fs.statSync('/t/top', { bigint });
    assert.equal('atimeInstant' in ours, 'atimeInstant' in theirs);
    assert.equal('atimeInstant' in ours, NODE_FS.statsInstants);
    if (!NODE_FS.statsInstants || (globalThis as { Temporal?: unknown }).Temporal === undefined) return;
    const Instant = (globalThis as any).Temporal.Instant;
    const nsOurs = fs.statSync('/t/top', { bigint: true });
    for (const t of TIMES) {
      assert.ok(ours[`${t}Instant`] instanceof Instant);
      assert.ok(theirs[`${t}Instant`] instanceof Instant);
      assert.equal(ours[`${t}Instant`].epochNanoseconds, nsOurs[`${t}Ns`]);
      assert.equal(ours[`${t}Instant`], ours[`${t}Instant`]);
    }
  });
}

test('without Temporal (--no-harmony-temporal), reading an *Instant throws ERR_NO_TEMPORAL, as node:fs', (t) => {
  if (!NODE_FS.statsInstants) return t.skip('this Node has no *Instant getters');
  const fsModule = fileURLToPath(new URL('../bindings/fs.js', import.meta.url));
  const layer = fileURLToPath(new URL('../bindings/layers/memory-layer.js', import.meta.url));
  const overlay = fileURLToPath(new URL('../bindings/overlay.js', import.meta.url));
  const script = `
    const { createFs } = await import(${JSON.stringify(fsModule)});
    const { MemoryLayer } = await import(${JSON.stringify(layer)});
    const { Overlay } = await import(${JSON.stringify(overlay)});
    const fs = createFs(new Overlay({ lowers: [new MemoryLayer({ name: 'l' })], upper: new MemoryLayer({ name: 'u' }) }));
    fs.writeFileSync('/f', 'x');
    const nodeFs = await import('node:fs');
    const out = [];
    for (const st of [nodeFs.statSync(process.execPath), fs.statSync('/f'), nodeFs.statSync(process.execPath, { bigint: true }), fs.statSync('/f', { bigint: true })]) {
      try { st.ctimeInstant; out.push('no error'); } catch (e) { out.push([e.constructor.name, e.code, e.message, String(st.ctime) !== '']); }
    }
    console.log(JSON.stringify(out));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--no-harmony-temporal', '--input-type=module', '-e', script], { encoding: 'utf8' }));
  assert.deepEqual(out[1], out[0]);
  assert.deepEqual(out[3], out[2]);
  assert.deepEqual(out[0], ['Error', 'ERR_NO_TEMPORAL', 'Temporal is not supported in this environment', true]);
});

test('Dirent: `path` where node:fs has it (up to 22), from readdir, opendir and the Overlay itself', async () => {
  const { disk, ov, fs } = trees();
  const theirs = nodeFs.readdirSync(disk, { withFileTypes: true })[0]!;
  const dir = nodeFs.opendirSync(disk);
  const theirsDir = dir.readSync()!;
  dir.closeSync();
  const oursDir = fs.opendirSync('/t');
  const fromDir = oursDir.readSync();
  oursDir.closeSync();
  const ours = [fs.readdirSync('/t', { withFileTypes: true })[0], fromDir, ov.readdir('/t', { withFileTypes: true })[0]!,
    (await fs.promises.readdir('/t', { withFileTypes: true, recursive: true }))[0]];
  // Own keys, the type under a symbol included, and what inspect and JSON show: as node:fs's.
  const keys = (d: object) => Reflect.ownKeys(d).map(String);
  const shown = (d: nodeFs.Dirent, root: string) => [inspect(d, { breakLength: Infinity }).replaceAll(root, '<root>'), JSON.stringify(d).replaceAll(root, '<root>')];
  for (const d of ours) {
    assert.deepEqual(keys(d), keys(theirs));
    assert.deepEqual(shown(d as nodeFs.Dirent, '/t'), shown(theirs, disk));
    assert.equal(d.isFile(), theirs.isFile());
    assert.equal(d.isDirectory(), theirs.isDirectory());
    assert.equal('path' in d, 'path' in theirs);
    assert.equal('path' in d, 'path' in theirsDir);
    if ('path' in d) assert.equal(d.path, d.parentPath);
  }
  assert.equal('path' in theirs, NODE_FS.direntPath);
});

/** A readdir answer with the root taken off, so disk and overlay compare. */
function relative(list: unknown[], root: string): string[] {
  return list.map((e) => (typeof e === 'string' ? e : `${(e as nodeFs.Dirent).parentPath.slice(root.length)}/${(e as nodeFs.Dirent).name}`));
}

test('recursive readdir, each form (sync, callback, promise; names and Dirents): as node:fs of this Node lists it', async () => {
  const { both } = trees();
  const answers: string[][][] = [];
  for (const [f, root] of both) {
    const got: string[][] = [];
    for (const withFileTypes of [false, true]) {
      const o = { recursive: true, withFileTypes };
      got.push(relative(f.readdirSync(root, o), root));
      got.push(relative(await new Promise<unknown[]>((res, rej) => f.readdir(root, o, (e: unknown, x: unknown[]) => (e ? rej(e) : res(x)))), root));
      got.push(relative(await f.promises.readdir(root, o), root));
    }
    answers.push(got);
  }
  const [theirs, ours] = answers as [string[][], string[][]];
  if (NODE_FS.recursiveReaddirEntersLinks) assert.deepEqual(ours, theirs);
  else {
    // Node 20: the adapter enters no link in any form, where node:fs's names forms do
    // (docs/fs-adapter.md); the Dirent forms, which enter none there either, match.
    assert.deepEqual(ours.slice(3), theirs.slice(3));
    const noLinks = (l: string[]) => l.filter((n) => !/^(l2|a\/lnk)\//.test(n));
    assert.deepEqual(ours.slice(0, 3), theirs.slice(0, 3).map(noLinks));
  }
  if (NODE_FS.promiseReaddirStack) assert.notDeepEqual(theirs[2], theirs[0], 'the promise form lists otherwise here');
});
