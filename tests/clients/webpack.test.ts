// webpack building the project's small app entirely from the overlay (inputFileSystem) and
// writing its bundle into the upper (outputFileSystem), against the same build on disk: the
// bundles are byte-for-byte equal and the build's output exists only in the upper layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import webpack from 'webpack';
import { Overlay } from '../../bindings/overlay.js';
import { project, ROOT } from './project.js';

function build(root: string, fs: unknown): Promise<webpack.Stats> {
  const compiler = webpack({
    mode: 'development', devtool: false, context: root, entry: './src/index.js', cache: false,
    output: { path: path.posix.join(root, 'dist'), filename: 'bundle.js', library: { type: 'commonjs2' } },
    infrastructureLogging: { level: 'none' },
  });
  if (fs !== undefined) {
    compiler.inputFileSystem = fs as never;
    compiler.outputFileSystem = fs as never;
  }
  return new Promise((resolve, reject) => compiler.run((err, stats) => {
    compiler.close(() => (err ? reject(err) : resolve(stats!)));
  }));
}

test('webpack builds from the overlay into its upper, as it builds on disk', async () => {
  const p = project();
  try {
    const onDisk = await build(p.disk, undefined);
    assert.deepEqual(onDisk.compilation.errors, []);
    const viaOverlay = await build(ROOT, p.fs);
    assert.deepEqual(viaOverlay.compilation.errors.map(String), []);
    const expected = nodeFs.readFileSync(path.join(p.disk, 'dist/bundle.js'), 'utf8');
    const bundle = p.ov.readFile(`${ROOT}/dist/bundle.js`, 'utf8') as string;
    assert.equal(bundle, expected);
    assert.match(bundle, /hi ' \+ n \+ '!'/); // the upper's greet.js, not the lower's
    assert.match(bundle, /"upper"/);
    assert.deepEqual(p.ov.resolve(`${ROOT}/dist/bundle.js`), { layer: 'upper', merged: false, opaque: false });
    assert.equal(new Overlay({ lowers: [p.upper] }).readFile(`${ROOT}/dist/bundle.js`, 'utf8'), expected);
    // The bundle runs and gives the same answer.
    const run = (code: string) => { const m = { exports: {} as { default?: unknown } }; new Function('module', 'exports', code)(m, m.exports); return m.exports.default; };
    assert.equal(run(bundle), 'hi upper!');
  } finally {
    p.cleanup();
  }
});
