// The inspection commands (`strata ls | cat | stat | tree | resolve`), run as a user runs them:
// `node dist/bindings/cli.js …` over host directories and a tar layer made here. Checks the merged
// view and the layer each answer came from, exact text output, JSON that parses, exit codes
// (0 / 1 fs error / 2 usage), and that looking never changes a layer on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { tarArchive as archive } from './helpers/tar-archive.js';
import { isRoot, makeWhiteoutDevice, removeTree, scratchDir, setXattrRaw, writeTree } from '../bindings/verify/kernel/host-fixtures.js';

const CLI = fileURLToPath(new URL('../bindings/cli.js', import.meta.url));

interface Run { status: number | null; stdout: string; stderr: string; raw: Buffer }

function strata(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { timeout: 30_000 });
  return { status: r.status, stdout: r.stdout.toString('utf8'), stderr: r.stderr.toString('utf8'), raw: r.stdout };
}

/** Every name, type and content under a host directory, for before/after comparison. */
function snapshot(root: string): string {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) { out.push(`${rel}/ ${st.mode}`); walk(p); }
      else if (st.isSymbolicLink()) out.push(`${rel} -> ${fs.readlinkSync(p)}`);
      else if (st.isFile()) out.push(`${rel} ${st.mode} ${st.mtimeMs} ${fs.readFileSync(p, 'hex')}`);
      else out.push(`${rel} special ${st.rdev}`);
    }
  };
  walk(root);
  return out.join('\n');
}

// The stack: upper (a directory, OCI whiteouts so no privilege is needed) over
// lower0 = an OCI tar layer over lower1 = a base directory.
let scratch: string;
let base: string;
let upper: string;
let image: string;
let layers: string[];
const BINARY = Buffer.from([0xff, 0x00, 0xfe, 0x41]);

before(async () => {
  scratch = scratchDir('cli');
  base = path.join(scratch, 'base');
  upper = path.join(scratch, 'upper');
  image = path.join(scratch, 'layer.tar.gz');
  writeTree(base, {
    'etc/hosts': 'base hosts\n',
    'etc/passwd': 'root:x:0:0\n',
    'etc/ssl/cert.pem': 'CERT\n',
    'usr/bin/sh': 'sh\n',
    'usr/bin/bash': { symlink: 'sh' },
    bin: { symlink: 'usr/bin' },
    'var/cache/old': 'stale\n',
  });
  fs.writeFileSync(path.join(base, 'usr/bin/blob'), BINARY);
  fs.writeFileSync(image, gzipSync(await archive([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.passwd' },
    { name: 'etc/motd', data: 'image motd\n' },
    { name: 'var/cache/.wh..wh..opq' },
    { name: 'var/cache/new', data: 'fresh\n' },
  ])));
  writeTree(upper, {
    'etc/hosts': 'upper hosts\n',
    'etc/.wh.motd': '',
  });
  layers = ['--lower', image, '--lower', base, '--upper', upper, '--oci-whiteouts', '--userxattr'];
});

after(() => removeTree(scratch));

describe('strata ls', () => {
  it('lists the merged directory: union of layers, whiteouts hidden, names sorted', () => {
    const r = strata('ls', ...layers, '/etc');
    assert.equal(r.stderr, '');
    assert.equal(r.status, 0);
    assert.equal(r.stdout, 'hosts\nssl\n');
  });

  it('-l tags each entry with the layer that answered', () => {
    const r = strata('ls', '-l', ...layers, '/usr/bin');
    assert.equal(r.status, 0, r.stderr);
    const rows = r.stdout.trimEnd().split('\n').map((l) => l.split(/\s{2,}/).map((c) => c.trim()));
    assert.deepEqual(rows.map((row) => [row[0], row[3], row[4]]), [
      ['lrwxrwxrwx', 'lower1', 'bash -> sh'],
      ['-rw-r--r--', 'lower1', 'blob'],
      ['-rw-r--r--', 'lower1', 'sh'],
    ]);
    assert.deepEqual(rows.map((row) => row[2]), ['2', String(BINARY.length), '3'], 'size column');
  });

  it('--json parses and names the layer and its source', () => {
    const r = strata('ls', '--json', ...layers, '/etc');
    assert.equal(r.status, 0, r.stderr);
    const entries = JSON.parse(r.stdout) as { name: string; type: string; layer: string | number; source: string; merged: boolean }[];
    assert.deepEqual(entries.map((e) => [e.name, e.type, e.layer, e.source, e.merged]), [
      ['hosts', 'file', 'upper', upper, false],
      ['ssl', 'directory', 1, base, false],
    ]);
  });

  it('a non-directory lists itself; a symlink to a directory lists the directory', () => {
    assert.equal(strata('ls', ...layers, '/etc/hosts').stdout, '/etc/hosts\n');
    assert.equal(strata('ls', '--lower', base, '/usr/bin/bash').stdout, '/usr/bin/bash\n');
    assert.equal(strata('ls', '--lower', base, '/bin').stdout, 'bash\nblob\nsh\n');
  });
});

