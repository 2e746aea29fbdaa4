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

test('the watch queue: one per process, directories only, a bad argument is EINVAL, an empty queue EAGAIN', () => {
  const helper = native()!;
  const fd = helper.watchQueueOpen(() => {});
  assert.ok(fd >= 0);
  assert.equal(helper.watchQueueOpen(() => {}), fd, 'the same queue again');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-native-'));
  try {
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const wd = helper.watchQueueAdd(dir);
    assert.ok(wd > 0);
    assert.equal(helper.watchQueueAdd(dir), wd, 'one watch per directory');
    assert.equal(helper.watchQueueAdd(path.join(dir, 'file')), -os.constants.errno.ENOTDIR);
    assert.equal(helper.watchQueueAdd(`${dir}\0/x`), -os.constants.errno.EINVAL);
    assert.equal(helper.watchQueueRead(1 as unknown as Buffer), -os.constants.errno.EINVAL);
    const buffer = Buffer.alloc(4096);
    while (helper.watchQueueRead(buffer) > 0); // what other tests left
    assert.equal(helper.watchQueueRead(buffer), -os.constants.errno.EAGAIN);
    fs.writeFileSync(path.join(dir, 'new'), 'x');
    const n = helper.watchQueueRead(buffer);
    assert.ok(n >= 16 + 'new'.length, 'a create event (struct inotify_event + name)');
    assert.equal(buffer.readInt32LE(0), wd);
    assert.equal(helper.watchQueueRemove(wd), 0);
    assert.equal(helper.watchQueueRemove(wd), -os.constants.errno.EINVAL, 'already removed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
