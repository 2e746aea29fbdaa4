// An overlay's own writes to its upper. A layer notifies every subscriber of every write, the
// writing overlay included; that overlay refreshes the entries it changed itself, so its listener
// skips what its layer reports while one of its own layer calls runs (else each write would
// count as a change underneath it, and under strict fail its next operation with ESTALE).
// OwnWriter wraps the upper for the write paths only; walks read the layer directly.
import type { Handle, Layer, LayerFile, LayerListener, NodeSpec, NodeStat } from '../layers/layer.js';

/** Which layer the overlay is writing to right now (shared with its listeners, not the overlay). */
export class OwnWrites {
  writing: Layer | undefined = undefined;

}

export class OwnWriter implements Layer {
  constructor(private readonly layer: Layer, private readonly own: OwnWrites) {}

  get name(): string { return this.layer.name; }
  get writable(): boolean { return this.layer.writable; }
  get ttlMs(): number { return this.layer.ttlMs; }

  root(): Handle { return this.layer.root(); }
  lookup(dir: Handle, name: string): Handle { return this.layer.lookup(dir, name); }
  list(dir: Handle): string[] { return this.layer.list(dir); }
  get listEntries(): Layer['listEntries'] { return this.layer.listEntries?.bind(this.layer); }
  stat(h: Handle): NodeStat { return this.layer.stat(h); }
  alive(h: Handle): boolean { return this.layer.alive(h); }
  isOpaque(dir: Handle): boolean { return this.layer.isOpaque(dir); }
  redirect(dir: Handle): string | undefined { return this.layer.redirect(dir); }
  isMetacopy(h: Handle): boolean { return this.layer.isMetacopy(h); }
  read(h: Handle): Uint8Array { return this.layer.read(h); }
  readlink(h: Handle): string { return this.layer.readlink(h); }
  xattrs(h: Handle): Record<string, Uint8Array> { return this.layer.xattrs(h); }
  subscribe(listener: LayerListener): () => void { return this.layer.subscribe(listener); }

  /** Run `fn` as a write of the overlay's own (the on-disk index writes to the upper around the Layer interface). */
  asOwn<T>(fn: () => T): T {
    const was = this.begin();
    try { return fn(); } finally { this.own.writing = was; }
  }
  createNode(dir: Handle, name: string, spec: NodeSpec): Handle {
    const was = this.begin();
    try { return this.layer.createNode(dir, name, spec); } finally { this.own.writing = was; }
  }
  writeData(h: Handle, data: Uint8Array): void {
    const was = this.begin();
    try { this.layer.writeData(h, data); } finally { this.own.writing = was; }
  }
  writeAt(h: Handle, data: Uint8Array, position: number): void {
    const was = this.begin();
    try { this.layer.writeAt(h, data, position); } finally { this.own.writing = was; }
  }
  append(h: Handle, data: Uint8Array): void {
    const was = this.begin();
    try { this.layer.append(h, data); } finally { this.own.writing = was; }
  }
  truncate(h: Handle, len: number): void {
    const was = this.begin();
    try { this.layer.truncate(h, len); } finally { this.own.writing = was; }
  }
  /** The open file's writes are own writes too, whenever they come. */
  open(h: Handle, writable: boolean): LayerFile {
    const file = this.layer.open(h, writable);
    const own = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
      const was = this.begin();
      try { fn(...args); } finally { this.own.writing = was; }
    };
    return {
      read: (buffer, position) => file.read(buffer, position),
      write: own((data: Uint8Array, position: number) => file.write(data, position)),
      append: own((data: Uint8Array) => file.append(data)),
      truncate: own((len: number) => file.truncate(len)),
      stat: () => file.stat(),
      close: () => file.close(),
    };
  }
  setMode(h: Handle, mode: number): void {
    const was = this.begin();
    try { this.layer.setMode(h, mode); } finally { this.own.writing = was; }
  }
  setOwner(h: Handle, uid: number, gid: number): void {
    const was = this.begin();
    try { this.layer.setOwner(h, uid, gid); } finally { this.own.writing = was; }
  }
  setTimes(h: Handle, atimeMs: number, mtimeMs: number): void {
    const was = this.begin();
    try { this.layer.setTimes(h, atimeMs, mtimeMs); } finally { this.own.writing = was; }
  }
  setXattr(h: Handle, key: string, value: Uint8Array | undefined): void {
    const was = this.begin();
    try { this.layer.setXattr(h, key, value); } finally { this.own.writing = was; }
  }
  setOpaqueMark(dir: Handle, opaque: boolean): void {
    const was = this.begin();
    try { this.layer.setOpaqueMark(dir, opaque); } finally { this.own.writing = was; }
  }
  setRedirectMark(dir: Handle, origin: string | undefined): void {
    const was = this.begin();
    try { this.layer.setRedirectMark(dir, origin); } finally { this.own.writing = was; }
  }
  removeName(dir: Handle, name: string): void {
    const was = this.begin();
    try { this.layer.removeName(dir, name); } finally { this.own.writing = was; }
  }
  putWhiteout(dir: Handle, name: string): void {
    const was = this.begin();
    try { this.layer.putWhiteout(dir, name); } finally { this.own.writing = was; }
  }
  renameName(fromDir: Handle, from: string, toDir: Handle, to: string, whiteout?: boolean): void {
    const was = this.begin();
    try { this.layer.renameName(fromDir, from, toDir, to, whiteout); } finally { this.own.writing = was; }
  }
  linkName(h: Handle, dir: Handle, name: string): void {
    const was = this.begin();
    try { this.layer.linkName(h, dir, name); } finally { this.own.writing = was; }
  }

  private begin(): Layer | undefined {
    const was = this.own.writing;
    this.own.writing = this.layer;
    return was;
  }
}
