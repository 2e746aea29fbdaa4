// A MemoryLayer that fails on demand, for checking that a failed write leaves nothing half-done
// (copy-up atomicity, fact 12). Each armed fault throws once, before the layer changes anything.
import type { Handle, NodeSpec } from '../../bindings/layers/layer.js';
import { MemoryLayer } from '../../bindings/layers/memory-layer.js';
import { fsError } from '../../bindings/errors.js';

export type FaultyMethod =
  | 'createNode' | 'writeData' | 'setMode' | 'setTimes' | 'setXattr' | 'renameName' | 'linkName' | 'putWhiteout' | 'removeName';

export class FaultyLayer extends MemoryLayer {
  private faults: { method: FaultyMethod; name?: string; code: string }[] = [];
  /** How many faults fired so far. */
  fired = 0;

  /** Fail the next call of `method` (for createNode: only one creating `name`, when given). */
  failNext(method: FaultyMethod, options: { name?: string; code?: string } = {}): void {
    this.faults.push({ method, name: options.name, code: options.code ?? 'ENOSPC' });
  }

  private trip(method: FaultyMethod, name?: string): void {
    const i = this.faults.findIndex((f) => f.method === method && (f.name === undefined || f.name === name));
    if (i < 0) return;
    const f = this.faults.splice(i, 1)[0];
    this.fired++;
    throw fsError(f.code, method);
  }

  override createNode(dir: Handle, name: string, spec: NodeSpec): Handle {
    this.trip('createNode', name);
    return super.createNode(dir, name, spec);
  }

  override writeData(h: Handle, data: Uint8Array): void {
    this.trip('writeData');
    super.writeData(h, data);
  }

  override setMode(h: Handle, mode: number): void {
    this.trip('setMode');
    super.setMode(h, mode);
  }

  override setTimes(h: Handle, atimeMs: number, mtimeMs: number): void {
    this.trip('setTimes');
    super.setTimes(h, atimeMs, mtimeMs);
  }

  override setXattr(h: Handle, key: string, value: Uint8Array | undefined): void;
  override setXattr(p: string, key: string, value: Uint8Array | undefined): void;
  override setXattr(target: Handle | string, key: string, value: Uint8Array | undefined): void {
    // Only the overlay's handle-based writes fail; direct path-based changes (test setup) do not.
    if (typeof target === 'number') this.trip('setXattr');
    super.setXattr(target as string, key, value);
  }

  override renameName(fromDir: Handle, from: string, toDir: Handle, to: string): void {
    this.trip('renameName', to);
    super.renameName(fromDir, from, toDir, to);
  }

  override linkName(h: Handle, dir: Handle, name: string): void {
    this.trip('linkName', name);
    super.linkName(h, dir, name);
  }

  override putWhiteout(dir: Handle, name: string): void {
    this.trip('putWhiteout', name);
    super.putWhiteout(dir, name);
  }

  override removeName(dir: Handle, name: string): void {
    this.trip('removeName', name);
    super.removeName(dir, name);
  }
}
