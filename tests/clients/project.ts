// The small project every real-client test uses, in two equal forms: an overlay (the project in a
// lower, edits in the upper: a changed module, a new one, a whiteout) and a plain directory on
// disk holding the merged result. Each client runs on both and must give the same answers.
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFs, type OverlayFs } from '../../bindings/fs.js';
import { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { Overlay } from '../../bindings/overlay.js';

/** Where the project sits inside the overlay. */
export const ROOT = '/proj';

const LOWER: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'proj', version: '1.0.0', main: 'src/index.js' }),
  'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, noLib: true, types: [], noEmit: true } }),
  'src/index.js': "import { greet } from './greet.js';\nimport data from './data.json';\nexport default greet(data.name);\n",
  'src/greet.js': "export function greet(n) { return 'hello ' + n; }\n",
  'src/old.js': "export const old = 'removed by the upper';\n",
  'src/data.json': '{ "name": "lower" }\n',
  'src/types.ts': "export interface Point { x: number; y: number }\nexport const origin: Point = { x: 0, y: 0 };\n",
  'src/use.ts': "import { origin, type Point } from './types';\nexport const p: Point = { x: origin.x, y: 'wrong' };\nexport const n: number = origin.z;\n",
  'src/lib.d.ts': 'interface Array<T> { length: number; [n: number]: T }\ninterface Boolean {}\ninterface CallableFunction {}\ninterface Function {}\ninterface IArguments {}\ninterface NewableFunction {}\ninterface Number {}\ninterface Object {}\ninterface RegExp {}\ninterface String { length: number }\n',
  'node_modules/dep/package.json': JSON.stringify({ name: 'dep', main: './lib/main.js', exports: { '.': './lib/main.js', './extra': './lib/extra.js' } }),
  'node_modules/dep/lib/main.js': 'module.exports = 1;\n',
  'node_modules/dep/lib/extra.js': 'module.exports = 2;\n',
  'node_modules/plain/index.js': 'module.exports = 3;\n',
};

const EDITS: Record<string, string | null> = {
  'src/greet.js': "export function greet(n) { return 'hi ' + n + '!'; }\n",
  'src/data.json': '{ "name": "upper" }\n',
  'src/added.js': "export const added = 'only in the upper';\n",
  'src/extra.ts': "import { origin } from './types';\nexport const s: string = origin.x;\n",
  'src/old.js': null,
};

export interface TwoForms {
  ov: Overlay;
  fs: OverlayFs;
  upper: MemoryLayer;
  /** The merged project on disk. */
  disk: string;
  cleanup(): void;
}

export function project(): TwoForms {
  const lower = new MemoryLayer({ name: 'project' });
  const disk = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'strata-client-'));
  for (const [file, data] of Object.entries(LOWER)) {
    lower.mkdir(path.posix.dirname(`${ROOT}/${file}`), { recursive: true });
    lower.writeFile(`${ROOT}/${file}`, data);
  }
  const upper = new MemoryLayer({ name: 'edits' });
  const ov = new Overlay({ lowers: [lower], upper });
  for (const [file, data] of Object.entries({ ...LOWER, ...EDITS })) {
    if (data === null) continue;
    nodeFs.mkdirSync(path.dirname(path.join(disk, file)), { recursive: true });
    nodeFs.writeFileSync(path.join(disk, file), data);
  }
  for (const [file, data] of Object.entries(EDITS)) {
    if (data === null) ov.unlink(`${ROOT}/${file}`);
    else ov.writeFile(`${ROOT}/${file}`, data);
  }
  return { ov, fs: createFs(ov), upper, disk, cleanup: () => nodeFs.rmSync(disk, { recursive: true, force: true }) };
}

/** A path from either form, relative to its project root (undefined/false pass through). */
export function rel(p: unknown, root: string): unknown {
  return typeof p === 'string' && p.startsWith(root) ? p.slice(root.length) : p;
}
