// A host layer's name changes: create, remove, whiteout, rename and link, each built in the work
// directory where it must not show half-done, and placed by one rename (or renameat2) where the
// host allows. Each notifies subscribers at once, with the change the watcher would report; the
// watcher itself drops the events they raise (expectSelf). DirLayer (../dir-layer.ts) builds on it.
import * as fs from 'node:fs';
import { fsError } from '../../errors.js';
import type { Handle, NodeSpec } from '../layer.js';
import { displayPath, procPath, sameObject } from './host-paths.js';
import { host } from './host-layer-base.js';
import { RENAME_EXCHANGE, RENAME_WHITEOUT } from './rename-at2.js';
import { HostVouchedStats } from './vouched-stats.js';
import { setXattr } from './xattr.js';

const { S_IFMT, S_IFCHR } = fs.constants;

export abstract class HostNameChanges extends HostVouchedStats {
  createNode(dir: Handle, name: string, spec: NodeSpec): Handle {
    return this.atDirForWrite(dir, name, 'create', (d, childPath) => {
      if (spec.type === 'other' && (spec.mode & S_IFMT) === S_IFCHR && (spec.rdev ?? 0) === 0) {
        // It would read back as a whiteout.
        throw fsError('EPERM', 'mknod', displayPath(childPath));
      }
      const before = this.listeners.size > 0 ? this.tree.lstatAt(d.fd, name, childPath) : undefined;
      const replaced = before !== undefined && !this.format.isWhiteoutDevice(before);
      const work = this.workdir();
      const temp = work.tempName();
      try {
        this.build(work, temp, spec, childPath);
        this.place(temp, d.fd, name, childPath, spec.type === 'dir');
      } catch (err) {
        fs.rmSync(procPath(work.fd, temp), { recursive: true, force: true });
        throw err;
      }
      const st = this.tree.lstatAt(d.fd, name, childPath);
      if (st === undefined) throw fsError('ESTALE', 'create', displayPath(childPath));
      this.watcher?.expectSelf(childPath);
      const h = this.table.intern(childPath, st);
      this.emitAt(childPath, replaced ? 'replace' : 'create');
      return h;
    });
  }

  removeName(dir: Handle, name: string): void {
    this.atDirForWrite(dir, name, 'unlink', (d, childPath) => {
      const st = this.tree.lstatAt(d.fd, name, childPath);
      if (st !== undefined) this.removeAt(d.fd, name, childPath, st);
      const marker = host('unlink', childPath, () => this.format.clearWhiteoutMarker(d.fd, name));
      if (st === undefined && !marker) throw fsError('ENOENT', 'unlink', displayPath(childPath));
      this.watcher?.expectSelf(childPath);
      this.emitAt(childPath, 'remove');
    });
  }

  putWhiteout(dir: Handle, name: string): void {
    this.atDirForWrite(dir, name, 'mknod', (d, childPath) => {
      const st = this.tree.lstatAt(d.fd, name, childPath);
      // A marker first (where the format has them): while both exist the entry still wins, so there is no gap.
      if (host('open', childPath, () => this.format.writeWhiteoutMarker(d.fd, name))) {
        if (st !== undefined) this.removeAt(d.fd, name, childPath, st);
      } else if (st === undefined || !this.format.isWhiteoutDevice(st)) {
        const work = this.workdir();
        const temp = work.tempName();
        try {
          host('mknod', childPath, () => work.whiteouts.make(work.fd, temp, displayPath(childPath)));
          this.place(temp, d.fd, name, childPath, false);
        } catch (err) {
          fs.rmSync(procPath(work.fd, temp), { force: true });
          throw err;
        }
        if (st !== undefined) this.forget(childPath, st);
      }
      this.watcher?.expectSelf(childPath);
      this.emitAt(childPath, 'whiteout');
    });
  }

  renameName(fromDir: Handle, from: string, toDir: Handle, to: string, whiteout = false): void {
    this.atDirForWrite(fromDir, from, 'rename', (fd, fromPath) => {
      this.atDirForWrite(toDir, to, 'rename', (td, toPath) => {
        const src = this.tree.lstatAt(fd.fd, from, fromPath);
        if (src === undefined) throw fsError('ENOENT', 'rename', displayPath(fromPath), displayPath(toPath));
        if (fromPath === toPath) return;
        const dst = this.tree.lstatAt(td.fd, to, toPath);
        // A relative redirect names a sibling in the lower parent: moved to another directory it
        // would point elsewhere, so it is rewritten for its new place (as the kernel does).
        const movedRedirect = src.isDirectory() && fd.path !== td.path ? this.absoluteRedirectAt(fd.fd, from, fromPath) : undefined;
        const whiteoutLeft = this.moveInOneStep(fd.fd, from, fromPath, td.fd, to, toPath, src, dst, whiteout);
        if (movedRedirect !== undefined) {
          host('setxattr', toPath, () => setXattr(procPath(td.fd, to), this.format.redirectKey, this.storedRedirect(toPath, movedRedirect)));
        }
        if (dst !== undefined && !sameObject(dst, src)) this.forget(toPath, dst);
        this.table.moved(fromPath, toPath);
        if (src.isDirectory()) this.tree.forgetDirs(fromPath);
        this.clearWhiteoutMarker(td.fd, to, toPath);
        this.watcher?.expectSelf(fromPath);
        this.watcher?.expectSelf(toPath);
        this.emitAt(fromPath, 'rename');
        this.emitAt(toPath, 'rename');
        if (whiteoutLeft) this.emitAt(fromPath, 'whiteout');
      });
    });
  }

