// The user-facing inspection commands — `strata ls | cat | stat | tree | resolve` — over a stack of
// host directories and OCI tar layers (inspect/stack.ts). Each reads through one Overlay, so what
// it shows is the merged view, and says which layer answered (Overlay.resolve). Exit codes: 0 ok,
// 1 a file system error (printed as `strata: ENOENT: …`), 2 a usage error.
import { parseArgs } from 'node:util';
import type { Stats } from '../engine/stats.js';
import type { ResolveInfo } from '../overlay.js';
import type { PolicyName } from '../policy.js';
import { columns, modeString, permissions, typeName } from './inspect/format.js';
import { layerLabel, layerSource, openStack, type Stack, type StackSpec } from './inspect/stack.js';

type OptionSpec = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

const COMMON_OPTIONS: Record<string, OptionSpec> = {
  lower: { type: 'string', multiple: true },
  upper: { type: 'string' },
  policy: { type: 'string' },
  userxattr: { type: 'boolean' },
  'oci-whiteouts': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const COMMON_HELP = `  --lower DIR|FILE   a lower layer: a host directory or an OCI layer tar (.tar, .tar.gz);
                     repeatable, the first one is the topmost (at least one)
  --upper DIR        the upper layer (optional; read, never written)
  --policy P         strict | relaxed | strict-legacy (default relaxed)
  --userxattr        directory layers keep their marks in user.overlay.* xattrs (default:
                     trusted.overlay.* when this process may use them, else user.overlay.*)
  --oci-whiteouts    directory layers hold OCI whiteouts (.wh.<name>), e.g. an unpacked image layer
  --json             print JSON instead of text
  -h, --help`;

const POLICIES: readonly string[] = ['strict', 'relaxed', 'strict-legacy'];

interface Invocation {
  spec: StackSpec;
  path: string;
  json: boolean;
  values: Record<string, string | boolean | string[] | undefined>;
}

interface Command {
  name: string;
  synopsis: string;
  description: string;
  options?: Record<string, OptionSpec>;
  optionsHelp?: string;
  /** Checks of the command's own options, before any layer is opened (UsageError → exit 2). */
  check?(inv: Invocation): void;
  body(stack: Stack, inv: Invocation): number | Promise<number>;
}

class UsageError extends Error {}

function helpOf(c: Command): string {
  return `usage: strata ${c.name} ${c.synopsis}\n\n${c.description}\n\n${c.optionsHelp ?? ''}${COMMON_HELP}`;
}

function parse(c: Command, argv: string[]): Invocation | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...c.options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const lowers = (values.lower as string[] | undefined) ?? [];
  if (lowers.length === 0) throw new UsageError('at least one --lower is required');
  const policy = (values.policy as string | undefined) ?? 'relaxed';
  if (!POLICIES.includes(policy)) throw new UsageError(`--policy must be one of ${POLICIES.join(', ')}, got '${policy}'`);
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'a path is required' : `one path only, got ${positionals.length}`);
  const given = positionals[0];
  return {
    spec: {
      lowers,
      upper: values.upper as string | undefined,
      policy: policy as PolicyName,
      userxattr: values.userxattr === true,
      ociWhiteouts: values['oci-whiteouts'] === true,
    },
    // Paths are inside the overlay, whose root is '/': a relative one starts there.
    path: given.startsWith('/') ? given : `/${given}`,
    json: values.json === true,
    values: values as Invocation['values'],
  };
}

