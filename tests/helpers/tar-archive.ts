// Builds tar archives in memory for tests (tar-stream's packer): one member per entry, a fixed
// mtime, and the usual modes unless a member says otherwise.
import tar from 'tar-stream';

export interface Member extends Partial<tar.Headers> {
  name: string;
  /** File data (files only). */
  data?: string;
}

export const MEMBER_MTIME = new Date(1_700_000_000_000);

export async function tarArchive(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => pack.on('end', resolve));
  for (const { data, ...header } of members) {
    const type = header.type ?? 'file';
    pack.entry({ mode: type === 'directory' ? 0o755 : 0o644, mtime: MEMBER_MTIME, ...header, type }, type === 'file' ? data ?? '' : undefined);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A zstd block: stored bytes, or one byte repeated (RLE, how a bomb is made in a few bytes). */
export type ZstdBlock = { raw: Uint8Array } | { rle: number; size: number };

/**
 * One zstd frame of stored/RLE blocks (RFC 8878 §3.1.1): valid zstd without a compressor, which
 * Node 20 lacks. `windowLog` sets the window the header declares (blocks stay ≤ 128 KiB).
 */
export function zstdFrame(blocks: ZstdBlock[], windowLog = 17): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (windowLog - 10) << 3])];
  blocks.forEach((b, i) => {
    const last = i === blocks.length - 1 ? 1 : 0;
    const size = 'raw' in b ? b.raw.length : b.size;
    if (size > 128 * 1024) throw new RangeError('zstd blocks hold at most 128 KiB');
    const header = last | (('raw' in b ? 0 : 1) << 1) | (size << 3);
    parts.push(Buffer.from([header & 0xff, (header >>> 8) & 0xff, (header >>> 16) & 0xff]));
    parts.push('raw' in b ? Buffer.from(b.raw) : Buffer.from([b.rle]));
  });
  return Buffer.concat(parts);
}

/** `bytes` as raw zstd blocks of at most 128 KiB. */
export function zstdStored(bytes: Uint8Array): Buffer {
  const blocks: ZstdBlock[] = [];
  for (let i = 0; i < bytes.length; i += 128 * 1024) blocks.push({ raw: bytes.subarray(i, i + 128 * 1024) });
  return zstdFrame(blocks.length > 0 ? blocks : [{ raw: new Uint8Array(0) }]);
}
