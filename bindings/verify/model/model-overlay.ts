// The reference model of the overlay: every operation of the Overlay API answered by walking the
// layers from scratch (no cache, no WASM), written for clarity, not speed. It is the oracle of the
// engine-vs-model differential test and the "fresh, uncached overlay" of the stress tester.
//
// Read-only use over layers someone else mutates is safe: nothing is remembered between calls
// except `origins`, which only this model's own copy-ups fill (so over an upper written by another
// overlay, a copied-up object reports the upper object's inode number, not its lower origin's).
//
// Semantics are docs/semantics.md facts 1-20; where a detail was in doubt it was settled on the Linux
// kernel (6.18, overlay mounted with index=off and redirect_dir/metacopy off or on):
// - mkdir over a whiteout in the upper gives an opaque directory (fact 16); over a whiteout that
//   only a lower holds, a plain one (the lower whiteout still hides what is below).
// - renaming a pure-upper directory into a merged parent marks it opaque, so lower directories
//   at the new name never merge into it; renaming a merged/lower one (redirect_dir on) sets a
//   redirect to its lower path and leaves a whiteout at the old name (facts 17, 18).
// - rename checks EXDEV before ENOTEMPTY; an empty merged destination directory is replaced.
// - copy-up keeps mode and times (mtime checked on a file and a directory) and, for a file with
//   one link, the inode number (a name of a lower hard link gets the upper's: with index=off it
//   is a file of its own now); a copied-up directory is merged (nlink 1, fact 11).
// - rename of one name of a lower hard link onto another renames (index=off: two overlay
//   inodes); only names of one upper object are "the same file" to rename(2).
// - with metacopy off, a metacopy file is refused (EPERM) but listed (the kernel leaves an upper
//   one out of a listing, or fails the readdir: kernel-differences.md); with metacopy on, a
//   metacopy file's redirect says where its data is below.
// - writing through a dangling symlink creates the target (copying up its parent directories).
// - errno order follows the VFS: parent lookup errors, then EEXIST/EISDIR, then EROFS (unlink,
//   rmdir and rename check EROFS right after the parent lookup).
// The whole model was then run against a kernel mount of the same layers (seeded workloads of
// bindings/verify/model/workload.ts, ~3·10^4 compared answers plus the final upper directories) and
// agrees, apart from these known differences:
// - the kernel lists a whiteout inside a directory that merges nothing (a non-merged directory
//   is read raw) as a 0/0 character device; Strata never lists whiteouts (fact 9);
// - with redirect_dir on, the kernel also marks every new directory in a merged parent opaque
//   (an optimisation, invisible unless a lower changes later); Strata marks only over whiteouts;
// - with metacopy on, the kernel renames and links a lower file by a metacopy copy-up with a
//   file redirect; the Layer interface has redirects for directories only, so Strata copies the
//   data (the overlay shows the same either way);
// - a rename that fails late in the kernel (ENOTEMPTY from the upper filesystem) has already
//   copied up the source and set its redirect; Strata checks first and writes nothing;
// - node:fs's mkdir -p reports EROFS as ENOENT (it stat()s after a failed mkdir); EROFS is kept;
// - the kernel's ext4 reuses freed inode numbers (Strata's layers never do).
// (bindings/verify/model/kernel-check.ts is that comparison; run it as root.)
// Where the kernel and Strata's contract differ, the contract wins: `..` above the root is EINVAL
// (the kernel stays at the root), and a NUL byte or a relative path is EINVAL. rm and mkdir -p
// follow node:fs (Node 20) rather than a syscall.
// The class is a chain, split by responsibility: model-core.ts (state, walk, answers, copy-up),
// model-reads.ts, model-namespace.ts (names), and here the content and metadata writes.
import { fsError } from '../../errors.js';
import { concat, DEFAULT_FILE_MODE, isName, toBytes, toMs, type Encoding, type Fail } from './model-core.js';
import { S_IFREG } from '../../layers/layer.js';
import { ModelNamespace } from './model-namespace.js';
import { parsePath } from './model-path.js';

export { DEFAULT_DIR_MODE, DEFAULT_FILE_MODE, pathOf, SYMLINK_MODE, type ModelOptions } from './model-core.js';

export class ModelOverlay extends ModelNamespace {
  // ---------------------------------------------------------------- writes

  writeFile(p: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    this.writeCommon(p, toBytes(data, options), options, false);
  }

  appendFile(p: string, data: string | Uint8Array, options?: Encoding | { encoding?: Encoding; mode?: number }): void {
    this.writeCommon(p, toBytes(data, options), options, true);
  }

  truncate(p: string, len = 0): void {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const node = this.existing(parsePath(p, 'open'), fail, true);
    if (node.type === 'dir') throw fail('EISDIR');
    this.requireUpper(fail);
    const old = this.readData(node);
    const size = Math.max(0, Math.trunc(len));
    const next = new Uint8Array(size);
    next.set(old.subarray(0, Math.min(size, old.length)));
    const h = this.ensureUpper(node, false);
    this.upper!.writeData(h, next);
  }

  chmod(p: string, mode: number | string): void {
    const fail: Fail = (code) => fsError(code, 'chmod', p);
    const node = this.existing(parsePath(p, 'chmod'), fail, true);
    this.requireUpper(fail);
    const h = this.ensureUpper(node, true);
    this.upper!.setMode(h, (typeof mode === 'string' ? parseInt(mode, 8) : mode) & 0o7777);
  }

  utimes(p: string, atime: number | string | Date, mtime: number | string | Date): void {
    const fail: Fail = (code) => fsError(code, 'utime', p);
    const node = this.existing(parsePath(p, 'utime'), fail, true);
    this.requireUpper(fail);
    const h = this.ensureUpper(node, true);
    this.upper!.setTimes(h, toMs(atime), toMs(mtime));
  }

  private writeCommon(p: string, bytes: Uint8Array, options: unknown, append: boolean): void {
    const fail: Fail = (code) => fsError(code, 'open', p);
    const parsed = parsePath(p, 'open');
    const { last } = this.parentOf(parsed, fail);
    // open(O_CREAT) of a name with a trailing slash, or of '/', '.', '..': the VFS says EISDIR.
    if (parsed.trailingSlash || !isName(last)) throw fail('EISDIR');
    const w = this.walk(parsed, fail, true);
    if (w.node === null) {
      this.requireUpper(fail);
      const mode = typeof options === 'object' && options !== null && typeof (options as { mode?: unknown }).mode === 'number'
        ? (options as { mode: number }).mode : DEFAULT_FILE_MODE;
      const dirH = this.ensureUpper(w.parent!, true);
      this.upper!.createNode(dirH, w.name, { type: 'file', mode: S_IFREG | (mode & 0o7777), data: bytes });
      return;
    }
    if (w.node.type === 'dir') throw fail('EISDIR');
    this.requireUpper(fail);
    const data = append ? concat(this.readData(w.node), bytes) : bytes;
    const h = this.ensureUpper(w.node, false);
    this.upper!.writeData(h, data);
  }
}
