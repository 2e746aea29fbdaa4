// An open file of the overlay (Overlay.openFile): a layer's open file object plus the overlay
// inode number it had when opened. It keeps reaching the same object after the name it was
// opened by is renamed or unlinked (node:fs semantics), because the layer holds the object
// itself (a host descriptor for DirLayer). A file opened for writing is in the upper with all
// its data (copied up at open), so every write lands in place there, costing the bytes written.
import type { LayerFile } from '../layers/layer.js';
import { Stats } from './stats.js';

export class OpenObject {
  constructor(private readonly file: LayerFile, private readonly ino: number, readonly writable: boolean) {}

  /** Bytes read into `buffer` from `position` (0 at the end). */
  read(buffer: Uint8Array, position: number): number {
    return this.file.read(buffer, position);
  }

  /** Write in place at `position` (a hole before it reads as zeros). */
  write(data: Uint8Array, position: number): void {
    this.file.write(data, position);
  }

  /** Append in place; the bytes already there are never rewritten. */
  append(data: Uint8Array): void {
    this.file.append(data);
  }

  truncate(len: number): void {
    this.file.truncate(len);
  }

  stat(): Stats {
    const st = this.file.stat();
    return new Stats(st, this.ino, st.nlink, st.size);
  }

  close(): void {
    this.file.close();
  }
}
