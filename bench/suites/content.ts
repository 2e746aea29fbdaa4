// Content writes (issue 12.5 / issue 11 follow-up): a 10 MiB write stream in 64 KiB chunks through
// one descriptor, and appendFile of 1 KiB onto a 10 MiB file — Strata's fs adapter over a
// MemoryLayer upper and over a DirLayer upper vs memfs vs node:fs on a real directory, in one
// run. Before in-place writes every chunk rewrote the whole file (a stream cost size²).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createFsFromVolume, Volume } from 'memfs';
import type { Suite, SuiteContext } from '../context.js';

const MiB = 1 << 20;
const FILE_SIZE = 10 * MiB;
const CHUNK = 64 * 1024;
const APPEND = 1024;
// Each sample starts from a fresh 10 MiB file: a MemoryLayer file grows its buffer on the first append.
const APPENDS_PER_SAMPLE = 100;

/** The node:fs calls the workloads make. */
interface FsLike {
  openSync(p: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array): number;
  closeSync(fd: number): void;
  writeFileSync(p: string, data: Uint8Array): void;
  appendFileSync(p: string, data: Uint8Array): void;
  statSync(p: string): { size: number };
}

interface Subject { impl: string; fs: FsLike; dir: string }

const IMPLS = ['strata', 'strata on DirLayer', 'memfs', 'node:fs'];

export const contentSuite: Suite = {
  name: 'content',
  description: 'A 10 MiB write stream in 64 KiB chunks (one fd) and appendFile of 1 KiB onto a 10 MiB file: Strata\'s fs adapter ' +
    '(MemoryLayer upper, DirLayer upper) vs memfs vs node:fs on a real directory. Ratios: Strata time ÷ peer time.',
  planned: () => 2 * IMPLS.length,
  async run(ctx: SuiteContext) {
    const { h } = ctx;
    const api = await ctx.strata();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-content-'));
    ctx.onCleanup(() => fs.rmSync(root, { recursive: true, force: true }));
    const subjects: Subject[] = [];
    const createFs = typeof api === 'string' ? undefined : (api as unknown as { createFs?: (ov: unknown) => FsLike }).createFs;
    if (typeof api === 'string' || createFs === undefined) {
      h.skip('content', 'strata, strata on DirLayer', typeof api === 'string' ? api : 'the engine exports no createFs', 4);
    } else {
      const lower = new api.MemoryLayer({ name: 'lower' });
      subjects.push({ impl: 'strata', fs: createFs(new api.Overlay({ lowers: [lower], upper: new api.MemoryLayer({ name: 'upper' }) })), dir: '' });
      if (api.DirLayer !== undefined) {
        fs.mkdirSync(path.join(root, 'upper'));
        const upper = new api.DirLayer(path.join(root, 'upper')) as { close?: () => void };
        ctx.onCleanup(() => upper.close?.());
        subjects.push({ impl: 'strata on DirLayer', fs: createFs(new api.Overlay({ lowers: [lower], upper })), dir: '' });
      } else {
        h.skip('content', 'strata on DirLayer', 'the engine exports no DirLayer', 2);
      }
    }
    subjects.push({ impl: 'memfs', fs: createFsFromVolume(new Volume()) as unknown as FsLike, dir: '' });
    fs.mkdirSync(path.join(root, 'disk'));
    subjects.push({ impl: 'node:fs', fs: fs as unknown as FsLike, dir: path.join(root, 'disk') });

    const chunk = new Uint8Array(CHUNK).fill(7);
    const big = new Uint8Array(FILE_SIZE).fill(9);
    const tail = new Uint8Array(APPEND).fill(1);
    const ns: Record<string, Record<string, number>> = { stream: {}, append: {} };
    for (const s of subjects) {
      const file = `${s.dir}/stream.bin`;
      const stream = () => {
        const fd = s.fs.openSync(file, 'w');
        for (let at = 0; at < FILE_SIZE; at += CHUNK) s.fs.writeSync(fd, chunk);
        s.fs.closeSync(fd);
        return 1;
      };
      const r1 = await h.batches(
        { suite: 'content', name: 'write stream 10 MiB / 64 KiB', impl: s.impl, group: 'stream' },
        { setup: () => {}, run: stream },
        () => { stream(); return { checksum: String(s.fs.statSync(file).size), answers: 1 }; }, String(FILE_SIZE));
      ns.stream[s.impl] = r1.nsPerOp;
      const target = `${s.dir}/append.bin`;
      const r2 = await h.batches(
        { suite: 'content', name: 'appendFile 1 KiB onto 10 MiB', impl: s.impl, group: 'append' },
        {
          setup: () => s.fs.writeFileSync(target, big),
          run: () => { for (let i = 0; i < APPENDS_PER_SAMPLE; i++) s.fs.appendFileSync(target, tail); return APPENDS_PER_SAMPLE; },
        },
        () => {
          s.fs.writeFileSync(target, big);
          s.fs.appendFileSync(target, tail);
          return { checksum: String(s.fs.statSync(target).size), answers: 1 };
        }, String(FILE_SIZE + APPEND));
      ns.append[s.impl] = r2.nsPerOp;
    }
    for (const [what, byImpl] of Object.entries(ns)) {
      const ratios = ['strata', 'strata on DirLayer'].flatMap((mine) => ['memfs', 'node:fs'].map((peer) =>
        byImpl[mine] !== undefined && byImpl[peer] !== undefined ? `${mine} ÷ ${peer} ${(byImpl[mine] / byImpl[peer]).toFixed(2)}` : undefined))
        .filter((x) => x !== undefined);
      h.note(`content ${what}: ${ratios.join(', ')}`);
    }
  },
};
