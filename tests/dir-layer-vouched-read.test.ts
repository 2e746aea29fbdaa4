// DirLayer's readFile of a file its watch vouches for: open (openat2, kept inside the layer's
// root, no symlink followed), one read of size + 1 bytes, close — no fstat. These tests make the
// host change under a vouched record before any event is taken in (trustWatch, no await: the
// record stays vouched), and check the answer is the file's whole current content or a refusal,
// never a torn read and never a byte from outside the root.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Overlay } from '../bindings/overlay.js';
import { DirLayer } from '../bindings/layers/dir-layer.js';
import { native, type NativeHelper } from '../bindings/layers/host/native.js';
import { removeTree, scratchDir, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

/** Calls of the helper's two read paths while `fn` runs. */
function readCalls(fn: () => void): { beneath: number; checked: number } {
  const helper = native() as NativeHelper;
  const { readFileBeneath, readFileIf } = helper;
  const calls = { beneath: 0, checked: 0 };
  helper.readFileBeneath = (...a) => { calls.beneath++; return readFileBeneath(...a); };
  helper.readFileIf = (...a) => { calls.checked++; return readFileIf(...a); };
  try {
    fn();
  } finally {
    helper.readFileBeneath = readFileBeneath;
    helper.readFileIf = readFileIf;
  }
  return calls;
}

function stack(trustWatch: boolean) {
  const base = scratchDir('dl-vouched-read');
  const root = path.join(base, 'layer');
  const outside = path.join(base, 'outside');
  writeTree(root, { 'd/f': 'one', 'd/g': 'gee' });
  // Outside the root, the same names and sizes: what a planted symlink would reach.
  writeTree(outside, { 'd/f': 'SEC', f: 'SEC' });
  const layer = new DirLayer(root, { readOnly: true, trustWatch });
  const ov = new Overlay({ lowers: [layer] });
  const text = (p: string): string => {
    try {
      return ov.readFile(p, 'utf8') as string;
    } catch (err) {
      return `error ${(err as { code?: string }).code}`;
    }
  };
  /** stat (the watch vouches for the record) and read once, so the next read is a hit. */
  const warm = (p: string) => {
    ov.stat(p);
    assert.equal(text(p).startsWith('error'), false);
  };
  return { root, outside, ov, text, warm, done() { ov.close(); layer.close(); removeTree(base); } };
}

describe('DirLayer readFile of a vouched file', { skip: native() === null ? 'the native helper is not built' : false }, () => {
  it('takes the open + read path (no fstat), and by default sees a host change made just before', () => {
    const s = stack(false);
    try {
      s.warm('/d/f');
      assert.deepEqual(readCalls(() => assert.equal(s.text('/d/f'), 'one')), { beneath: 1, checked: 0 });
      fs.appendFileSync(path.join(s.root, 'd/f'), ' two');
      assert.equal(s.text('/d/f'), 'one two');
    } finally {
      s.done();
    }
  });

  it('a file grown, shrunk or rewritten in place before its event is taken in reads whole', () => {
    const s = stack(true);
    try {
      const f = path.join(s.root, 'd/f');
      s.warm('/d/f');
      fs.appendFileSync(f, '+');
      assert.equal(s.text('/d/f'), 'one+', 'grown by one byte: not cut at the size vouched for');
      s.warm('/d/g');
      fs.truncateSync(path.join(s.root, 'd/g'), 1);
      assert.equal(s.text('/d/g'), 'g', 'shrunk');
      fs.writeFileSync(f, 'ONE+'); // same size, same inode
      assert.equal(s.text('/d/f'), 'ONE+');
    } finally {
      s.done();
    }
  });

  it('a symlink planted at the name, or at a directory on the way, never reaches outside the root', () => {
    const s = stack(true);
    try {
      s.warm('/d/f');
      s.warm('/d/g');
      const g = path.join(s.root, 'd/g');
      fs.rmSync(g);
      fs.symlinkSync(path.join(s.outside, 'f'), g);
      assert.notEqual(s.text('/d/g'), 'SEC');
      // The directory itself swapped for a symlink to a look-alike outside.
      fs.renameSync(path.join(s.root, 'd'), path.join(s.root, 'd-moved'));
      fs.symlinkSync(path.join(s.outside, 'd'), path.join(s.root, 'd'));
      assert.notEqual(s.text('/d/f'), 'SEC');
    } finally {
      s.done();
    }
  });

  it('a FIFO planted at the name is refused at once, never read or waited on', () => {
    const s = stack(true);
    try {
      s.warm('/d/f');
      const f = path.join(s.root, 'd/f');
      fs.rmSync(f);
      execFileSync('mkfifo', [f]);
      const answer = s.text('/d/f');
      assert.ok(answer.startsWith('error') || answer === '', `no content from a FIFO: ${answer}`);
    } finally {
      s.done();
    }
  });
});
