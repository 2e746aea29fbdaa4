// Change notices: every change to a MemoryLayer, by handle or by path, reaches its subscribers as
// a LayerChange naming the directory and entry; a write by handle is named by the node's link.
import type { Handle, LayerChange, LayerListener } from '../layer.js';
import { MemoryNodeStore } from './node-store.js';

export abstract class MemoryChangeNotices extends MemoryNodeStore {
  protected listeners: LayerListener[] = [];

  subscribe(listener: LayerListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** A write by handle changed `name` in directory `dir`. */
  protected notifyIn(dir: Handle, name: string, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const dirPath = this.pathOf(dir);
    if (dirPath !== undefined) this.notify(dirPath, name, kind);
  }

  /** A write by handle changed a directory itself (opaque, redirect). */
  protected notifyDir(dir: Handle, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const dirPath = this.pathOf(dir);
    if (dirPath !== undefined) this.notify(dirPath, '', kind);
  }

  /** A write by handle changed an object's data or attributes: named by one of its links. */
  protected notifyNode(h: Handle, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    if (h === this.rootHandle) { this.notify('/', '', kind); return; }
    const n = this.nodes[h]!;
    const dirPath = this.linkedAt(h) ? this.pathOf(n.parent) : undefined;
    if (dirPath !== undefined) { this.notify(dirPath, n.name, kind); return; }
    const found = this.searchPath(this.rootHandle, '/', h);
    if (found !== undefined) this.notify(found.dir, found.name, kind);
  }

  /** Whether node `h` is still linked where it was last linked. */
  protected linkedAt(h: Handle): boolean {
    const n = this.nodes[h];
    return n !== undefined && this.nodes[n.parent]?.children?.get(n.name) === h;
  }

  /** The layer path of a live directory (a directory has exactly one name, kept in the node). */
  protected pathOf(dir: Handle): string | undefined {
    const parts: string[] = [];
    for (let x = dir; x !== this.rootHandle; x = this.nodes[x]!.parent) {
      if (!this.linkedAt(x)) return undefined;
      parts.push(this.nodes[x]!.name);
    }
    return '/' + parts.reverse().join('/');
  }

  /** A hard-linked file whose latest link was removed: find one of its other names. */
  protected searchPath(dir: Handle, dirPath: string, h: Handle): { dir: string; name: string } | undefined {
    for (const [name, c] of this.nodes[dir]!.children!) {
      if (c === h) return { dir: dirPath, name };
      if (c > 0 && this.nodes[c]!.children !== undefined) {
        const found = this.searchPath(c, dirPath === '/' ? `/${name}` : `${dirPath}/${name}`, h);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  protected notify(dir: string, name: string, kind: LayerChange['kind']): void {
    if (this.listeners.length === 0) return;
    const change: LayerChange = { dir, name, kind };
    for (const l of this.listeners.slice()) l(change);
  }
}