async function run(c: Command, argv: string[]): Promise<number> {
  let inv: Invocation | 'help';
  try {
    inv = parse(c, argv);
    if (inv !== 'help') c.check?.(inv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`strata ${c.name}: ${err.message}\nusage: strata ${c.name} ${c.synopsis}\n'strata ${c.name} --help' for the options.`);
    return 2;
  }
  if (inv === 'help') {
    console.log(helpOf(c));
    return 0;
  }
  let stack: Stack | undefined;
  try {
    stack = await openStack(inv.spec);
    return await c.body(stack, inv);
  } catch (err) {
    console.error(`strata: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    stack?.close();
  }
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

function childPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

// ------------------------------------------------------------------ what one entry looks like

/** An entry as the commands report it: the merged view's answer plus who gave it. */
interface EntryReport {
  name: string;
  path: string;
  type: string;
  mode: number;
  permissions: string;
  size: number;
  nlink: number;
  ino: number;
  uid: number;
  gid: number;
  mtime: string;
  layer: ResolveInfo['layer'];
  source: string;
  merged: boolean;
  opaque: boolean;
  target?: string;
}

function report(stack: Stack, path: string, name: string, st?: Stats): EntryReport {
  const ov = stack.overlay;
  st ??= ov.lstat(path);
  const info = ov.resolve(path);
  const entry: EntryReport = {
    name, path, type: typeName(st.mode), mode: st.mode, permissions: permissions(st.mode), size: st.size,
    nlink: st.nlink, ino: st.ino, uid: st.uid, gid: st.gid, mtime: new Date(st.mtimeMs).toISOString(),
    layer: info.layer, source: layerSource(stack, info), merged: info.merged, opaque: info.opaque,
  };
  if (st.isSymbolicLink()) entry.target = ov.readlink(path);
  return entry;
}

function flags(e: { merged: boolean; opaque: boolean }): string[] {
  return [...(e.merged ? ['merged'] : []), ...(e.opaque ? ['opaque'] : [])];
}

function isDirectoryFollowed(stack: Stack, path: string, st: Stats): boolean {
  return st.isDirectory() || (st.isSymbolicLink() && stack.overlay.stat(path, { throwIfNoEntry: false })?.isDirectory() === true);
}

// ------------------------------------------------------------------ ls

const ls: Command = {
  name: 'ls',
  synopsis: '[-l] --lower L [--lower L …] [--upper U] PATH',
  description: 'List a directory of the merged view (names sorted; a non-directory lists itself).',
  options: { long: { type: 'boolean', short: 'l' } },
  optionsHelp: '  -l, --long         mode, links, size and the layer that answered for each entry\n',
  body(stack, inv) {
    const ov = stack.overlay;
    const st = ov.lstat(inv.path);
    const entries = isDirectoryFollowed(stack, inv.path, st)
      ? ov.readdir(inv.path).map((name) => report(stack, childPath(inv.path, name), name))
      : [report(stack, inv.path, inv.path, st)];
    if (inv.json) {
      printJson(entries);
    } else if (inv.values.long === true) {
      const rows = entries.map((e) => [
        modeString(e.mode), String(e.nlink), String(e.size), [layerLabel(e), ...flags(e)].join(','),
        e.target === undefined ? e.name : `${e.name} -> ${e.target}`,
      ]);
      for (const line of columns(rows, [1, 2])) console.log(line);
    } else {
      for (const e of entries) console.log(e.name);
    }
    return 0;
  },
};

// ------------------------------------------------------------------ cat

const cat: Command = {
  name: 'cat',
  synopsis: '--lower L [--lower L …] [--upper U] PATH',
  description: 'Print a file of the merged view (symlinks followed).',
  body(stack, inv) {
    const ov = stack.overlay;
    const data = ov.readFile(inv.path) as Buffer;
    if (!inv.json) {
      process.stdout.write(data);
      return 0;
    }
    const info = ov.resolve(ov.realpath(inv.path));
    const text = data.toString('utf8');
    const utf8 = Buffer.from(text, 'utf8').equals(data);
    printJson({
      path: inv.path, size: data.length, layer: info.layer, source: layerSource(stack, info),
      encoding: utf8 ? 'utf8' : 'base64', content: utf8 ? text : data.toString('base64'),
    });
    return 0;
  },
};

// ------------------------------------------------------------------ stat

const stat: Command = {
  name: 'stat',
  synopsis: '[-L] --lower L [--lower L …] [--upper U] PATH',
  description: 'Show an entry of the merged view and which layer answered for it (a symlink itself, unless -L).',
  options: { dereference: { type: 'boolean', short: 'L' } },
  optionsHelp: '  -L, --dereference  follow a symlink in the last component\n',
  body(stack, inv) {
    const ov = stack.overlay;
    const follow = inv.values.dereference === true;
    const st = follow ? ov.stat(inv.path) : ov.lstat(inv.path);
    const e = report(stack, follow ? ov.realpath(inv.path) : inv.path, inv.path, st);
    const times = { atime: new Date(st.atimeMs).toISOString(), mtime: e.mtime, ctime: new Date(st.ctimeMs).toISOString() };
    if (inv.json) {
      printJson({ ...e, name: undefined, path: inv.path, ...times });
      return 0;
    }
    const rows: [string, string][] = [
      ['File', e.target === undefined ? inv.path : `${inv.path} -> ${e.target}`],
      ['Type', e.type],
      ['Size', String(e.size)],
      ['Mode', `${e.permissions} (${modeString(e.mode)})`],
      ['Inode', String(e.ino)],
      ['Links', String(e.nlink)],
      ['Owner', `uid ${e.uid}, gid ${e.gid}`],
      ['Access', times.atime],
      ['Modify', times.mtime],
      ['Change', times.ctime],
      ['Layer', e.source === '' ? layerLabel(e) : `${layerLabel(e)} (${e.source})`],
      ['Merged', e.merged ? 'yes' : 'no'],
      ['Opaque', e.opaque ? 'yes' : 'no'],
    ];
    for (const [k, v] of rows) console.log(`${k.padStart(6)}: ${v}`);
    return 0;
  },
};

// ------------------------------------------------------------------ tree

interface TreeNode extends EntryReport {
  children?: TreeNode[];
}

const tree: Command = {
  name: 'tree',
  synopsis: '[--depth N] --lower L [--lower L …] [--upper U] PATH',
  description: 'Draw the merged view below a directory, each entry tagged with the layer that answered.',
  options: { depth: { type: 'string', short: 'L' } },
  optionsHelp: '  -L, --depth N      descend at most N levels (default: no limit)\n',
  check(inv) {
    const raw = inv.values.depth as string | undefined;
    if (raw !== undefined && (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))) {
      throw new UsageError(`--depth must be a whole number, got '${raw}'`);
    }
  },
  body(stack, inv) {
    const raw = inv.values.depth as string | undefined;
    const maxDepth = raw === undefined ? Infinity : Number(raw);
    const ov = stack.overlay;
    const counts = { directories: 0, files: 0 };
    const build = (path: string, name: string, depth: number, followLink: boolean): TreeNode => {
      const st = ov.lstat(path);
      const node: TreeNode = report(stack, path, name, st);
      const isDir = followLink ? isDirectoryFollowed(stack, path, st) : st.isDirectory();
      if (depth > 0) {
        if (st.isDirectory()) counts.directories++;
        else counts.files++;
      }
      if (isDir && depth < maxDepth) {
        node.children = ov.readdir(path).map((child) => build(childPath(path, child), child, depth + 1, false));
      }
      return node;
    };
    // Like tree(1), the starting point is followed if it is a symlink; nothing below it is.
    const root = build(inv.path, inv.path, 0, true);
    if (inv.json) {
      printJson({ tree: root, ...counts });
      return 0;
    }
    // Below the root, directories end in '/' (tree -F); the root is shown as it was given.
    const label = (n: TreeNode) => {
      const name = n.target !== undefined ? `${n.name} -> ${n.target}` : n.type === 'directory' && n !== root ? `${n.name}/` : n.name;
      return `${name}  [${[layerLabel(n), ...flags(n)].join(', ')}]`;
    };
    const lines = [label(root)];
    const draw = (n: TreeNode, indent: string) => {
      n.children?.forEach((child, i) => {
        const last = i === n.children!.length - 1;
        lines.push(`${indent}${last ? '└── ' : '├── '}${label(child)}`);
        draw(child, indent + (last ? '    ' : '│   '));
      });
    };
    draw(root, '');
    const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
    lines.push('', `${plural(counts.directories, 'directory', 'directories')}, ${plural(counts.files, 'file', 'files')}`);
    console.log(lines.join('\n'));
    return 0;
  },
};

// ------------------------------------------------------------------ resolve

const resolve: Command = {
  name: 'resolve',
  synopsis: '--lower L [--lower L …] [--upper U] PATH',
  description: 'Show which layer answered for each component of a path (symlinks before the last one are followed).',
  body(stack, inv) {
    const parts = inv.path.split('/').filter((p) => p !== '');
    const components: EntryReport[] = [];
    let failure: { code?: string; message: string } | undefined;
    let prefix = '';
    for (let k = 0; k <= parts.length; k++) {
      if (k > 0) prefix += `/${parts[k - 1]}`;
      const at = prefix === '' ? '/' : prefix;
      try {
        components.push(report(stack, at, k === 0 ? '/' : parts[k - 1]));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        failure = { code: e.code, message: e.message };
        break;
      }
    }
    if (inv.json) {
      printJson({ path: inv.path, components, ...(failure ? { error: failure } : {}) });
    } else {
      const rows = [['PATH', 'TYPE', 'LAYER', 'SOURCE', 'NOTES']];
      for (const c of components) {
        const notes = [...flags(c), ...(c.target !== undefined ? [`-> ${c.target}`] : [])].join(' ');
        rows.push([c.path, c.type, layerLabel(c), c.source || '-', notes]);
      }
      for (const line of columns(rows)) console.log(line.trimEnd());
    }
    if (failure === undefined) return 0;
    console.error(`strata: ${failure.message}`);
    return 1;
  },
};

// ------------------------------------------------------------------ entry points

export const runLs = (argv: string[]): Promise<number> => run(ls, argv);
export const runCat = (argv: string[]): Promise<number> => run(cat, argv);
export const runStat = (argv: string[]): Promise<number> => run(stat, argv);
export const runTree = (argv: string[]): Promise<number> => run(tree, argv);
export const runResolve = (argv: string[]): Promise<number> => run(resolve, argv);
