// The native helper builds and answers on this machine (CI builds it at install: a build that
// broke must fail here, not silently switch every DirLayer to its slower portable paths).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { native, nativeResult } from '../bindings/layers/host/native.js';

test('the native helper is built and loads', () => {
  assert.notEqual(native(), null, 'native/build/Release/strata_native.node should load (npm run build:native)');
});

test('fileHandle: two names of one file share a handle, another file does not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-native-'));
  try {
    fs.writeFileSync(path.join(dir, 'a'), 'x');
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    fs.writeFileSync(path.join(dir, 'c'), 'x');
    const handleOf = (name: string): Buffer => {
      const fd = fs.openSync(path.join(dir, name), 'r');
      try {
        return nativeResult(native()!.fileHandle(fd), 'name_to_handle_at', name);
      } finally {
        fs.closeSync(fd);
      }
    };
    assert.ok(handleOf('a').length > 4);
    assert.deepEqual(handleOf('a'), handleOf('b'));
    assert.notDeepEqual(handleOf('a'), handleOf('c'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a negative errno becomes a Node-style error', () => {
  assert.throws(() => nativeResult(native()!.fileHandle(-1), 'name_to_handle_at', '/x'),
    { code: 'EBADF', syscall: 'name_to_handle_at', path: '/x' });
});

test('STRATA_NATIVE=off switches it off', () => {
  const url = new URL('../bindings/layers/host/native.js', import.meta.url).href;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e',
    `import { native, nativeUnavailableReason } from ${JSON.stringify(url)}; console.log(native() === null, nativeUnavailableReason())`],
  { env: { ...process.env, STRATA_NATIVE: 'off' }, encoding: 'utf8' });
  assert.equal(out.stdout.trim(), 'true switched off by STRATA_NATIVE=off');
});
