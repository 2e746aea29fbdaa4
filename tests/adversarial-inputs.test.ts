// Adversarial: wrong-typed and out-of-range arguments, compared with node:fs itself on a real
// file: the same error code (or the same result), and a failed call leaves the file as it was.
// A coercion that turns a programming error into an answer is a bug here: truncate(path, {})
// emptying a file, chmod(path, 2 ** 53) making it mode 000, utimes(path, NaN) storing NaN.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { MemoryLayer, Overlay } from '../bindings/index.js';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const VALUES: unknown[] = [
  undefined, null, 0, 1, -1, 1.5, NaN, Infinity, -Infinity, 2 ** 32, 2 ** 53, '1', '', '17', 'x', '-1',
  {}, [], true, Buffer.from('1'), new Date(5000), () => 1, 0o644, 0o100644,
];

function show(v: unknown): string {
  if (typeof v === 'function') return 'function';
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (v instanceof Date) return `Date(${v.getTime()})`;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v) ?? String(v);
}

/** 'ok:<what the file looks like after>' or the error's code. */
function outcome(fn: () => void, after: () => string): string {
  try {
    fn();
  } catch (err) {
    return String((err as { code?: string }).code ?? (err as Error).constructor.name);
  }
  return `ok:${after()}`;
}

describe('arguments as node:fs takes them', () => {
  const base = scratchDir('adv-inputs');
  after(() => removeTree(base));
  const real = path.join(base, 'f');
  const fresh = () => {
    fs.writeFileSync(real, 'abc');
    fs.chmodSync(real, 0o644);
    fs.utimesSync(real, 1, 1);
    const lower = new MemoryLayer();
    lower.writeFile('/f', 'abc', { mode: 0o644 });
    lower.utimes('/f', 1000, 1000);
    return new Overlay({ lowers: [lower], upper: new MemoryLayer() });
  };
  const realSize = () => String(fs.statSync(real).size);
  const realMode = () => (fs.statSync(real).mode & 0o7777).toString(8);

  test('truncate(path, len)', () => {
    // 2 ** 32 is a valid length, but a whole-file layer would allocate 4 GiB for it.
    for (const v of VALUES.filter((x) => x !== 2 ** 32)) {
      const ov = fresh();
      const got = outcome(() => ov.truncate('/f', v as number), () => String(ov.stat('/f').size));
      const want = outcome(() => fs.truncateSync(real, v as number), realSize);
      assert.equal(got, want, `truncate(path, ${show(v)})`);
      if (!got.startsWith('ok')) assert.equal(ov.readFile('/f', 'utf8'), 'abc', `truncate(path, ${show(v)}) failed but changed the file`);
    }
  });

  test('chmod(path, mode)', () => {
    for (const v of VALUES) {
      const ov = fresh();
      const got = outcome(() => ov.chmod('/f', v as number), () => (ov.stat('/f').mode & 0o7777).toString(8));
      const want = outcome(() => fs.chmodSync(real, v as number), realMode);
      assert.equal(got, want, `chmod(path, ${show(v)})`);
    }
  });

  test('utimes(path, atime, mtime): the same acceptance; a failed call changes nothing', () => {
    for (const v of VALUES) {
      const ov = fresh();
      const got = outcome(() => ov.utimes('/f', v as number, v as number), () => 'set');
      const want = outcome(() => fs.utimesSync(real, v as number, v as number), () => 'set');
      assert.equal(got, want, `utimes(path, ${show(v)})`);
      assert.ok(Number.isFinite(ov.stat('/f').mtimeMs), `utimes(path, ${show(v)}) stored a non-finite time`);
    }
  });

  test('a negative time means now, as in node:fs', () => {
    const ov = fresh();
    const before = Date.now();
    ov.utimes('/f', -1, -1);
    assert.ok(ov.stat('/f').mtimeMs >= before);
  });

  test('mkdir mode and mknod rdev out of range are argument errors, not masked', () => {
    const ov = fresh();
    assert.throws(() => ov.mkdir('/d', { mode: 2 ** 53 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ov.mkdir('/d', { mode: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ov.mknod('/p', 0o10644, {} as number), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ov.mknod('/p', 0o10644, 1.5), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(ov.exists('/d') || ov.exists('/p'), false);
  });
});
