// The WASM module behind WasmDentryCache (wasm-cache.ts): its exports as bound there, each build
// compiled once per process, and a small pool of instances given back by dispose(). V8 frees WASM
// memory only when a GC finds an instance dead and reserves address space for each, so overlays
// made and closed in a loop would otherwise exhaust it; a pooled instance is re-initialised, as
// good as new, by the next cache.
import { readFileSync } from 'node:fs';

/** The module's exports (assembly/index.ts). Addresses and lengths are byte offsets. */
export interface StrataExports {
  memory: WebAssembly.Memory;
  init(entries: number, bytes: number): void;
  release(): void;
  inputAddress(): number;
  inputCapacity(): number;
  reserveInput(bytes: number): number;
  resultAddress(): number;
  pathAddress(): number;
  stoppedNameAddress(): number;
  stoppedNameLength(): number;
  walk(len: number, now: number, opts: number): number;
  resume(id: number, now: number): number;
  follow(len: number, now: number): number;
  insertStopped(type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number;
  insert(parent: number, len: number, type: number, flags: number, layer: number, lowest: number, handle: number, deadline: number): number;
  lookup(parent: number, len: number): number;
  lookupPath(len: number): number;
  update(id: number, type: number, flags: number, layer: number, lowest: number, handle: number): void;
  setRoot(flags: number, layer: number, lowest: number, handle: number): void;
  invalidate(id: number): void;
  expire(id: number): void;
  refresh(id: number, deadline: number): void;
  remove(id: number): void;
  clear(): void;
  type(id: number): number;
  flags(id: number): number;
  layer(id: number): number;
  lowest(id: number): number;
  handle(id: number): number;
  parent(id: number): number;
  nameAddress(id: number): number;
  nameLength(id: number): number;
  alive(id: number): number;
  counters(): number;
  frontTable(on: number): void;
  frontKey(a: number, b: number, c: number, d: number): void;
  frontHits(): number;
  frontStateAddress(): number;
  structureBytes(): number;
}

/** Every function bound above with its arity; tests/abi.test.ts checks the compiled module exports exactly these. */
export const BOUND_FUNCTIONS = {
  init: 2, release: 0, inputAddress: 0, inputCapacity: 0, reserveInput: 1, resultAddress: 0, pathAddress: 0,
  stoppedNameAddress: 0, stoppedNameLength: 0, walk: 3, resume: 2, follow: 2, insertStopped: 6, insert: 8, lookup: 2,
  lookupPath: 1, update: 6, setRoot: 4, invalidate: 1, expire: 1, refresh: 2, remove: 1, clear: 0, type: 1, flags: 1,
  layer: 1, lowest: 1, handle: 1, parent: 1, nameAddress: 1, nameLength: 1, alive: 1, counters: 0, structureBytes: 0,
  frontTable: 1, frontKey: 4, frontHits: 0, frontStateAddress: 0,
} as const satisfies { [K in Exclude<keyof StrataExports, 'memory'>]: Parameters<StrataExports[K]>['length'] };


const compiledModules = new Map<string, WebAssembly.Module>();

/** Instances given back by dispose(), per build, ready for init(). */
const idleInstances = new Map<string, StrataExports[]>();
/** At most this many idle instances are kept per build… */
const POOL_SIZE = 8;
/** …each with at most this much linear memory (memory never shrinks: a big one is left to GC). */
const POOL_MAX_MEMORY = 16 * 1024 * 1024;

/** An idle instance of the build if the pool has one (to be init()ed), else a new one. */
export function newOrIdleInstance(file: string): StrataExports {
  return idleInstances.get(file)?.pop() ?? instantiate(file);
}

/** An instance the owner is done with: kept for reuse if the pool has room and it is small. */
export function giveBack(file: string, wasm: StrataExports): void {
  let idle = idleInstances.get(file);
  if (idle === undefined) idleInstances.set(file, idle = []);
  if (idle.length < POOL_SIZE && wasm.memory.buffer.byteLength <= POOL_MAX_MEMORY) idle.push(wasm);
}

/** Stands in for the exports after dispose(): any use is a programming error. */
export const DISPOSED = new Proxy({}, { get: () => () => { throw usedAfterDispose(); } }) as StrataExports;

export function usedAfterDispose(): Error {
  return new Error('WasmDentryCache: used after dispose()');
}

export function buildFile(debug: boolean): string {
  return debug ? 'strata.debug.wasm' : 'strata.wasm';
}

/** Compile each build once per process; instances are per cache. */
function compiledModule(file: string): WebAssembly.Module {
  let module = compiledModules.get(file);
  if (module === undefined) {
    // dist/bindings/cache/ → build/ at the repository root.
    module = new WebAssembly.Module(readFileSync(new URL(`../../../build/${file}`, import.meta.url)));
    compiledModules.set(file, module);
  }
  return module;
}

/** A new instance of a build; its abort() reports the module's message and place. */
function instantiate(file: string): StrataExports {
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      abort(msg: number, at: number, line: number, column: number): never {
        const m = memory!;
        throw new Error(`strata.wasm abort: ${readAsString(m, msg)} at ${readAsString(m, at)}:${line}:${column}`);
      },
    },
  };
  const exports = new WebAssembly.Instance(compiledModule(file), imports).exports as unknown as StrataExports;
  memory = exports.memory;
  return exports;
}


/** An AssemblyScript string (UTF-16, byte length at ptr - 4), for abort messages. */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return '';
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}
