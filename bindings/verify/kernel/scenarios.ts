// Scripted scenarios for the kernel differential: one per overlay behaviour the issue names, so
// each is exercised on every run whatever the random seeds happen to draw. Each runs through the
// same comparison as the random runs (every answer, follow-up lstats and listings, whole trees,
// uppers on disk, cross-mounts).
import type { Op } from './diff-ops.js';
import type { SpecDir, SpecNode } from './lower-trees.js';

export interface Scenario {
  name: string;
  /**
   * Lower layers, topmost first: path → 'dir' | 'dir opaque' | 'whiteout' | 'file <data>' |
   * 'symlink <target>' | 'hardlink <path of a file of the same layer>'.
   */
  lowers: Record<string, string>[];
  ops: Op[];
  /** Only meaningful with this redirect_dir setting (default: run with both). */
  redirectDir?: boolean;
  /** Run with metacopy on (and so redirect_dir on, as the kernel requires) instead. */
  metacopy?: boolean;
  /** Run with index on as well (lower hard links stay joined). */
  alsoIndex?: boolean;
}

/** Build spec trees from the compact notation (parents are created as plain directories). */
export function specFrom(layers: Record<string, string>[]): SpecDir[] {
  return layers.map((entries) => {
    const root: SpecDir = { kind: 'dir', mode: 0o755, opaque: false, children: new Map() };
    for (const [p, what] of Object.entries(entries)) {
      const parts = p.split('/').filter((c) => c !== '');
      let dir = root;
      for (const c of parts.slice(0, -1)) {
        let next = dir.children.get(c);
        if (next === undefined) {
          next = { kind: 'dir', mode: 0o755, opaque: false, children: new Map() };
          dir.children.set(c, next);
        }
        if (next.kind !== 'dir') throw new Error(`scenario: ${c} in ${p} is not a directory`);
        dir = next;
      }
      const [kind, ...rest] = what.split(' ');
      const arg = rest.join(' ');
      let node: SpecNode;
      if (kind === 'dir') {
        const existing = dir.children.get(parts[parts.length - 1]);
        node = existing?.kind === 'dir' ? existing : { kind: 'dir', mode: 0o755, opaque: false, children: new Map() };
        node.opaque = arg === 'opaque';
      } else if (kind === 'file') node = { kind: 'file', mode: 0o644, data: arg };
      else if (kind === 'symlink') node = { kind: 'symlink', target: arg };
      else if (kind === 'whiteout') node = { kind: 'whiteout' };
      else if (kind === 'hardlink') node = { kind: 'hardlink', target: arg };
      else throw new Error(`scenario: unknown entry '${what}'`);
      dir.children.set(parts[parts.length - 1], node);
    }
    return root;
  });
}

const op = (method: Op['method'], ...args: (string | number)[]): Op => ({ method, args });
const look = (p: string): Op[] => [op('lstat', p), op('stat', p)];
const list = (p: string): Op[] => [op('readdir', p)];

