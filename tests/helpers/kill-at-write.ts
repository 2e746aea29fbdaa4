// For crash tests' child programs: wraps node:fs's host-writing calls so the process SIGKILLs
// itself at the `killAt`-th call made while `armed` is true (both variables the child defines).
export const KILL_AT_WRITE = `
for (const name of ['renameSync', 'rmdirSync', 'unlinkSync', 'linkSync', 'mkdirSync', 'symlinkSync', 'openSync',
  'writeSync', 'writeFileSync', 'rmSync', 'fchmodSync', 'fchownSync', 'futimesSync', 'ftruncateSync', 'fsyncSync']) {
  const real = fs[name];
  fs[name] = function (...args) {
    if (armed && ++calls === Number(killAt)) process.kill(process.pid, 'SIGKILL');
    return real.apply(this, args);
  };
}
syncBuiltinESMExports();
`;
