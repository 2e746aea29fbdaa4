// The native helper ships prebuilt for the platform the package was packed on
// (prebuilds/<platform>-<arch>/strata_native.node; N-API, so one file serves every Node major), so
// that an install needs no C toolchain (slim container images have none) and no build time where
// it loads. bindings/layers/host/native.ts loads a local build first, then this one.
//   node native/prebuild.cjs save    after a build: copy the built helper to prebuilds/
//   node native/prebuild.cjs loads   exit 0 if the shipped helper loads here (the install then
//                                    skips building it), 1 if not
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const built = path.join(root, 'native', 'build', 'Release', 'strata_native.node');
const shipped = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'strata_native.node');

const command = process.argv[2];
if (command === 'save') {
  fs.mkdirSync(path.dirname(shipped), { recursive: true });
  // Written aside and renamed: a reader never loads a half-copied file.
  const temp = `${shipped}.${process.pid}.tmp`;
  fs.copyFileSync(built, temp);
  fs.renameSync(temp, shipped);
} else if (command === 'loads') {
  try {
    require(shipped);
  } catch {
    process.exit(1);
  }
} else {
  console.error('usage: node native/prebuild.cjs save|loads');
  process.exit(2);
}
