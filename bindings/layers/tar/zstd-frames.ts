// Walks the frame and block headers of a zstd stream as it passes (RFC 8878 §3.1), without
// decompressing anything, to refuse a frame whose window is over the limit before the decoder
// allocates it: a pure-JS decoder allocates each frame's declared window up front, so a few
// hostile bytes anywhere in the stream could otherwise ask for gigabytes.
const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State = 'magic' | 'skippable-size' | 'frame-header' | 'block-header' | 'checksum';

export class ZstdFrameGuard {
  private state: State = 'magic';
  /** Bytes gathered for the header being read. */
  private pending: number[] = [];
  /** Bytes still to pass untouched (block data, skippable frame contents, a checksum). */
  private skip = 0;
  private checksum = false;

  /** `windowMax`: the largest window a frame may declare; `fail` builds the error to throw. */
  constructor(private readonly windowMax: number, private readonly fail: (why: string) => Error) {}

  /** Scan the next bytes of the stream; throws at the first frame over the limit. */
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.pending.push(chunk[i++]);
      this.step();
    }
  }

  /**
   * The stream ended: throws unless it ended between frames. Not every decoder notices a
   * truncated last frame (node:zlib's zstd on Node 22 ends quietly, and the tar reader then
   * reports only an unexpected end of data).
   */
  end(): void {
    if (this.state !== 'magic' || this.skip > 0 || this.pending.length > 0) throw this.fail('zstd: truncated (the stream ends inside a frame)');
  }

  private step(): void {
    const p = this.pending;
    switch (this.state) {
      case 'magic': {
        if (p.length < 4) return;
        const magic = (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
        if (magic === ZSTD_MAGIC) this.state = 'frame-header';
        else if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) this.state = 'skippable-size';
        else throw this.fail('not a zstd frame');
        break;
      }
      case 'skippable-size':
        if (p.length < 4) return;
        this.skip = (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
        this.state = 'magic';
        break;
      case 'frame-header': {
        const fhd = p[0];
        const single = (fhd >> 5) & 1;
        const fcsFlag = fhd >> 6;
        const didBytes = [0, 1, 2, 4][fhd & 3];
        const fcsBytes = fcsFlag === 0 ? single : 1 << fcsFlag;
        if (p.length < 1 + (single ? 0 : 1) + didBytes + fcsBytes) return;
        let window: number;
        if (single) {
          // A single-segment frame's window is its content size (little-endian, +256 when 2 bytes).
          let size = 0;
          for (let k = fcsBytes - 1; k >= 0; k--) size = size * 256 + p[1 + didBytes + k];
          window = fcsBytes === 2 ? size + 256 : size;
        } else {
          const base = 2 ** (10 + (p[1] >> 3));
          window = base + (base / 8) * (p[1] & 7);
        }
        if (window > this.windowMax) throw this.fail(`zstd window of ${window} bytes is over the ${this.windowMax}-byte limit`);
        this.checksum = ((fhd >> 2) & 1) === 1;
        this.state = 'block-header';
        break;
      }
      case 'block-header': {
        if (p.length < 3) return;
        const header = p[0] | (p[1] << 8) | (p[2] << 16);
        const type = (header >> 1) & 3;
        if (type === 3) throw this.fail('zstd: reserved block type');
        this.skip = type === 1 ? 1 : header >>> 3;
        if (header & 1) this.state = this.checksum ? 'checksum' : 'magic';
        break;
      }
      case 'checksum':
        if (p.length < 4) return;
        this.state = 'magic';
        break;
    }
    this.pending = [];
  }
}
