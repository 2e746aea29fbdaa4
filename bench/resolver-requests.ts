// The resolver workload: real module requests read from a real node_modules tree — every
// package's own name (resolved from the tree's root) and every dependency a package.json names
// (resolved from inside that package), the way a bundler meets them; seeded order, no duplicates —
// and enhanced-resolve's synchronous resolver over a given file system.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createRng } from '../bindings/verify/prng.js';

export interface ResolveRequest {
  /** Directory the request is made from, relative to the tree's root ('' = the root). */
  context: string;
  request: string;
}

function packageDirs(nodeModules: string, rel: string, out: string[]): void {
  let names: string[];
  try {
    names = readdirSync(join(nodeModules, rel));
  } catch {
    return;
  }
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@') && rel === '') packageDirs(nodeModules, name, out);
    else out.push(rel === '' ? name : `${rel}/${name}`);
  }
}

function dependencies(pkgJson: string): string[] {
  try {
    const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { dependencies?: Record<string, string> };
    return Object.keys(pkg.dependencies ?? {});
  } catch {
    return [];
  }
}

/** Requests against `<root>/node_modules` (top-level packages and their dependencies), shuffled. */
export function moduleRequests(root: string, seed: number): ResolveRequest[] {
  const nodeModules = join(root, 'node_modules');
  const pkgs: string[] = [];
  packageDirs(nodeModules, '', pkgs);
  const seen = new Set<string>();
  const out: ResolveRequest[] = [];
  const add = (context: string, request: string) => {
    const key = `${context}\0${request}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ context, request });
    }
  };
  for (const p of pkgs) {
    add('', p);
    add('', `${p}/package.json`);
    for (const dep of dependencies(join(nodeModules, p, 'package.json'))) add(`node_modules/${p}`, dep);
  }
  const rng = createRng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export interface SyncResolver { resolveSync(context: object, path: string, request: string): string | false }
export interface EnhancedResolve {
  ResolverFactory: { createResolver(options: Record<string, unknown>): SyncResolver };
  CachedInputFileSystem: new (fs: unknown, duration: number) => unknown;
}

/** enhanced-resolve (CommonJS), loaded once. */
export function enhancedResolve(): EnhancedResolve {
  return createRequire(import.meta.url)('enhanced-resolve') as EnhancedResolve;
}

/** A CommonJS-style resolver (node conditions, .js/.json/.node) over `fileSystem`, sync calls. */
export function resolverOver(fileSystem: unknown): SyncResolver {
  return enhancedResolve().ResolverFactory.createResolver({
    fileSystem, useSyncFileSystemCalls: true,
    extensions: ['.js', '.json', '.node'], conditionNames: ['node', 'require'], mainFields: ['main'],
  });
}
