// The host path the overlay is presented at (`new Overlay({ mountPoint })`). Real trees carry
// absolute symlinks into themselves (npm link, pnpm workspaces write `/home/u/proj/packages/a`);
// on a kernel mount at that path they resolve inside the mount. Here a link target under the
// mount point is read as the overlay path it names; any other target is resolved from the
// overlay's root, as without a mount point (the overlay cannot reach the host outside it).
import { invalidArgType, invalidArgValue } from '../arg-errors.js';

export class MountPoint {
  /** The mount point's components, e.g. ['home', 'u', 'proj']. */
  private readonly parts: string[];

  private constructor(readonly path: string) {
    this.parts = path.split('/').filter((c) => c !== '');
  }

  /** The option checked and normalized; undefined when not given. */
  static of(value: unknown): MountPoint | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalidArgType('options.mountPoint', 'of type string', value);
    const parts = value.split('/').filter((c) => c !== '' && c !== '.');
    if (value.charCodeAt(0) !== 47 || value.includes('\0') || parts.includes('..')) {
      throw invalidArgValue('options.mountPoint', value, 'must be an absolute path without ".." or NUL');
    }
    return new MountPoint(`/${parts.join('/')}`);
  }

  /**
   * A symlink target as the overlay resolves it: an absolute target at or under the mount point
   * becomes the overlay path below it ('/' for the mount point itself); others are unchanged.
   * The prefix is compared component by component ('//' and '.' skipped); a '..' before the
   * prefix is matched leaves the target unchanged (it is resolved on the host's terms).
   */
  map(target: string): string {
    if (target.charCodeAt(0) !== 47 || this.parts.length === 0) return target;
    let pos = 0;
    for (const part of this.parts) {
      const c = nextComponent(target, pos);
      if (c === undefined || target.slice(c.start, c.end) !== part) return target;
      pos = c.end;
    }
    const rest = target.slice(pos);
    return rest === '' ? '/' : rest;
  }
}

/** The next component of `path` from `pos`, skipping empty and '.' components. */
function nextComponent(path: string, pos: number): { start: number; end: number } | undefined {
  while (pos < path.length) {
    while (pos < path.length && path.charCodeAt(pos) === 47) pos++;
    if (pos >= path.length) return undefined;
    let end = path.indexOf('/', pos);
    if (end < 0) end = path.length;
    if (end - pos === 1 && path.charCodeAt(pos) === 46 /* . */) { pos = end; continue; }
    return { start: pos, end };
  }
  return undefined;
}
