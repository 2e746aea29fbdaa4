// `strata demo` and the README's CLI examples: the demo writes the stack the examples read, every
// example line of the README's CLI block runs as written (the long stress and kernel runs
// shortened), and `npm run strata -- …` takes relative paths from where the user typed it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeTree, scratchDir } from '../bindings/verify/kernel/host-fixtures.js';

const CLI = fileURLToPath(new URL('../bindings/cli.js', import.meta.url));
// dist/tests/cli-demo.test.js → the repository root, where README.md is.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Run { status: number | null; stdout: string; stderr: string }

function strata(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (/^npm_|^INIT_CWD$/i.test(k)) delete clean[k];
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let scratch: string;
let demo: string;
const L = ['--lower', './layer2.tar', '--lower', './base', '--upper', './upper'];

before(() => {
  scratch = scratchDir('demo');
  demo = path.join(scratch, 'demo');
  const r = strata(scratch, ['demo', './demo']);
  assert.equal(r.status, 0, r.stderr);
  // Without trusted.* xattrs the mark is user.overlay.opaque, which the commands pick by default.
  assert.match(r.stdout, /strata tree --lower \.\/layer2\.tar --lower \.\/base --upper \.\/upper \/\n/);
});

after(() => removeTree(scratch));

describe('strata demo', () => {
  it('writes a tar layer and two directory layers: whiteouts (tar and 0/0 device) and an opaque directory work', () => {
    assert.deepEqual(fs.readdirSync(demo).sort(), ['base', 'layer2.tar', 'upper']);
    const motd = fs.lstatSync(path.join(demo, 'upper/etc/motd'));
    assert.ok(motd.isCharacterDevice() && motd.rdev === 0, 'upper/etc/motd is a 0/0 device');
    const tree = strata(demo, ['tree', ...L, '/']);
    assert.equal(tree.status, 0, tree.stderr);
    assert.equal(tree.stdout, [
      '/  [upper, merged]',
      '├── etc/  [upper, merged]',
      '│   ├── hosts  [upper]',
      '│   ├── resolv.conf  [lower0]',
      '│   └── ssl/  [lower1]',
      '│       └── cert.pem  [lower1]',
      '├── usr/  [lower1]',
      '│   └── bin/  [lower1]',
      '│       ├── bash -> sh  [lower1]',
      '│       └── sh  [lower1]',
      '└── var/  [upper, merged]',
      '    └── cache/  [upper, opaque]',
      '        └── new  [upper]',
      '',
      '6 directories, 6 files',
      '',
    ].join('\n'));
    // Hidden: etc/passwd by the tar's .wh.passwd, etc/motd by the device, var/cache/old by the opaque mark.
    assert.match(strata(demo, ['cat', ...L, '/etc/passwd']).stderr, /ENOENT/);
    assert.match(strata(demo, ['cat', ...L, '/etc/motd']).stderr, /ENOENT/);
    assert.match(strata(demo, ['cat', ...L, '/var/cache/old']).stderr, /ENOENT/);
    assert.equal(strata(demo, ['cat', '--lower', './layer2.tar', '/etc/motd']).status, 0, 'the tar layer alone has motd');
  });

  it('refuses a directory that is not empty or a symlink (exit 1), and a missing argument (exit 2)', () => {
    const again = strata(scratch, ['demo', './demo']);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /^strata: ENOTEMPTY: directory not empty, mkdir '\.\/demo'/);
    assert.deepEqual(fs.readdirSync(demo).sort(), ['base', 'layer2.tar', 'upper']);
    fs.symlinkSync(path.join(scratch, 'elsewhere'), path.join(scratch, 'planted'));
    fs.mkdirSync(path.join(scratch, 'elsewhere'));
    const planted = strata(scratch, ['demo', './planted']);
    assert.equal(planted.status, 1);
    assert.match(planted.stderr, /^strata: EEXIST: file already exists, mkdir '\.\/planted'/);
    assert.deepEqual(fs.readdirSync(path.join(scratch, 'elsewhere')), [], 'nothing written through the symlink');
    const none = strata(scratch, ['demo']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^strata demo: one directory is required/);
  });
});

describe("the README's CLI examples", () => {
  it('each line runs as written from a fresh directory (stress and diff-kernel shortened)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /## CLI\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme);
    assert.ok(block, 'README.md has no ```sh block under "## CLI"');
    const where = scratchDir('readme');
    try {
      let cwd = where;
      let ran = 0;
      for (const line of block[1].split('\n').filter((l) => l.trim() !== '')) {
        for (const command of line.replace(/\s+#.*$/, '').split('&&').map((c) => c.trim())) {
          const words = command.split(/\s+/);
          assert.ok(!/["'$`]/.test(command), `keep README examples free of quoting and variables: ${command}`);
          if (words[0] === 'cd') { cwd = path.resolve(cwd, words[1]); continue; }
          assert.deepEqual(words.slice(0, 2), ['npx', 'strata'], `not a strata command: ${command}`);
          const args = shortened(words.slice(2));
          const r = strata(cwd, args);
          const cannotMount = args[0] === 'diff-kernel' && r.status === 3;
          assert.ok(r.status === 0 || cannotMount, `${command} exited ${r.status}:\n${r.stderr}`);
          ran++;
        }
      }
      assert.ok(ran >= 6, `only ${ran} commands in the README's CLI block?`);
    } finally {
      removeTree(where);
    }
  });

  it('npm run strata takes relative paths from INIT_CWD, where the user typed the command', () => {
    const asNpmRuns = { npm_lifecycle_event: 'strata', npm_package_name: 'strata', INIT_CWD: demo };
    const listed = strata(ROOT, ['ls', '--lower', './base', '/etc'], asNpmRuns);
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.stdout, 'hosts\npasswd\nssl\n');
    const fromRoot = strata(ROOT, ['ls', '--lower', './base', '/etc']);
    assert.equal(fromRoot.status, 1, 'without npm, a relative path is from the process cwd');
    assert.match(fromRoot.stderr, /ENOENT/);
  });
});

/** The long runs of the README, cut to a few hundred operations and one seed. */
function shortened(args: string[]): string[] {
  if (args[0] !== 'stress' && args[0] !== 'diff-kernel') return args;
  return args.map((a, i) => (args[i - 1] === '--ops' ? '300' : args[i - 1] === '--seeds' ? '1' : a));
}
