// `strata demo DIR`: writes the small layer stack the README and docs/cli.md examples read, so each
// of them runs as written: an OCI tar layer, a base directory, and an upper directory in the
// kernel's on-disk format holding a whiteout (a 0/0 device) and an opaque directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import tar from 'tar-stream';
import { fsError } from '../errors.js';
import { canUseTrustedXattrs, setXattr } from '../layers/host/xattr.js';
import { mknodAt } from '../layers/host/whiteout-device.js';

const USAGE = `usage: strata demo DIR

Writes a demo stack into DIR (which must not exist, or be empty):
  layer2.tar   an OCI image layer: etc/motd, etc/resolv.conf, and etc/.wh.passwd (a whiteout)
  base/        a directory layer: etc/{hosts,passwd,ssl/cert.pem}, usr/bin/{sh,bash -> sh}, var/cache/old
  upper/       a directory layer in the kernel's format: etc/hosts, a whiteout at etc/motd,
               and var/cache/ made opaque (it hides base's var/cache/old) holding var/cache/new
then prints the options that name it. The opaque mark is trusted.overlay.opaque when this process
may write trusted.* xattrs, else user.overlay.opaque — the namespace the CLI then reads by default.

  -h, --help`;

/** Every file's and directory's mtime: the same listing on every run. */
const MTIME = new Date('2026-01-01T00:00:00Z');

type Tree = Record<string, string | { symlink: string }>;

const BASE: Tree = {
  'etc/hosts': '127.0.0.1 localhost\n',
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/ssl/cert.pem': '-----BEGIN CERTIFICATE-----\n',
  'usr/bin/sh': '#!/bin/sh\n',
  'usr/bin/bash': { symlink: 'sh' },
  'var/cache/old': 'stale\n',
};
const UPPER: Tree = { 'etc/hosts': '10.0.0.2 db\n', 'var/cache/new': 'fresh\n' };
const TAR_MEMBERS: { name: string; data?: string }[] = [
  { name: 'etc/' },
  { name: 'etc/motd', data: 'Welcome to the Strata demo stack.\n' },
  { name: 'etc/resolv.conf', data: 'nameserver 10.0.0.1\n' },
  { name: 'etc/.wh.passwd', data: '' },
];

export async function runDemo(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    if (!parsed.values.help && parsed.positionals.length !== 1) throw new Error('one directory is required');
  } catch (err) {
    console.error(`strata demo: ${(err as Error).message}\nusage: strata demo DIR`);
    return 2;
  }
  if (parsed.values.help) { console.log(USAGE); return 0; }
  const dir = parsed.positionals[0];
  try {
    const userxattr = writeDemo(dir);
    fs.writeFileSync(path.join(dir, 'layer2.tar'), await tarLayer(), { flag: 'wx' });
    fs.utimesSync(path.join(dir, 'layer2.tar'), MTIME, MTIME);
    console.log(`wrote a demo stack in ${dir}: layer2.tar (OCI tar layer), base/ and upper/ (directory layers)`);
    console.log(`cd ${dir} and try:\n  strata tree --lower ./layer2.tar --lower ./base --upper ./upper /`);
    if (userxattr) console.log('note: no privilege for trusted.* xattrs here: the opaque mark is user.overlay.opaque (read by default here)');
    return 0;
  } catch (err) {
    console.error(`strata: ${(err as Error).message}`);
    return 1;
  }
}

/** The two directory layers; true if the opaque mark had to go in the user.* namespace. */
function writeDemo(dir: string): boolean {
  // Never write into a tree that holds something already, nor through a symlink planted at DIR.
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (st !== undefined && !st.isDirectory()) throw fsError('EEXIST', 'mkdir', dir);
  if (st !== undefined && fs.readdirSync(dir).length > 0) throw fsError('ENOTEMPTY', 'mkdir', dir);
  if (st === undefined) fs.mkdirSync(dir, { recursive: true });
  writeTree(path.join(dir, 'base'), BASE);
  const upper = path.join(dir, 'upper');
  writeTree(upper, UPPER);
  // A whiteout is a 0/0 character device (root, or Linux >= 5.8 for any user).
  const etc = fs.openSync(path.join(upper, 'etc'), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try {
    mknodAt(etc, 'motd', fs.constants.S_IFCHR, 0, '/etc/motd');
  } finally {
    fs.closeSync(etc);
  }
  const trusted = canUseTrustedXattrs(dir).ok;
  setXattr(path.join(upper, 'var/cache'), `${trusted ? 'trusted' : 'user'}.overlay.opaque`, 'y');
  for (const layer of ['base', 'upper']) stampTimes(path.join(dir, layer));
  return !trusted;
}

function writeTree(root: string, tree: Tree): void {
  for (const [rel, value] of Object.entries(tree)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    if (typeof value === 'string') fs.writeFileSync(p, value, { flag: 'wx' });
    else fs.symlinkSync(value.symlink, p);
  }
}

/** Children first, so setting a directory's times is the last change in it. */
function stampTimes(p: string): void {
  const st = fs.lstatSync(p);
  if (st.isDirectory()) for (const name of fs.readdirSync(p)) stampTimes(path.join(p, name));
  fs.lutimesSync(p, MTIME, MTIME);
}

async function tarLayer(): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  for (const { name, data } of TAR_MEMBERS) {
    const type = data === undefined ? 'directory' : 'file';
    pack.entry({ name, type, mode: type === 'directory' ? 0o755 : 0o644, mtime: MTIME }, data);
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
