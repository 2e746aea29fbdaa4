// Child process of tests/content-crash.test.ts: writes to one file of a DirLayer upper through an
// Overlay until it is killed, printing a line after each completed write.
//   append  <upper> <lower> : appendFile chunks of the byte pattern patternByte(position)
//   replace <upper> <lower> : writeFile the whole file with byte k (k = 1, 2, …) each time
import { Overlay } from '../../bindings/overlay.js';
import { DirLayer } from '../../bindings/layers/dir-layer.js';

export const FILE = '/big';
export const REPLACE_SIZE = 8 << 20;
export const APPEND_CHUNK = 1 << 20;
/** Size of the file before the appends: large, so a whole rewrite would take long enough to be caught. */
export const APPEND_START = 32 << 20;

export function patternByte(position: number): number {
  return (position * 31 + (position >>> 9)) & 255;
}

function main(): void {
  const [mode, upperDir, lowerDir] = process.argv.slice(2);
  const ov = new Overlay({ upper: new DirLayer(upperDir), lowers: [new DirLayer(lowerDir, { readOnly: true })] });
  let size = ov.stat(FILE).size;
  for (let k = 1; ; k++) {
    if (mode === 'append') {
      const chunk = new Uint8Array(APPEND_CHUNK);
      for (let i = 0; i < chunk.length; i++) chunk[i] = patternByte(size + i);
      ov.appendFile(FILE, chunk);
      size += chunk.length;
      process.stdout.write(`${size}\n`);
    } else {
      ov.writeFile(FILE, new Uint8Array(REPLACE_SIZE).fill(k));
      process.stdout.write(`${k}\n`);
    }
  }
}

if (process.argv[1]?.endsWith('content-writer.js')) main();
