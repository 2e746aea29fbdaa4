// The read operations of the reference model (model-overlay.ts): lookups, listings, file data.
// A link of the class chain ModelCore → ModelReads → ModelNamespace → ModelOverlay (text unchanged).
import { fsError } from '../../errors.js';
import { ModelCore, pathOf, type Encoding, type Fail } from './model-core.js';
import { parsePath } from './model-path.js';
import { ModelDirent, type ModelStats } from './model-stats.js';

export class ModelReads extends ModelCore {
  // ---------------------------------------------------------------- reads

  stat(p: string, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
    return this.statCommon(p, 'stat', true, options);
  }

  lstat(p: string, options?: { throwIfNoEntry?: boolean }): ModelStats | undefined {
    return this.statCommon(p, 'lstat', false, options);
  }

  exists(p: string): boolean {
    try {
      const parsed = parsePath(p, 'access');
      return this.walk(parsed, (code) => fsError(code, 'access', p), true).node !== null;
    } catch {
      return false;
    }
  }

  readdir(p: string, options?: { withFileTypes?: boolean; encoding?: string } | string): string[] | ModelDirent[] {
    const fail: Fail = (code) => fsError(code, 'scandir', p);
    const node = this.existing(parsePath(p, 'scandir'), fail, true);
    if (node.type !== 'dir') throw fail('ENOTDIR');
    const entries = this.stack.listing(node);
    if (typeof options === 'object' && options?.withFileTypes) {
      return entries.map((e) => new ModelDirent(e.name, p, e.type, e.mode));
    }
    return entries.map((e) => e.name);
  }

  readFile(p: string, options?: Encoding | { encoding?: Encoding; flag?: string }): Buffer | string {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const node = this.existing(parsePath(p, 'open'), fail, true);
    // node:fs opens a directory fine and fails the read, without a path in the message.
    if (node.type === 'dir') throw fsError('EISDIR', 'read');
    const data = Buffer.from(this.readData(node));
    const encoding = typeof options === 'object' && options !== null ? options.encoding : options;
    return encoding ? data.toString(encoding) : data;
  }

  readlink(p: string): string {
    const fail: Fail = (code) => fsError(code, 'readlink', p);
    const node = this.existing(parsePath(p, 'readlink'), fail, false);
    if (node.type !== 'symlink') throw fail('EINVAL');
    return node.reals[0].layer.readlink(node.reals[0].h);
  }

  realpath(p: string): string {
    const fail: Fail = (code) => fsError(code, 'realpath', p);
    return pathOf(this.existing(parsePath(p, 'realpath'), fail, true));
  }

  /** Which layer answers for `p` (symlinks not followed in the last component). */
  resolve(p: string): { layer: 'upper' | number; merged: boolean; opaque: boolean } {
    const fail: Fail = (code) => fsError(code, 'lstat', p);
    const node = this.existing(parsePath(p, 'lstat'), fail, false);
    const top = node.reals[0];
    return {
      layer: top.li === 0 ? 'upper' : top.li - 1,
      merged: node.type === 'dir' && node.reals.length > 1,
      opaque: node.type === 'dir' && top.layer.isOpaque(top.h),
    };
  }
}
