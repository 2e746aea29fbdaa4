// Feeds tar bytes to tar-stream's extractor and hands each member to the builder, one at a
// time. tar-stream is trusted to parse, not to settle: a member it cannot finish (a negative PAX
// size, a directory with data) would leave its stream open forever, so headers are checked
// before their data is awaited, and every way the extractor can end (finish, error, close)
// settles the one promise.
import tar from 'tar-stream';
import { archiveError, asArchiveError } from './archive-error.js';
import type { LayerBuilder } from './layer-builder.js';

export async function readArchive(chunks: AsyncIterable<Buffer>, builder: LayerBuilder, where: string): Promise<void> {
  const extract = tar.extract();
  let failure: Error | undefined;
  let settle!: (err?: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err === undefined) return resolve();
      failure = asArchiveError(err, where);
      extract.destroy();
      reject(failure);
    };
  });
  done.catch(() => { /* observed through `failure` and the final await */ });

  extract.on('entry', (header: tar.Headers, stream: NodeJS.ReadableStream, next: (err?: Error) => void) => {
    try {
      builder.check(header);
    } catch (err) {
      return settle(err as Error);
    }
    const data: Buffer[] = [];
    stream.on('data', (c: Buffer) => data.push(c));
    stream.on('error', (err: Error) => settle(err));
    stream.on('end', () => {
      try {
        builder.apply(header, Buffer.concat(data));
      } catch (err) {
        const e = err as Error;
        // A member the layer cannot hold (a path through a non-directory member…) makes the
        // archive corrupt, like any other.
        return settle(/tar layer/.test(e.message) ? e : archiveError(where, `member '${header.name}': ${e.message}`));
      }
      next();
    });
  });
  extract.on('finish', () => settle());
  extract.on('error', (err: Error) => settle(err));
  extract.on('close', () => settle(new Error('the archive ended before its last member')));

  try {
    for await (const chunk of chunks) {
      if (failure !== undefined) break;
      if (!extract.write(chunk)) await Promise.race([new Promise((resolve) => extract.once('drain', resolve)), done]);
    }
  } catch (err) {
    settle(err as Error);
  }
  if (failure === undefined) extract.end();
  await done;
  builder.finish();
}
