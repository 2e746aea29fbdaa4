// Issue 12.8: while a host process atomically replaces a lower file (write a temp file, rename it
// over), the object an operation walked to can die between the walk and the layer call. Under
// `relaxed` that must never fail: the operation walks again (bounded). Under `strict` it fails
// with ESTALE — naming the operation's path, not `/`.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import type { Handle, NodeStat } from '../bindings/layers/layer.js';
import { MemoryLayer } from '../bindings/layers/memory-layer.js';
import { Overlay } from '../bindings/overlay.js';
import type { PolicyName } from '../bindings/policy.js';
import { createRng } from '../bindings/verify/prng.js';

/**
 * A lower whose stat and read calls first replace /d/f with a new file (as `mv tmp f` does), in
 * seeded bursts of 1–4 calls in a row, each followed by 3–10 quiet calls: the handle the overlay
 * walked to is dead when the call lands. No peekStat, so a stat goes through alive() and then
 * stat(), as DirLayer's does.
 */
class ReplacingLayer extends MemoryLayer {
  replaces = 0;
  private burst = 0;
  private quiet = 0;
  constructor(private readonly next: () => number) {
    super({ name: 'replacing' });
    (this as { peekStat?: unknown }).peekStat = undefined;
  }

  private maybeReplace(): void {
    if (this.burst === 0) {
      if (this.quiet > 0) { this.quiet--; return; }
      this.burst = 1 + Math.floor(this.next() * 4);
      this.quiet = 3 + Math.floor(this.next() * 8);
    }
    this.burst--;
    this.replaces++;
    this.writeFile('/d/f', `v${this.replaces}`, { replace: true });
  }

  override stat(h: Handle): NodeStat {
    this.maybeReplace();
    return super.stat(h);
  }

  override read(h: Handle): Uint8Array {
    this.maybeReplace();
    return super.read(h);
  }
}

interface Failure {
  code?: string;
  syscall?: string;
  path?: string;
}

function runCalls(ov: Overlay, n: number, p: string, check: (data: string) => void): Failure[] {
  const failures: Failure[] = [];
  for (let i = 0; i < n; i++) {
    try {
      if (i % 3 === 0) ov.stat(p);
      else if (i % 3 === 1) check(ov.readFile(p, 'utf8') as string);
      else assert.ok(ov.exists(p));
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      const e = err as Failure;
      failures.push({ code: e.code, syscall: e.syscall, path: e.path });
    }
  }
  return failures;
}

function memoryStack(seed: number, policy: PolicyName) {
  const lower = new ReplacingLayer(createRng(seed).next);
  lower.mkdir('/d');
  lower.writeFile('/d/f', 'v0');
  return { lower, ov: new Overlay({ lowers: [lower], upper: new MemoryLayer(), policy }) };
}

test('relaxed: a lower file replaced between the walk and every kind of read never fails', () => {
  const seed = 1208;
  console.log(`seed ${seed}`);
  const { lower, ov } = memoryStack(seed, 'relaxed');
  const failures = runCalls(ov, 3000, '/d/f', (data) => assert.match(data, /^v\d+$/));
  assert.ok(lower.replaces > 500, `the layer replaced the file (${lower.replaces} times)`);
  assert.deepEqual(failures, []);
  // The answer is the current file, and writes through the overlay still work.
  const now = ov.readFile('/d/f', 'utf8');
  assert.equal(now, `v${lower.replaces}`);
  ov.chmod('/d/f', 0o600);
  assert.equal(ov.stat('/d/f').mode & 0o777, 0o600);
});

test('strict: a layer object dead mid-operation is ESTALE naming the operation and its path', () => {
  const seed = 1209;
  console.log(`seed ${seed}`);
  const { lower, ov } = memoryStack(seed, 'strict');
  const failures = runCalls(ov, 600, '/d/f', (data) => assert.match(data, /^v\d+$/));
  assert.ok(lower.replaces > 50);
  assert.ok(failures.length > 0, 'strict reports the replaced objects');
  for (const f of failures) {
    assert.equal(f.code, 'ESTALE');
    assert.equal(f.path, '/d/f');
    assert.ok(f.syscall === 'stat' || f.syscall === 'open', `syscall ${f.syscall}`);
  }
  assert.equal(ov.stats().estale, failures.length, 'each counted once');
});

test('writes too: a lower file replaced while it is copied up', () => {
  for (const policy of ['relaxed', 'strict'] as const) {
    const lower = new ReplacingLayer(createRng(7).next);
    lower.mkdir('/d');
    lower.writeFile('/d/f', 'v0');
    const ov = new Overlay({ lowers: [lower], upper: new MemoryLayer(), policy });
    let appended: string | undefined;
    for (let i = 0; i < 20 && appended === undefined; i++) {
      try {
        ov.appendFile('/d/f', '+');
        appended = ov.readFile('/d/f', 'utf8') as string;
      } catch (err) {
        const e = err as Failure;
        assert.equal(policy, 'strict', `relaxed failed: ${e.code}`);
        assert.deepEqual([e.code, e.syscall, e.path], ['ESTALE', 'open', '/d/f']);
      }
    }
    // The copy carries the lower file as it was when read, and the append once.
    assert.match(appended ?? '', /^v\d+\+$/, policy);
    assert.ok(lower.replaces > 0 && ov.stats().relookups > 0, 'objects died under the write');
  }
});

test('relaxed: a persistently dying object ends in EAGAIN naming the path, not a hang or a wrong answer', () => {
  const lower = new (class extends MemoryLayer {
    override read(h: Handle): Uint8Array {
      this.writeFile('/f', 'again', { replace: true });
      return super.read(h);
    }
  })();
  lower.writeFile('/f', 'x');
  const ov = new Overlay({ lowers: [lower] });
  assert.throws(() => ov.readFile('/f'), (err: Failure) => err.code === 'EAGAIN' && err.path === '/f' && err.syscall === 'open');
  assert.equal(ov.stat('/f').size, 5, 'the overlay still answers');
});

const REPLACER = `
const fs = require('node:fs');
const [dir] = process.argv.slice(1);
let i = 0;
for (;;) {
  const tmp = dir + '/.f.tmp';
  fs.writeFileSync(tmp, 'content ' + (i++ % 10));
  fs.renameSync(tmp, dir + '/f');
  if (i === 50) process.stdout.write('ready\\n');
}
`;

for (const policy of ['relaxed', 'strict'] as const) {
  test(`DirLayer lower replaced in a loop by another process: ${policy}`, async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-replace-'));
    const lowerDir = path.join(root, 'lower');
    fs.mkdirSync(path.join(lowerDir, 'd'), { recursive: true });
    fs.writeFileSync(path.join(lowerDir, 'd', 'f'), 'content 0');
    const child = spawn(process.execPath, ['-e', REPLACER, path.join(lowerDir, 'd')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`replacer exited early (${code})`)));
      });
      const ov = new Overlay({ lowers: [new DirLayer(lowerDir, { readOnly: true })], policy });
      const failures = runCalls(ov, 3000, '/d/f', (data) => assert.match(data, /^content \d$/));
      if (policy === 'relaxed') {
        assert.deepEqual(failures, []);
      } else {
        for (const f of failures) assert.deepEqual([f.code, f.path], ['ESTALE', '/d/f']);
      }
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve));
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
}