export const SCENARIOS: Scenario[] = [
  {
    name: 'whiteouts hide lower entries; creating over one, unlinking leaves one',
    lowers: [{ '/a/f': 'whiteout', '/a/g': 'file top' }, { '/a/f': 'file bottom', '/a/h': 'file h' }],
    ops: [
      ...look('/a/f'), ...list('/a'), op('readFile', '/a/f'),
      op('writeFile', '/a/f', 'new'), ...list('/a'), op('readFile', '/a/f'),
      op('unlink', '/a/f'), ...look('/a/f'), ...list('/a'),
      op('unlink', '/a/h'), op('unlink', '/a/h'), ...list('/a'),
    ],
  },
  {
    name: 'opaque directories hide the same-named directories below',
    lowers: [{ '/d': 'dir opaque', '/d/x': 'file x' }, { '/d/y': 'file y', '/d/sub/z': 'file z' }],
    ops: [...list('/d'), ...look('/d/y'), ...look('/d/sub'), op('mkdir', '/d/sub'), ...list('/d/sub'), op('rmdir', '/d')],
  },
  {
    name: 'merged readdir: each name once, topmost type wins, files over dirs and dirs over files',
    lowers: [
      { '/m/a': 'file top-a', '/m/b/in': 'file b', '/m/c': 'symlink a' },
      { '/m/a/deep': 'file hidden', '/m/b': 'file hidden', '/m/d': 'file d' },
      { '/m/e/f': 'file e', '/m/d': 'file lowest' },
    ],
    ops: [...list('/m'), ...look('/m/a'), ...look('/m/b'), ...list('/m/b'), ...look('/m/c'), op('readFile', '/m/d'), ...list('/m/e')],
  },
  {
    name: 'copy-up keeps mode, data and st_ino; reading never copies up',
    lowers: [{}, { '/c/f': 'file lower data', '/c/x': 'file x', '/c/d/g': 'file g', '/c/l': 'symlink f' }],
    ops: [
      ...look('/c/f'), op('readFile', '/c/f'), op('appendFile', '/c/f', '+more'), ...look('/c/f'), op('readFile', '/c/f'),
      op('chmod', '/c/x', 0o600), ...look('/c/x'), op('truncate', '/c/d/g', 1), op('readFile', '/c/d/g'),
      op('utimes', '/c/l', 1_600_000_000), ...look('/c/l'), op('chmod', '/c/d', 0o700), ...look('/c/d'),
    ],
  },
  {
    name: 'unlink and rmdir: ENOTEMPTY while a lower child is visible, one whiteout left after',
    lowers: [{ '/r/top': 'file t' }, { '/r/low': 'file l', '/r/sub/deep': 'file d' }],
    ops: [
      op('rmdir', '/r'), op('unlink', '/r/top'), op('rmdir', '/r'), op('unlink', '/r/low'), op('rmdir', '/r/sub'),
      op('unlink', '/r/sub/deep'), op('rmdir', '/r/sub'), op('rmdir', '/r'), ...look('/r'), ...list('/'),
      op('writeFile', '/pure', 'p'), op('unlink', '/pure'), op('mkdir', '/pd'), op('rmdir', '/pd'),
    ],
  },
  {
    name: 'mkdir over a whiteout is opaque: the old lower children stay hidden',
    lowers: [{ '/w': 'whiteout' }, { '/w/old': 'file old', '/v/old': 'file v', '/u': 'file u' }],
    ops: [
      op('mkdir', '/w'), ...list('/w'), op('unlink', '/v/old'), op('rmdir', '/v'), op('mkdir', '/v'), ...list('/v'),
      ...look('/v/old'), op('unlink', '/u'), op('mkdir', '/u'), ...look('/u'), op('writeFile', '/w/new', 'n'), ...list('/w'),
    ],
  },
  {
    name: 'rename: files anywhere (whiteout at a lower source), directories EXDEV unless redirect_dir',
    lowers: [{ '/s/f': 'file f', '/s/merged/a': 'file a' }, { '/s/g': 'file g', '/s/merged/b': 'file b', '/s/lowdir/c': 'file c' }],
    ops: [
      op('rename', '/s/f', '/s/f2'), op('rename', '/s/g', '/t'), ...list('/s'), ...look('/t'),
      op('rename', '/s/merged', '/s/m2'), op('rename', '/s/lowdir', '/s/l2'), ...list('/s'), ...list('/s/m2'), ...list('/s/l2'),
      op('mkdir', '/s/new'), op('writeFile', '/s/new/x', 'x'), op('rename', '/s/new', '/s/new2'), ...list('/s/new2'),
      op('rename', '/s/new2', '/s/new2/inside'), op('rename', '/t', '/s/f2'), op('readFile', '/s/f2'),
      op('mkdir', '/s/e'), op('rename', '/s/new2', '/s/e'), ...list('/s/e'), op('rename', '/s/f2', '/s/e'),
    ],
  },
  {
    name: 'link: a lower file is copied up, both names share data and st_ino',
    lowers: [{}, { '/k/f': 'file shared', '/k/d/x': 'file x' }],
    ops: [
      op('link', '/k/f', '/k/g'), ...look('/k/f'), ...look('/k/g'), op('appendFile', '/k/g', '+'), op('readFile', '/k/f'),
      op('link', '/k/f', '/k/g'), op('link', '/k/d', '/k/e'), op('link', '/k/missing', '/k/h'), op('unlink', '/k/f'), ...look('/k/g'),
    ],
  },
  {
    name: 'symlinks: readlink, following, dangling, loops, writing through a dangling link',
    lowers: [{ '/y/l': 'symlink f', '/y/loop': 'symlink loop', '/y/dir': 'symlink sub' }, { '/y/f': 'file target', '/y/sub/z': 'file z' }],
    ops: [
      op('readlink', '/y/l'), ...look('/y/l'), op('readFile', '/y/l'), ...look('/y/loop'), op('readFile', '/y/dir/z'),
      op('realpath', '/y/dir/z'), op('symlink', 'nothing/here', '/y/dangling'), ...look('/y/dangling'),
      op('symlink', 'made', '/y/w'), op('writeFile', '/y/w', 'through'), op('readFile', '/y/made'), ...list('/y'),
      op('symlink', 'x', '/y/l'), op('readlink', '/y/f'),
    ],
  },
  {
    name: 'lower hard links: a copied-up name is a file of its own (st_ino, nlink, data, mode)',
    alsoIndex: true,
    lowers: [{ '/h/a': 'file shared', '/h/b': 'hardlink /h/a', '/h/c': 'hardlink /h/a' }],
    ops: [
      ...look('/h/a'), ...look('/h/b'), op('appendFile', '/h/a', '+a'), ...look('/h/a'), ...look('/h/b'), op('readFile', '/h/b'),
      op('chmod', '/h/b', 0o600), ...look('/h/b'), ...look('/h/c'), op('link', '/h/c', '/h/d'), ...look('/h/c'), ...look('/h/d'),
      op('appendFile', '/h/d', '+d'), op('readFile', '/h/c'), op('unlink', '/h/a'), ...look('/h/b'), ...list('/h'),
    ],
  },
  {
    name: 'lower hard links: rename of one name onto another renames',
    alsoIndex: true,
    lowers: [{ '/h/a': 'file shared', '/h/b': 'hardlink /h/a', '/h/c': 'hardlink /h/a' }],
    ops: [
      op('rename', '/h/b', '/h/a'), ...list('/h'), ...look('/h/a'), ...look('/h/b'), ...look('/h/c'), op('appendFile', '/h/a', '+'),
      op('readFile', '/h/c'), op('link', '/h/a', '/h/e'), op('rename', '/h/a', '/h/e'), ...list('/h'), op('rename', '/h/c', '/h/c'), ...look('/h/c'),
    ],
  },
  {
    // With index on, after the last upper name goes the lower names read the file from the index;
    // a name copied up later is linked back to it; a lower-only name removed first is counted.
    name: 'lower hard links: the last upper name goes while lower names remain; a lower-only name goes first',
    alsoIndex: true,
    lowers: [{ '/h/a': 'file shared', '/h/b': 'hardlink /h/a', '/h/c': 'hardlink /h/a', '/h/s': 'file solo', '/h/t': 'hardlink /h/s' }],
    ops: [
      op('appendFile', '/h/a', '+a'), op('unlink', '/h/a'), ...look('/h/b'), op('readFile', '/h/c'), op('chmod', '/h/c', 0o600),
      ...look('/h/b'), op('link', '/h/c', '/h/e'), op('rename', '/h/b', '/h/f'), ...look('/h/e'), ...look('/h/f'), op('readFile', '/h/f'),
      op('unlink', '/h/s'), ...look('/h/t'), op('readFile', '/h/t'), ...list('/h'),
    ],
  },
  {
    // The kernel marks a rename's source opaque before it finds the target not empty, and leaves
    // the mark when the rename fails; Strata undoes a failed rename whole. The differential lets
    // that mark follow the directory, also when a later rename reaches it through a symlink.
    name: 'a failed rename leaves the kernel\'s mark behind; it follows the directory renamed through a symlink',
    redirectDir: true,
    lowers: [{}, { '/p/q/e': 'dir' }],
    ops: [
      op('mkdir', '/p/q/c'), op('rename', '/p/q/e', '/p/q/b'), op('mkdir', '/p/q/b/a'), op('mkdir', '/p/q/b/a/c'),
      op('mkdir', '/p/q/c/a'), op('rename', '/p/q/c/a', '/p/q/b/a'), op('symlink', 'c', '/p/q/l'),
      op('rename', '/p/q/l/a', '/p/q/b/a/c'), ...list('/p/q/b/a'), ...look('/p/q/b/a/c'),
    ],
  },
  {
    name: 'metacopy: metadata-only copy-up, then renames leave metacopy files with redirects (read back with metacopy on and off)',
    metacopy: true,
    lowers: [{ '/m/d/f': 'file data f', '/m/d/g': 'file data g', '/m/x': 'file x', '/m/h/a': 'file linked', '/m/h/b': 'hardlink /m/h/a' }],
    ops: [
      op('chmod', '/m/d/f', 0o600), ...look('/m/d/f'), op('readFile', '/m/d/f'), op('rename', '/m/d/f', '/m/e'), ...look('/m/e'),
      op('readFile', '/m/e'), ...list('/m/d'), op('chmod', '/m/d/g', 0o640), op('rename', '/m/d/g', '/m/d/g2'), op('readFile', '/m/d/g2'),
      op('utimes', '/m/x', 1_600_000_000), op('chmod', '/m/h/a', 0o600), ...look('/m/h/a'), ...look('/m/h/b'), op('readFile', '/m/h/a'),
    ],
  },
];
