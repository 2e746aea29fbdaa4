// Run by tests/vfs.test.ts on Node 26 (`--experimental-vfs`), never by the suite's own Node.
// `vfs-runner.js overlay <lowerDir>`: the directory is loaded into a MemoryLayer lower, the edits
// below are made through the overlay (a changed module, a new one, a whiteout), the overlay is
// mounted through strata/vfs and the project's CommonJS and ESM entries are loaded from the mount.
// `vfs-runner.js disk <dir>`: the same entries loaded from a plain directory. Both print one JSON
// line of what the program saw, for the test to compare.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { Overlay } from '../../bindings/overlay.js';
import { mountOverlay } from '../../bindings/vfs.js';

/** The edits the test also applies to its on-disk copy (same list, see vfs.test.ts). */
export const EDITS: [op: 'write' | 'remove', file: string, data?: string][] = [
  ['write', 'lib/util.cjs', "module.exports = { name: 'util from the upper' };\n"],
  ['write', 'lib/added.cjs', "module.exports = 'a module only the upper has';\n"],
  ['write', 'esm/helper.mjs', "export const helper = 'helper from the upper';\n"],
  ['remove', 'lib/removed.cjs'],
];

function loadDir(layer: MemoryLayer, dir: string, rel = ''): void {
  for (const d of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = `${rel}/${d.name}`;
    if (d.isDirectory()) {
      layer.mkdir(r);
      loadDir(layer, dir, r);
    } else if (d.isSymbolicLink()) layer.symlink(fs.readlinkSync(path.join(dir, r)), r);
    else layer.writeFile(r, fs.readFileSync(path.join(dir, r)));
  }
}

async function load(root: string): Promise<unknown> {
  const require = createRequire(path.join(root, 'package.json'));
  const cjs = require('./index.cjs');
  const esm = (await import(pathToFileURL(path.join(root, 'esm/main.mjs')).href)).default;
  const tree = fs.readdirSync(root, { recursive: true, withFileTypes: true }).map((d) => `${path.relative(root, path.join(d.parentPath, d.name))}${d.isDirectory() ? '/' : ''}`).sort();
  return { cjs, esm, tree };
}

async function main(): Promise<void> {
  const [mode, dir, readonly] = process.argv.slice(2);
  let root = dir;
  let extra: Record<string, unknown>;
  if (mode === 'overlay') {
    const lower = new MemoryLayer({ name: 'project' });
    loadDir(lower, dir);
    const ov = new Overlay({ lowers: [lower], upper: readonly === 'readonly' ? undefined : new MemoryLayer({ name: 'edits' }) });
    if (readonly !== 'readonly') {
      for (const [op, file, data] of EDITS) {
        if (op === 'write') ov.writeFile(`/${file}`, data!);
        else ov.unlink(`/${file}`);
      }
    }
    const mount = mountOverlay(ov);
    root = mount.mountPoint;
    const seen = await load(root);
    let write: string;
    try {
      fs.writeFileSync(path.join(root, 'written.txt'), 'through node:fs');
      write = ov.readFile('/written.txt', 'utf8') as string;
    } catch (err) {
      write = (err as NodeJS.ErrnoException).code ?? String(err);
    }
    const events: string[] = [];
    if (readonly !== 'readonly') {
      // fs.watch under the mount is the provider's watch: an event for a write made through node:fs.
      const watcher = fs.watch(path.join(root, 'lib'), (type, name) => events.push(`${type}:${name}`));
      fs.writeFileSync(path.join(root, 'lib', 'watched.cjs'), 'x');
      for (let i = 0; i < 2000 && events.length === 0; i++) await new Promise((r) => setImmediate(r));
      watcher.close();
    }
    extra = { events, write, stat: fs.statSync(path.join(root, 'lib')).isDirectory(), missing: errorOf(() => fs.statSync(path.join(root, 'nope'))) };
    console.log(JSON.stringify({ ...seen as object, ...extra }));
    return;
  }
  console.log(JSON.stringify(await load(root)));
}

function errorOf(f: () => unknown): unknown {
  try {
    f();
    return 'no error';
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { code: e.code, syscall: e.syscall };
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
