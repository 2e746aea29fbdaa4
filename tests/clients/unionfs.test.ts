// unionfs layering createFs over node:fs, reading and writing through streams and descriptors
// (it falls through to the next file system per call): the overlay's files are served by the
// adapter, the host's by node:fs, and the same reads on the merged copy on disk agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodeFs from 'node:fs';
import { Union } from 'unionfs';
import { project, ROOT } from './project.js';

async function readStream(fs: { createReadStream(p: string, o?: object): NodeJS.ReadableStream }, p: string, o?: object): Promise<string> {
  let out = '';
  for await (const chunk of fs.createReadStream(p, { encoding: 'utf8', ...o })) out += chunk;
  return out;
}

test('unionfs over node:fs and createFs: streams, descriptors and fallthrough', async () => {
  const p = project();
  try {
    const ufs = new Union().use(nodeFs as never).use(p.fs as never) as unknown as typeof nodeFs;
    for (const file of ['src/greet.js', 'src/data.json', 'package.json']) {
      assert.equal(await readStream(ufs, `${ROOT}/${file}`), nodeFs.readFileSync(`${p.disk}/${file}`, 'utf8'), file);
    }
    // (unionfs's createReadStream passes no options on: start/end are checked in fs-oracle.test.)
    // A host file still comes from node:fs through the same union.
    assert.equal(ufs.readFileSync(`${p.disk}/src/greet.js`, 'utf8'), nodeFs.readFileSync(`${p.disk}/src/greet.js`, 'utf8'));
    assert.deepEqual(ufs.readdirSync(`${ROOT}/src`).sort(), nodeFs.readdirSync(`${p.disk}/src`).sort());
    await new Promise<void>((resolve, reject) => {
      const ws = p.fs.createWriteStream(`${ROOT}/out.txt`);
      ws.on('error', reject);
      ws.end('streamed into the upper', () => resolve());
    });
    assert.equal(await readStream(ufs, `${ROOT}/out.txt`), 'streamed into the upper');
    const fd = ufs.openSync(`${ROOT}/src/data.json`, 'r');
    const buf = Buffer.alloc(8);
    assert.equal(ufs.readSync(fd, buf, 0, 8, 0), 8);
    assert.equal(buf.toString(), '{ "name"');
    assert.equal(ufs.fstatSync(fd).size, nodeFs.statSync(`${p.disk}/src/data.json`).size);
    ufs.closeSync(fd);
    assert.throws(() => ufs.readFileSync(`${ROOT}/src/old.js`), { code: 'ENOENT' });
  } finally {
    p.cleanup();
  }
});
