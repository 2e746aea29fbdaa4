// Crash safety of content writes in a DirLayer upper (issue 12, item 5), with a real SIGKILL: a
// child process appends to, or replaces, a large upper file through an Overlay and is killed at a
// seeded random moment after its first completed write. An append never loses old data (the file
// is the byte pattern up to at least the last size the child reported); a replacement is old or
// new, never a mix (every byte the same, full size).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../bindings/verify/prng.js';
import { APPEND_START, FILE, REPLACE_SIZE, patternByte } from './helpers/content-writer.js';

const WRITER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'content-writer.js');
const KILLS = 8;
const SEED = 1212;

let patternBytes = Buffer.alloc(0);

/** The byte pattern's first `len` bytes. */
function pattern(len: number): Buffer {
  if (patternBytes.length < len) {
    patternBytes = Buffer.alloc(len + APPEND_START);
    for (let i = 0; i < patternBytes.length; i++) patternBytes[i] = patternByte(i);
  }
  return patternBytes.subarray(0, len);
}

function stack(initial: Uint8Array): { upper: string; lower: string; done(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-crash-'));
  const upper = path.join(root, 'upper');
  const lower = path.join(root, 'lower');
  fs.mkdirSync(upper);
  fs.mkdirSync(lower);
  fs.writeFileSync(path.join(upper, FILE.slice(1)), initial);
  return { upper, lower, done: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Run the writer until its first completed write, then kill it after `delayMs`; its last report. */
function killDuring(mode: string, upper: string, lower: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, mode, upper, lower], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let armed = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (!armed && out.includes('\n')) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') { reject(new Error(`writer exited without being killed: ${err}`)); return; }
      const lines = out.trim().split('\n');
      resolve(Number(lines[lines.length - 1]));
    });
  });
}

test(`an append killed at a random point keeps the old data (seed ${SEED}, ${KILLS} kills)`, async () => {
  const rng = createRng(SEED);
  const s = stack(pattern(APPEND_START));
  try {
    const file = path.join(s.upper, FILE.slice(1));
    for (let kill = 0; kill < KILLS; kill++) {
      const reported = await killDuring('append', s.upper, s.lower, rng.int(300));
      const data = fs.readFileSync(file);
      assert.ok(data.length >= reported, `kill ${kill}: ${data.length} bytes, ${reported} were appended before`);
      const expected = pattern(data.length);
      if (!data.equals(expected)) {
        let i = 0;
        while (data[i] === expected[i]) i++;
        assert.fail(`kill ${kill}: byte ${i} of ${data.length} was rewritten`);
      }
    }
  } finally {
    s.done();
  }
});

test(`a replacement killed at a random point is old or new, never a mix (seed ${SEED}, ${KILLS} kills)`, async () => {
  const rng = createRng(SEED + 1);
  const s = stack(new Uint8Array(REPLACE_SIZE).fill(0));
  try {
    const file = path.join(s.upper, FILE.slice(1));
    for (let kill = 0; kill < KILLS; kill++) {
      await killDuring('replace', s.upper, s.lower, rng.int(60));
      const data = fs.readFileSync(file);
      assert.equal(data.length, REPLACE_SIZE, `kill ${kill}: the file has ${data.length} bytes`);
      const first = data[0];
      if (!data.equals(Buffer.alloc(data.length, first))) assert.fail(`kill ${kill}: bytes other than ${first}: a mix`);
    }
  } finally {
    s.done();
  }
});
