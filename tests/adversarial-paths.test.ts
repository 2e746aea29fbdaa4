// Adversarial: path length limits, as the kernel draws them (checked against node:fs on the
// host). PATH_MAX (4096) counts the terminating NUL, so a path of 4096 bytes is already too long;
// a symlink's target may be up to 4095 bytes; and the path a symlink expands to is not limited
// as a whole — the kernel walks the target and the rest of the path separately.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CACHE_IMPLS } from '../bindings/cache/create-cache.js';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

function code(fn: () => unknown): string {
  try { fn(); return 'ok'; } catch (err) { return String((err as { code?: string }).code); }
}

describe('the host kernel draws the lines here', () => {
  test('a path of 4095 bytes is fine, 4096 is ENAMETOOLONG', () => {
    assert.equal(code(() => fs.statSync('/'.repeat(4095))), 'ok');
    assert.equal(code(() => fs.statSync('/'.repeat(4096))), 'ENAMETOOLONG');
  });
});

for (const impl of CACHE_IMPLS) describe(`path limits (cache: ${impl})`, () => {
  const lower = new MemoryLayer();
  lower.mkdir('/y');
  lower.writeFile('/f', 'hi');
  // 3001 bytes of target, resolving to the root: the expanded path below is over 4096 bytes.
  lower.symlink('./'.repeat(1500) + '.', '/lnk');
  const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), cache: { impl } });

  test('whole paths: 4095 bytes fine, 4096 bytes ENAMETOOLONG, for walks and for split paths', () => {
    assert.equal(code(() => ov.stat('/'.repeat(4095))), 'ok');
    assert.equal(code(() => ov.stat('/'.repeat(4096))), 'ENAMETOOLONG');
    assert.equal(code(() => ov.readdir('/'.repeat(4096))), 'ENAMETOOLONG');
    assert.equal(code(() => ov.mkdir('/'.repeat(4090) + 'abcdef')), 'ENAMETOOLONG');
    assert.equal(code(() => ov.writeFile('/'.repeat(4092) + 'ab/f', 'x')), 'ENAMETOOLONG');
    assert.equal(code(() => ov.stat('/'.repeat(4092) + 'é/f')), 'ENAMETOOLONG'); // 4096 bytes, 4095 units
  });

  test('a symlink expanding a path past 4096 bytes still resolves', () => {
    const p = '/lnk/' + 'y/../'.repeat(700) + 'f'; // 3506 bytes, ~6500 after expansion
    assert.equal(ov.readFile(p, 'utf8'), 'hi');
    assert.equal(ov.realpath(p), '/f');
  });

  test('a symlink target of 4096 bytes or more is ENAMETOOLONG, 4095 is fine', () => {
    assert.equal(code(() => ov.symlink('a'.repeat(4095), '/ok')), 'ok');
    assert.equal(code(() => ov.symlink('a'.repeat(4096), '/long')), 'ENAMETOOLONG');
    assert.equal(ov.exists('/long'), false);
  });
});

describe('against the host', () => {
  const base = scratchDir('adv-paths');
  after(() => removeTree(base));
  test('the same symlink expansion resolves on the host', () => {
    fs.mkdirSync(path.join(base, 'y'));
    fs.writeFileSync(path.join(base, 'f'), 'hi');
    fs.symlinkSync('./'.repeat(1500) + '.', path.join(base, 'lnk'));
    assert.equal(fs.readFileSync(path.join(base, 'lnk/') + 'y/../'.repeat(700) + 'f', 'utf8'), 'hi');
    assert.equal(code(() => fs.symlinkSync('a'.repeat(4096), path.join(base, 'long'))), 'ENAMETOOLONG');
  });
});
