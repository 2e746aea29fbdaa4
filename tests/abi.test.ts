// The ABI is written twice (assembly/abi.ts and assembly/index.ts for the module, bindings/abi.ts
// and the loader bindings/cache/wasm-cache.ts for TypeScript): every constant must exist on both
// sides with the same value, and every function the loader binds must be exported with its arity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as abi from '../bindings/abi.js';
import { BOUND_FUNCTIONS } from '../bindings/cache/wasm-instances.js';

// dist/tests/abi.test.js → assembly/abi.ts at the repository root.
const ASSEMBLY_ABI = new URL('../../assembly/abi.ts', import.meta.url);

/** `export const NAME: i32 = <integer literal>;` lines of the AssemblyScript file. */
function assemblyConstants(): Map<string, number> {
  const source = readFileSync(ASSEMBLY_ABI, 'utf8');
  const found = new Map<string, number>();
  for (const line of source.split('\n')) {
    if (!line.startsWith('export ')) continue;
    const m = /^export const ([A-Z][A-Z0-9_]*): i32 = (-?(?:0x[0-9a-fA-F]+|\d+));\s*(\/\/.*)?$/.exec(line);
    assert.ok(m, `assembly/abi.ts: cannot parse "${line}" (keep one integer constant per line)`);
    assert.ok(!found.has(m[1]), `assembly/abi.ts defines ${m[1]} twice`);
    found.set(m[1], Number(m[2]));
  }
  return found;
}

test('assembly/abi.ts and bindings/abi.ts define the same constants with the same values', () => {
  const wasmSide = assemblyConstants();
  const tsSide = new Map(Object.entries(abi).filter(([, v]) => typeof v === 'number') as [string, number][]);
  assert.ok(tsSide.size >= 40, `only ${tsSide.size} constants in bindings/abi.ts?`);
  for (const [name, value] of tsSide) {
    assert.ok(wasmSide.has(name), `${name} is missing from assembly/abi.ts`);
    assert.equal(wasmSide.get(name), value, `${name}: assembly/abi.ts says ${wasmSide.get(name)}, bindings/abi.ts ${value}`);
  }
  for (const name of wasmSide.keys()) assert.ok(tsSide.has(name), `${name} is missing from bindings/abi.ts`);
});


/** name/arity of each function the compiled module exports, and its other exports by kind. */
function moduleExports(file: string): { functions: Map<string, number>; others: string[] } {
  // dist/tests/abi.test.js → build/ at the repository root, where the loader reads it too.
  const module = new WebAssembly.Module(readFileSync(new URL(`../../build/${file}`, import.meta.url)));
  const instance = new WebAssembly.Instance(module, { env: { abort: () => { throw new Error('abort'); } } });
  const functions = new Map<string, number>();
  const others: string[] = [];
  for (const { name, kind } of WebAssembly.Module.exports(module)) {
    // An exported WASM function's `length` is its parameter count.
    if (kind === 'function') functions.set(name, (instance.exports[name] as (...args: number[]) => unknown).length);
    else others.push(`${kind} ${name}`);
  }
  return { functions, others };
}

for (const file of ['strata.wasm', 'strata.debug.wasm']) {
  test(`build/${file} exports exactly the functions wasm-cache.ts binds, with the same arities`, () => {
    const { functions, others } = moduleExports(file);
    const bound = new Map(Object.entries(BOUND_FUNCTIONS) as [string, number][]);
    assert.ok(bound.size >= 30, `only ${bound.size} functions in BOUND_FUNCTIONS?`);
    for (const [name, arity] of bound) {
      assert.ok(functions.has(name), `the loader binds ${name}, the module does not export it`);
      assert.equal(functions.get(name), arity, `${name}: the module takes ${functions.get(name)} arguments, the loader passes ${arity}`);
    }
    for (const name of functions.keys()) assert.ok(bound.has(name), `the module exports ${name}, the loader does not bind it`);
    assert.deepEqual(others, ['memory memory'], 'besides functions the loader reads only the memory');
  });
}