describe('strata cat', () => {
  it('prints the topmost file, bytes exact', () => {
    assert.equal(strata('cat', ...layers, '/etc/hosts').stdout, 'upper hosts\n');
    assert.equal(strata('cat', ...layers, '/var/cache/new').stdout, 'fresh\n');
    assert.deepEqual(strata('cat', ...layers, '/usr/bin/blob').raw, BINARY);
  });

  it('--json gives utf8 text, or base64 for bytes that are not UTF-8, and the layer', () => {
    const text = JSON.parse(strata('cat', '--json', ...layers, '/etc/motd').stdout || 'null');
    assert.equal(text, null, 'the upper whites out /etc/motd');
    const hosts = JSON.parse(strata('cat', '--json', ...layers, '/etc/hosts').stdout);
    assert.deepEqual(hosts, { path: '/etc/hosts', size: 12, layer: 'upper', source: upper, encoding: 'utf8', content: 'upper hosts\n' });
    const blob = JSON.parse(strata('cat', '--json', ...layers, '/usr/bin/blob').stdout);
    assert.equal(blob.encoding, 'base64');
    assert.deepEqual(Buffer.from(blob.content, 'base64'), BINARY);
    assert.equal(blob.layer, 1);
  });

  it('a whiteout, an opaque directory and a directory are errors with exit 1', () => {
    const gone = strata('cat', ...layers, '/etc/passwd');
    assert.equal(gone.status, 1);
    assert.equal(gone.stderr, "strata: ENOENT: no such file or directory, open '/etc/passwd'\n");
    assert.equal(strata('cat', ...layers, '/var/cache/old').status, 1, 'hidden by the opaque directory in the tar');
    const dir = strata('cat', ...layers, '/etc');
    assert.equal(dir.status, 1);
    assert.match(dir.stderr, /^strata: EISDIR: /);
  });
});

describe('strata stat', () => {
  it('prints the fields and which layer answered', () => {
    const r = strata('stat', ...layers, '/etc/ssl/cert.pem');
    assert.equal(r.status, 0, r.stderr);
    const fields = Object.fromEntries(r.stdout.trimEnd().split('\n').map((l) => {
      const at = l.indexOf(': ');
      return [l.slice(0, at).trim(), l.slice(at + 2)];
    }));
    assert.equal(fields.File, '/etc/ssl/cert.pem');
    assert.equal(fields.Type, 'file');
    assert.equal(fields.Size, '5');
    assert.equal(fields.Mode, '0644 (-rw-r--r--)');
    assert.equal(fields.Layer, `lower1 (${base})`);
    assert.equal(fields.Merged, 'no');
    assert.match(fields.Inode, /^[1-9]\d*$/);
    assert.deepEqual(Object.keys(fields), ['File', 'Type', 'Size', 'Mode', 'Inode', 'Links', 'Owner', 'Access', 'Modify', 'Change', 'Layer', 'Merged', 'Opaque']);
  });

  it('--json: a merged directory, and an opaque one from the tar', () => {
    const etc = JSON.parse(strata('stat', '--json', ...layers, '/etc').stdout);
    assert.deepEqual([etc.type, etc.layer, etc.merged, etc.nlink], ['directory', 'upper', true, 1]);
    const cache = JSON.parse(strata('stat', '--json', ...layers, '/var/cache').stdout);
    assert.deepEqual([cache.layer, cache.source, cache.opaque], [0, image, true]);
    assert.equal(typeof cache.mtime, 'string');
  });

  it('a symlink is shown itself; -L follows it', () => {
    const link = JSON.parse(strata('stat', '--json', ...layers, '/usr/bin/bash').stdout);
    assert.deepEqual([link.type, link.target], ['symlink', 'sh']);
    const r = strata('stat', ...layers, '/usr/bin/bash');
    assert.match(r.stdout, /^ {2}File: \/usr\/bin\/bash -> sh$/m);
    const followed = JSON.parse(strata('stat', '-L', '--json', ...layers, '/usr/bin/bash').stdout);
    assert.deepEqual([followed.type, followed.size, followed.target], ['file', 3, undefined]);
  });

  it('a missing path: the Node-style error, exit 1', () => {
    const r = strata('stat', ...layers, '/x');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, "strata: ENOENT: no such file or directory, lstat '/x'\n");
  });
});

