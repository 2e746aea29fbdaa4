// Installing the packed tarball into a fresh project with no network: the real npm (not the npm 6
// that @as-pect's dependencies put in node_modules/.bin), an environment free of the outer npm
// run's settings, and a lockfile for the project cut from ours, so `npm ci --offline` finds every
// runtime dependency in the npm cache by its integrity (`npm ci` of this repository fills it).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

type LockEntry = { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; [k: string]: unknown };
interface Lockfile { packages: Record<string, LockEntry> }
interface PackageJson { name: string; version: string; dependencies?: Record<string, string>; bin?: Record<string, string>; [k: string]: unknown }

/** The npm CLI script of npm 7 or newer: the one running us if it is, else the first on PATH. */
export function realNpmCli(): string {
  const candidates = [process.env.npm_execpath ?? ''];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) candidates.push(path.join(dir, 'npm'));
  for (const candidate of candidates) {
    if (candidate === '' || !fs.existsSync(candidate)) continue;
    const cli = fs.realpathSync(candidate);
    const manifest = path.join(path.dirname(cli), '..', 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as PackageJson;
    if (name === 'npm' && Number(version.split('.')[0]) >= 7) return cli;
  }
  throw new Error('no npm >= 7 found (npm_execpath or PATH)');
}

/** This process's environment without the outer npm run's settings, this Node first on PATH. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // npm_config_cache stays: the offline install reads the same cache the outer `npm ci` filled.
    if (/^npm_/i.test(k) && k.toLowerCase() !== 'npm_config_cache') continue;
    if (k === 'INIT_CWD' || k === 'PATH') continue;
    env[k] = v;
  }
  const path0 = (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes(`node_modules${path.sep}.bin`));
  env.PATH = [path.dirname(process.execPath), ...path0].join(path.delimiter);
  return env;
}

/** Run the real npm in `cwd`; the result with stdout/stderr as text. */
export function npm(cwd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [realNpmCli(), ...args], { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 300_000 });
}

/**
 * package.json and package-lock.json of a project depending only on `tarball` (a path relative to
 * the project), its dependency tree copied from `repoLock`: the versions this repository tests.
 */
export function projectFor(tarball: string, own: PackageJson, repoLock: Lockfile): { manifest: object; lock: object } {
  const spec = `file:${tarball}`;
  const all = repoLock.packages;
  // Node's resolution inside the lock tree: nearest node_modules/<name> going up from `from`.
  const resolve = (from: string, name: string): string | undefined => {
    for (let base = from; ; ) {
      const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (candidate in all) return candidate;
      if (base === '') return undefined;
      const at = base.lastIndexOf('/node_modules/');
      base = at < 0 ? '' : base.slice(0, at);
    }
  };
  const packages: Record<string, LockEntry> = {
    '': { name: 'strata-smoke', dependencies: { [own.name]: spec } },
    // hasInstallScript: npm ci runs a package's install script (our native helper's build) only
    // when the lockfile says it has one.
    [`node_modules/${own.name}`]: { version: own.version, resolved: spec, dependencies: own.dependencies, bin: own.bin,
      hasInstallScript: (own.scripts as Record<string, string> | undefined)?.install !== undefined },
  };
  const pending = Object.keys(own.dependencies ?? {}).map((name) => resolve('', name));
  while (pending.length > 0) {
    const key = pending.pop();
    if (key === undefined || key in packages) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = all[key];
    packages[key] = entry;
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})]) {
      pending.push(resolve(key, name));
    }
  }
  return {
    manifest: { name: 'strata-smoke', private: true, type: 'module', dependencies: { [own.name]: spec } },
    lock: { name: 'strata-smoke', lockfileVersion: 3, requires: true, packages },
  };
}
