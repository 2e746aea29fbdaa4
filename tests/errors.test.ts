// fsError: the Node-style errors every layer and the adapter throw. The answers a resolver asks for
// by the thousand (ENOENT, ENOTDIR, readlink's EINVAL) are native errors made without a stack
// capture; the rest keep their frames; and a host whose Error.stackTraceLimit cannot be written
// still gets the error it asked for, not a TypeError from the trick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as util from 'node:util';
import { fsError } from '../bindings/errors.js';

test('fsError: an answer (ENOENT, ENOTDIR, readlink EINVAL) is a native error whose stack is its message line', () => {
  for (const [code, syscall] of [['ENOENT', 'stat'], ['ENOTDIR', 'lstat'], ['EINVAL', 'readlink']] as const) {
    const e = fsError(code, syscall, '/a/b');
    assert.equal(util.types.isNativeError(e), true, code);
    assert.equal(e.stack, `Error: ${e.message}`, code);
    assert.match(e.message, new RegExp(`^${code}: .*, ${syscall} '/a/b'$`));
    assert.deepEqual(Object.keys(e), ['code', 'errno', 'syscall', 'path'], 'stack and message stay non-enumerable');
    assert.equal(e.errno < 0, true);
  }
});

test('fsError: other errors keep their stack frames, and the caller\'s stackTraceLimit is left as it was', () => {
  const before = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 7;
    assert.ok((fsError('EEXIST', 'mkdir', '/a').stack ?? '').split('\n').length > 1);
    assert.ok((fsError('EINVAL', 'rename', '/a').stack ?? '').split('\n').length > 1, 'EINVAL is an answer only for readlink');
    fsError('ENOENT', 'stat', '/a');
    assert.equal(Error.stackTraceLimit, 7);
  } finally {
    Error.stackTraceLimit = before;
  }
});

test('fsError: with Error.stackTraceLimit read-only (a frozen realm) the error is still made, with its frames', () => {
  const descriptor = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit')!;
  Object.defineProperty(Error, 'stackTraceLimit', { ...descriptor, writable: false });
  try {
    const e = fsError('ENOENT', 'stat', '/a/b');
    assert.equal(e.code, 'ENOENT');
    assert.equal(e.message, "ENOENT: no such file or directory, stat '/a/b'");
    assert.ok((e.stack ?? '').split('\n').length > 1);
    assert.equal(Error.stackTraceLimit, descriptor.value);
  } finally {
    Object.defineProperty(Error, 'stackTraceLimit', descriptor);
  }
});