describe('strata tree', () => {
  it('draws the merged view with the layer of every entry', () => {
    const r = strata('tree', ...layers, '/');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, [
      '/  [upper, merged]',
      '├── bin -> usr/bin  [lower1]',
      '├── etc/  [upper, merged]',
      '│   ├── hosts  [upper]',
      '│   └── ssl/  [lower1]',
      '│       └── cert.pem  [lower1]',
      '├── usr/  [lower1]',
      '│   └── bin/  [lower1]',
      '│       ├── bash -> sh  [lower1]',
      '│       ├── blob  [lower1]',
      '│       └── sh  [lower1]',
      '└── var/  [lower0, merged]',
      '    └── cache/  [lower0, opaque]',
      '        └── new  [lower0]',
      '',
      '6 directories, 7 files',
      '',
    ].join('\n'));
  });

  it('--depth limits the levels; --json nests children and counts', () => {
    const shallow = strata('tree', '--depth', '1', ...layers, '/usr');
    assert.equal(shallow.stdout, '/usr  [lower1]\n└── bin/  [lower1]\n\n1 directory, 0 files\n');
    const r = strata('tree', '--json', ...layers, '/var');
    assert.equal(r.status, 0, r.stderr);
    const t = JSON.parse(r.stdout);
    assert.deepEqual([t.directories, t.files], [1, 1]);
    assert.equal(t.tree.children[0].name, 'cache');
    assert.deepEqual(t.tree.children[0].children.map((c: { name: string; layer: number }) => [c.name, c.layer]), [['new', 0]]);
  });
});

describe('strata resolve', () => {
  it('names the layer of every path component', () => {
    const r = strata('resolve', '--json', ...layers, '/etc/ssl/cert.pem');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.components.map((c: { path: string; layer: string | number; merged: boolean }) => [c.path, c.layer, c.merged]), [
      ['/', 'upper', true], ['/etc', 'upper', true], ['/etc/ssl', 1, false], ['/etc/ssl/cert.pem', 1, false],
    ]);
    assert.equal(out.error, undefined);
    const text = strata('resolve', ...layers, '/bin/bash');
    assert.equal(text.status, 0, text.stderr);
    const rows = text.stdout.trimEnd().split('\n').map((l) => l.split(/ {2,}/));
    assert.deepEqual(rows, [
      ['PATH', 'TYPE', 'LAYER', 'SOURCE', 'NOTES'],
      ['/', 'directory', 'upper', upper, 'merged'],
      ['/bin', 'symlink', 'lower1', base, '-> usr/bin'],
      ['/bin/bash', 'symlink', 'lower1', base, '-> sh'],
    ]);
  });

  it('stops at the first missing component: partial answer, the error, exit 1', () => {
    const r = strata('resolve', '--json', ...layers, '/etc/passwd/x');
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.components.map((c: { path: string }) => c.path), ['/', '/etc']);
    assert.equal(out.error.code, 'ENOENT');
    assert.equal(r.stderr, "strata: ENOENT: no such file or directory, lstat '/etc/passwd'\n");
  });
});