  /**
   * The host rename of `from` to `to` (`dst`: what is there now), in one step where the host can
   * take it, as the kernel does: a directory over a whiteout by RENAME_EXCHANGE (the whiteout
   * comes to the old name), a rename that leaves a whiteout by RENAME_WHITEOUT. Where it cannot:
   * rename(2), after removing such a whiteout (rename(2) cannot put a directory over a
   * non-directory). True when the old name now holds a whiteout (only if `whiteout` asked for one).
   */
  private moveInOneStep(fromFd: number, from: string, fromPath: string, toFd: number, to: string, toPath: string,
    src: fs.Stats, dst: fs.Stats | undefined, whiteout: boolean): boolean {
    if (dst !== undefined && src.isDirectory() && this.format.isWhiteoutDevice(dst)) {
      // A whiteout is a mark, not a file: a directory may take its place.
      if (this.renames.run(fromFd, from, toFd, to, RENAME_EXCHANGE, 'rename', fromPath)) {
        if (whiteout) return true;
        host('unlink', fromPath, () => fs.unlinkSync(procPath(fromFd, from)));
        return false;
      }
      host('unlink', toPath, () => fs.unlinkSync(procPath(toFd, to)));
    } else if (whiteout && this.format.whiteouts === 'device' && this.renames.run(fromFd, from, toFd, to, RENAME_WHITEOUT, 'rename', fromPath)) {
      return true;
    }
    host('rename', fromPath, () => fs.renameSync(procPath(fromFd, from), procPath(toFd, to)), toPath);
    return false;
  }

  linkName(h: Handle, dir: Handle, name: string): void {
    this.atObjectForWrite(h, 'link', undefined, (e) => {
      if (e.st.isDirectory()) throw fsError('EPERM', 'link', displayPath(e.path));
      this.linkFrom({ at: procPath(e.parentFd, e.name), st: e.st, path: e.path }, dir, name);
    });
  }

  /** Link the host file at `source` (outside the tree: an index entry) as `name` in `dir`. */
  linkHostFile(source: { at: string; st: fs.Stats; path: string }, dir: Handle, name: string): Handle {
    this.checkWritable('link');
    return this.linkFrom(source, dir, name);
  }

  private linkFrom(e: { at: string; st: fs.Stats; path: string }, dir: Handle, name: string): Handle {
    return this.atDirForWrite(dir, name, 'link', (d, linkPath) => {
      const existing = this.tree.lstatAt(d.fd, name, linkPath);
      if (existing !== undefined && this.format.isWhiteoutDevice(existing)) {
        // Over a whiteout: link under a temporary name in the work directory, then rename it
        // over the whiteout, so the name never shows what the whiteout hides.
        const work = this.workdir();
        const temp = work.tempName();
        host('link', e.path, () => fs.linkSync(e.at, procPath(work.fd, temp)), linkPath);
        try {
          host('rename', linkPath, () => fs.renameSync(procPath(work.fd, temp), procPath(d.fd, name)));
        } catch (err) {
          fs.rmSync(procPath(work.fd, temp), { force: true });
          throw err;
        }
      } else {
        host('link', e.path, () => fs.linkSync(e.at, procPath(d.fd, name)), linkPath);
      }
      const st = this.tree.lstatAt(d.fd, name, linkPath);
      if (st === undefined || !sameObject(st, e.st)) {
        // The source was swapped between our check and link(2): undo, report the race.
        if (st !== undefined) fs.unlinkSync(procPath(d.fd, name));
        throw fsError('ESTALE', 'link', displayPath(e.path), displayPath(linkPath));
      }
      this.clearWhiteoutMarker(d.fd, name, linkPath);
      const linked = this.table.intern(linkPath, st);
      this.watcher?.expectSelf(linkPath);
      this.emitAt(linkPath, 'create');
      return linked;
    });
  }
}
