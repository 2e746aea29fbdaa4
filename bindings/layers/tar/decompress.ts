// Turns an archive's bytes into tar bytes: the compression is sniffed from magic bytes (never the
// file name), and the output is bounded by `maxBytes` so a small bomb cannot exhaust memory.
// gzip uses node:zlib; zstd uses node:zlib where its zstd reads every frame (Node 24 on), else fzstd (pure JS).
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdStream } from 'fzstd';
import { archiveError } from './archive-error.js';
import { ZstdFrameGuard } from './zstd-frames.js';

export type Compression = 'tar' | 'gzip' | 'zstd';

/** Bytes needed to tell every supported or recognized format apart. */
export const SNIFF_BYTES = 6;

/** The compression of an archive from its first bytes; other compressors are refused by name. */
export function sniffCompression(head: Uint8Array, where: string): Compression {
  const is = (...magic: number[]) => magic.every((b, i) => head[i] === b);
  if (is(0x1f, 0x8b)) return 'gzip';
  // A zstd frame, or a skippable frame (magic 0x184D2A5?) that zstd streams may start with.
  if (is(0x28, 0xb5, 0x2f, 0xfd) || ((head[0] & 0xf0) === 0x50 && is(head[0], 0x2a, 0x4d, 0x18))) return 'zstd';
  if (is(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) throw archiveError(where, 'xz compression is not supported (decompress it first: xz -d)');
  if (is(0x42, 0x5a, 0x68)) throw archiveError(where, 'bzip2 compression is not supported (decompress it first: bzip2 -d)');
  return 'tar';
}

// zstd's reference decoder refuses windows over 2^27 bytes unless told otherwise; so do we, since
// a pure-JS decoder allocates each frame's whole window when it reads the frame header.
export const ZSTD_WINDOW_MAX = 2 ** 27;

/** Passes a zstd stream through unchanged, refusing a frame over the window limit first, and a truncated end. */
function zstdGuard(where: string): Transform {
  const guard = new ZstdFrameGuard(ZSTD_WINDOW_MAX, (why) => archiveError(where, why));
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try { guard.feed(chunk); done(null, chunk); } catch (err) { done(err as Error); }
    },
    flush(done: TransformCallback) {
      try { guard.end(); done(); } catch (err) { done(err as Error); }
    },
  });
}

/** fzstd's push-based decoder as a stream Transform. */
function fzstdTransform(): Transform {
  let decoder: ZstdStream;
  const t = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try { decoder.push(chunk); done(); } catch (err) { done(err as Error); }
    },
    flush(done: TransformCallback) {
      try { decoder.push(new Uint8Array(0), true); done(); } catch (err) { done(err as Error); }
    },
  });
  decoder = new ZstdStream((data) => { if (data.length > 0) t.push(Buffer.from(data)); });
  return t;
}

/** "zstd: <why>" — an archive error names the compression that failed, whoever reports it first. */
function named(kind: Compression, message: string): string {
  return message.startsWith(`${kind}: `) ? message : `${kind}: ${message}`;
}

interface ZlibZstd {
  createZstdDecompress?: () => Transform;
  zstdCompressSync?: (b: Buffer) => Buffer;
  zstdDecompressSync?: (b: Buffer) => Buffer;
}

let zstdOfZlib: (() => Transform) | null | undefined;

/**
 * node:zlib's zstd decoder where it reads a whole stream: Node 22's stops after the first frame,
 * so a second frame, or the data after a leading skippable frame, would be dropped without an
 * error. Probed once, on a skippable frame and two data frames; else fzstd.
 */
function zlibZstd(): (() => Transform) | null {
  if (zstdOfZlib !== undefined) return zstdOfZlib;
  const z = zlib as ZlibZstd;
  zstdOfZlib = null;
  if (z.createZstdDecompress && z.zstdCompressSync && z.zstdDecompressSync) {
    try {
      const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 1, 0, 0, 0, 0]);
      const probe = Buffer.concat([skippable, z.zstdCompressSync(Buffer.from('a')), z.zstdCompressSync(Buffer.from('b'))]);
      if (z.zstdDecompressSync(probe).toString() === 'ab') zstdOfZlib = z.createZstdDecompress;
    } catch {
      // fzstd, then.
    }
  }
  return zstdOfZlib;
}

function decoderFor(kind: Compression): Transform | undefined {
  if (kind === 'tar') return undefined;
  const native = kind === 'gzip' ? zlib.createGunzip : zlibZstd();
  const decoder = native !== null ? native() : fzstdTransform();
  // Registered first, so the name is on the message before the pipeline passes the error on
  // (node:zlib's zstd says only "Unexpected end of data").
  decoder.on('error', (err: Error) => { err.message = named(kind, err.message); });
  return decoder;
}

/**
 * The tar bytes of an archive read from `source` (a stream of its raw bytes), at most `maxBytes`
 * of them: past that the iteration throws EINVAL and the streams are destroyed.
 */
export async function* tarBytes(source: Readable, where: string, maxBytes: number): AsyncGenerator<Buffer> {
  let head = Buffer.alloc(0);
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Gather the first few bytes to sniff; the rest flows through untouched.
  while (head.length < SNIFF_BYTES) {
    const next = await it.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  const kind = sniffCompression(head, where);
  const rest = Readable.from((async function* () {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  })(), { objectMode: false });
  const decoder = decoderFor(kind);
  const settled = () => { /* errors surface through iteration */ };
  const out: Readable = decoder === undefined ? rest
    : kind === 'zstd' ? pipeline(rest, zstdGuard(where), decoder, settled)
    : pipeline(rest, decoder, settled);
  let total = 0;
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw archiveError(where, `more than ${maxBytes} bytes of tar data${kind === 'tar' ? '' : ` after ${kind} decompression`} (the maxBytes option)`);
      }
      yield chunk;
    }
  } catch (err) {
    const e = err as Error;
    if (kind !== 'tar' && !/tar layer/.test(e.message)) throw archiveError(where, named(kind, e.message));
    throw err;
  } finally {
    out.destroy();
    source.destroy();
  }
}
