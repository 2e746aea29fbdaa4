// An open file of the overlay (Overlay.openFile): a layer's open file object plus the overlay
// inode number it had when opened. It keeps reaching the same object after the name it was
// opened by is renamed or unlinked (node:fs semantics), because the layer holds the object
// itself (a host descriptor for DirLayer). A file opened for writing is in the upper with all
// its data (copied up at open), so every write lands in place there, costing the bytes written.
import type { Handle, Layer, LayerFile } from '../layers/layer.js';
import { Stats } from './stats.js';

/**
 * Files opened for reading in a lower (or a metacopy file's data holder) that this overlay then
 * copies up: as the kernel's overlay files do since 4.19, they read the upper copy from then on.
 */
export class CopyUpFollowers {
  private readonly open = new Map<string, Set<OpenObject>>();

  follow(layer: number, h: Handle, file: OpenObject): void {
    const key = `${layer}:${h}`;
    let set = this.open.get(key);
    if (set === undefined) this.open.set(key, set = new Set());
    set.add(file);
  }

  unfollow(layer: number, h: Handle, file: OpenObject): void {
    const key = `${layer}:${h}`;
    const set = this.open.get(key);
    if (set?.delete(file) === true && set.size === 0) this.open.delete(key);
  }

  /** Object `h` of `layer` now has a complete copy `upper` in the upper. */
  copiedUp(layer: number, h: Handle, upper: Handle): void {
    const set = this.open.get(`${layer}:${h}`);
    if (set !== undefined) for (const file of set) file.movedUp(upper);
  }
}

export class OpenObject {
  /** The upper copy to switch to at the next call (a reader of a lower file that was copied up). */
  private pendingUpper: Handle | undefined;
  private closed = false;

  constructor(
    private file: LayerFile,
    private readonly ino: number,
    readonly writable: boolean,
    /** For a reader of a lower object: the upper to reopen in, and how to stop following. */
    private readonly follow?: { upper: Layer; stop(): void },
    /** A metacopy file's own object (its attributes), when the data is read from below. */
    private meta?: { layer: Layer; h: Handle },
  ) {}

  /** Called by CopyUpFollowers. */
  movedUp(upper: Handle): void {
    this.pendingUpper = upper;
  }

  /** Bytes read into `buffer` from `position` (0 at the end). */
  read(buffer: Uint8Array, position: number): number {
    this.switchIfCopied();
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
    this.switchIfCopied();
    const st = this.file.stat();
    const meta = this.meta;
    if (meta !== undefined && meta.layer.alive(meta.h)) {
      // Attributes from the metacopy file itself, the size from the data it reads.
      const own = meta.layer.stat(meta.h);
      return new Stats(own, this.ino, own.nlink, st.size);
    }
    return new Stats(st, this.ino, st.nlink, st.size);
  }

  close(): void {
    this.file.close();
    if (!this.closed) this.follow?.stop();
    this.closed = true;
  }

  private switchIfCopied(): void {
    const h = this.pendingUpper;
    if (h === undefined || this.closed || this.follow === undefined) return;
    this.pendingUpper = undefined;
    let next: LayerFile;
    try {
      next = this.follow.upper.open(h, false);
    } catch {
      return; // the copy is gone again (a rolled-back write): the lower is still the answer
    }
    this.file.close();
    this.file = next;
    this.meta = undefined;
    this.follow.stop();
  }
}
