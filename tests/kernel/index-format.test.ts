// Pins Strata's encoder of the index=on on-disk form (bindings/layers/host/index-format.ts) to the
// bytes the kernel writes: a real overlay mount with index=on copies up one name of a lower hard
// link, then the origin xattr, the index entry's name and the nlink xattr are compared with ours.
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNlink, decodeNlink, filesystemUuid, indexName, originOfFd } from '../../bindings/layers/host/index-format.js';
import { removeTree, scratchDir } from '../../bindings/verify/kernel/host-fixtures.js';
import { mountOverlay, probeOverlayMount, unmountOverlay } from '../../bindings/verify/kernel/kernel-mount.js';
import { createRequire } from 'node:module';

const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as { getAttributeSync(p: string, n: string): Buffer | null };
const support = probeOverlayMount();
if (!support.ok) console.log(`# kernel index format skipped: ${support.reason} (${support.kernel})`);
const skip = !support.ok ? support.reason : support.userxattr ? 'index=on needs trusted.* xattrs (mount as real root)' : false;

describe('index=on on-disk form: Strata encodes what the kernel writes', { skip }, () => {
  it('origin, index entry name and nlink of a copied-up lower hard link', () => {
    const base = scratchDir('index-format');
    const [l, u, w, m] = ['l', 'u', 'w', 'm'].map((d) => path.join(base, d));
    for (const d of [l, u, w, m]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(l, 'a'), 'hello\n');
    fs.linkSync(path.join(l, 'a'), path.join(l, 'b'));
    fs.linkSync(path.join(l, 'a'), path.join(l, 'c'));
    // Ours, computed from the lower object before the kernel touches anything.
    const fd = fs.openSync(path.join(l, 'a'), 'r');
    const ours = originOfFd(fd, filesystemUuid(l), 'a');
    fs.closeSync(fd);
    try {
      mountOverlay({ lowers: [l], upper: u, work: w, target: m, redirectDir: false, index: true, userxattr: false });
      try {
        fs.appendFileSync(path.join(m, 'a'), 'more\n');
      } finally {
        assert.ok(unmountOverlay(m).ok);
      }
      const origin = xattr.getAttributeSync(path.join(u, 'a'), 'trusted.overlay.origin');
      assert.ok(origin !== null, 'the kernel wrote an origin');
      assert.equal(origin.toString('hex'), ours.toString('hex'));
      assert.deepEqual(fs.readdirSync(path.join(w, 'index')).filter((n) => !n.startsWith('#')), [indexName(ours)]);
      const entry = path.join(w, 'index', indexName(ours));
      assert.equal(fs.statSync(entry).ino, fs.statSync(path.join(u, 'a')).ino, 'the index entry is a link of the upper file');
      // Three names in the overlay, two links on the host (the name and the index entry).
      const nlink = xattr.getAttributeSync(entry, 'trusted.overlay.nlink')!.toString();
      assert.equal(nlink, encodeNlink(3, fs.statSync(entry).nlink));
      assert.equal(decodeNlink(nlink, fs.statSync(entry).nlink, 3), 3);
    } finally {
      removeTree(base);
    }
  });
});

describe('nlink xattr codec', () => {
  it('writes U±n and reads U and L forms', () => {
    assert.equal(encodeNlink(2, 2), 'U+0');
    assert.equal(encodeNlink(3, 4), 'U-1');
    assert.equal(decodeNlink('U-1', 4, 9), 3);
    assert.equal(decodeNlink('L+1', 4, 2), 3);
    assert.equal(decodeNlink('U+x', 4, 2), undefined);
    assert.equal(decodeNlink('U-5', 4, 2), undefined);
  });
});
