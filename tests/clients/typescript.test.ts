// The TypeScript compiler API type-checking the project through createFs (a CompilerHost whose
// reads go to the overlay) and on the merged copy on disk: the same files, the same diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { project, ROOT } from './project.js';

type ReadFs = { readFileSync(p: string, e: 'utf8'): string; existsSync(p: string): boolean; statSync(p: string, o: { throwIfNoEntry: false }): { isDirectory(): boolean } | undefined; readdirSync(p: string, o: { withFileTypes: true }): { name: string; isDirectory(): boolean }[]; realpathSync(p: string): string };

function check(fs: ReadFs, root: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noLib: true, types: [], noEmit: true, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  host.getCurrentDirectory = () => root;
  host.fileExists = (f) => fs.statSync(f, { throwIfNoEntry: false })?.isDirectory() === false;
  host.directoryExists = (d) => fs.statSync(d, { throwIfNoEntry: false })?.isDirectory() === true;
  host.readFile = (f) => (host.fileExists(f) ? fs.readFileSync(f, 'utf8') : undefined);
  host.realpath = (f) => fs.realpathSync(f);
  host.getDirectories = (d) => fs.readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  host.getSourceFile = (f, lang) => {
    const text = host.readFile(f);
    return text === undefined ? undefined : ts.createSourceFile(f, text, lang);
  };
  const roots = fs.readdirSync(`${root}/src`, { withFileTypes: true }).filter((e) => /\.ts$/.test(e.name)).map((e) => `${root}/src/${e.name}`);
  const program = ts.createProgram(roots.sort(), options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file ? path.relative(root, d.file.fileName) : '-'}:${at ? `${at.line + 1}:${at.character + 1}` : ''} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  }).sort();
}

test('TypeScript type-checks the overlay and reports what it reports on disk', () => {
  const p = project();
  try {
    const onDisk = check(nodeFs as unknown as ReadFs, p.disk);
    // use.ts has two errors in the lower; extra.ts (only in the upper) adds one.
    assert.equal(onDisk.length, 3, onDisk.join('\n'));
    assert.ok(onDisk.some((d) => d.startsWith('src/extra.ts')));
    assert.deepEqual(check(p.fs as unknown as ReadFs, ROOT), onDisk);
  } finally {
    p.cleanup();
  }
});
