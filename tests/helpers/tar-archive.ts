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