describe('usage and errors', () => {
  const usage = (r: Run, pattern: RegExp) => {
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, pattern);
  };

  it('usage errors exit 2 and say what is wrong', () => {
    usage(strata('ls', '/etc'), /^strata ls: at least one --lower is required\n/);
    usage(strata('ls', '--lower', base), /^strata ls: a path is required\n/);
    usage(strata('ls', '--lower', base, '/a', '/b'), /^strata ls: one path only, got 2\n/);
    usage(strata('cat', '--lower', base, '--bogus', '/etc'), /^strata cat: Unknown option '--bogus'/);
    usage(strata('stat', '--lower', base, '--policy', 'lax', '/etc'), /^strata stat: --policy must be one of strict, relaxed, strict-legacy, got 'lax'\n/);
    usage(strata('tree', '--lower', base, '--depth', '-1', '/'), /--depth/);
    usage(strata('tree', '--lower', base, '--depth', 'two', '/'), /^strata tree: --depth must be a whole number, got 'two'\n/);
    usage(strata('nope'), /^strata: unknown command 'nope'/);
  });

  it('--help prints the command usage and exits 0; the top-level help lists the commands', () => {
    const top = strata('--help').stdout;
    for (const cmd of ['ls', 'cat', 'stat', 'tree', 'resolve']) {
      const r = strata(cmd, '--help');
      assert.equal(r.status, 0);
      assert.match(r.stdout, new RegExp(`^usage: strata ${cmd} .*\\n[\\s\\S]*--lower DIR\\|FILE`));
      assert.match(top, new RegExp(`^  ${cmd} +\\S`, 'm'));
    }
  });

  it('layers that cannot be opened are errors (exit 1), not usage errors', () => {
    const missing = strata('ls', '--lower', path.join(scratch, 'missing'), '/');
    assert.equal(missing.status, 1);
    assert.equal(missing.stderr, `strata: ENOENT: no such file or directory, stat '${path.join(scratch, 'missing')}'\n`);
    const junk = path.join(scratch, 'junk.tar');
    fs.writeFileSync(junk, Buffer.alloc(1024, 7));
    const corrupt = strata('ls', '--lower', junk, '/');
    assert.equal(corrupt.status, 1);
    assert.match(corrupt.stderr, /^strata: EINVAL: corrupt or unsafe tar layer/);
  });

  it('looking never changes a layer: trees identical, no work directory made', () => {
    const before = [snapshot(base), snapshot(upper), fs.readFileSync(image).toString('hex')];
    for (const args of [['ls', '-l'], ['cat'], ['stat'], ['tree'], ['resolve']]) {
      strata(...args, ...layers, args[0] === 'cat' ? '/etc/hosts' : '/etc');
    }
    assert.deepEqual([snapshot(base), snapshot(upper), fs.readFileSync(image).toString('hex')], before);
    assert.equal(fs.existsSync(`${upper}.strata-work`), false);
    assert.equal(fs.existsSync(`${base}.strata-work`), false);
  });
});

describe('the kernel on-disk format', { skip: isRoot() ? false : 'needs root (0/0 devices, trusted.* xattrs)' }, () => {
  it('reads 0/0 whiteouts and trusted.overlay.opaque from directory layers', () => {
    const dir = scratchDir('cli-kernel');
    try {
      const lower = path.join(dir, 'lower');
      const up = path.join(dir, 'upper');
      writeTree(lower, { 'a/keep': 'k', 'a/drop': 'd', 'b/hidden': 'h' });
      writeTree(up, { 'b/shown': 's' });
      makeWhiteoutDevice(path.join(up, 'a'));
      setXattrRaw(path.join(up, 'b'), 'trusted.overlay.opaque', 'y');
      const r = strata('tree', '--lower', lower, '--upper', up, '/');
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '/  [upper, merged]\n└── b/  [upper, opaque]\n    └── shown  [upper]\n\n1 directory, 1 file\n');
    } finally {
      removeTree(dir);
    }
  });
});
