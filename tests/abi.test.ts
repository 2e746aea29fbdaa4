// The ABI is written twice (assembly/abi.ts for the module, bindings/abi.ts for TypeScript):
// every constant must exist on both sides with the same value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as abi from '../bindings/abi.js';

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

