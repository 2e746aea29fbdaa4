// createReadStream/createWriteStream: node:fs's own ReadStream and WriteStream classes, given the
// adapter's descriptor calls through their documented `fs` option. Clients get real fs.ReadStream
// instances (instanceof checks, events, highWaterMark, start/end) reading and writing the overlay.
import { ReadStream, WriteStream } from 'node:fs';

export interface StreamFs {
  open: (...args: any[]) => void;
  read: (...args: any[]) => void;
  write: (...args: any[]) => void;
  writev: (...args: any[]) => void;
  close: (...args: any[]) => void;
  fsync: (...args: any[]) => void;
}

type StreamOptions = Record<string, unknown> | BufferEncoding | undefined | null;

function withFs(options: StreamOptions, fs: StreamFs): Record<string, unknown> {
  const o = typeof options === 'string' ? { encoding: options } : { ...(options ?? {}) };
  return { ...o, fs };
}

export function streamOps(fs: StreamFs) {
  return {
    createReadStream(path: unknown, options?: StreamOptions): ReadStream {
      return new (ReadStream as any)(path, withFs(options, fs));
    },
    createWriteStream(path: unknown, options?: StreamOptions): WriteStream {
      return new (WriteStream as any)(path, withFs(options, fs));
    },
  };
}
