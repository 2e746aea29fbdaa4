// Assertions for Node-style filesystem errors.
import assert from 'node:assert/strict';

export interface ExpectedError {
  code: string;
  syscall?: string;
  path?: string;
  dest?: string;
}

/** `fn` must throw an error with this code (and syscall/path/dest when given). */
export function assertFsError(fn: () => unknown, expected: ExpectedError | string): void {
  const want = typeof expected === 'string' ? { code: expected } : expected;
  let threw = false;
  try {
    fn();
  } catch (err) {
    threw = true;
    const e = err as { code?: unknown; syscall?: unknown; path?: unknown; dest?: unknown; message?: unknown };
    const got = { code: e.code, syscall: e.syscall, path: e.path, dest: e.dest };
    const picked: Record<string, unknown> = { code: got.code };
    if (want.syscall !== undefined) picked.syscall = got.syscall;
    if (want.path !== undefined) picked.path = got.path;
    if (want.dest !== undefined) picked.dest = got.dest;
    assert.deepEqual(picked, { ...want }, `wrong error: ${String(e.message)}`);
    assert.ok(err instanceof Error, 'errors are Error instances');
  }
  assert.ok(threw, `expected ${want.code}, but the call succeeded`);
}
