// Command-line options of `npm run bench` (node:util parseArgs), with the defaults that make a
// bare `npm run bench` run every suite on the built-in data set in a few minutes.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export const SUITE_NAMES = ['cache', 'scale', 'cold-warm', 'policies', 'peers', 'content', 'resolver'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export interface BenchOptions {
  /** Data-set scale: 1 ≈ 50k files across 3 lowers. */
  size: number;
  suites: SuiteName[];
  /** Shorter timing windows and smaller cache sizes: a smoke run, not numbers to quote. */
  quick: boolean;
  seed: number;
  /** Where the report goes (default bench/results at the repository root). */
  out: string;
  /** Skip the kernel overlay mount even when root could mount it. */
  noKernel: boolean;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [options]
  --size N        scale the data set (1 ≈ 50k files across 3 lowers; default 1)
  --suite NAME    run only this suite (repeatable): ${SUITE_NAMES.join(', ')}
  --quick         short timing windows, cache sizes up to 1e5: a smoke run
  --seed N        data-set and workload seed (default 42)
  --out DIR       report directory (default bench/results)
  --no-kernel     do not try to mount the kernel overlay (peers suite)
  -h, --help      this text`;

// dist/bench/options.js → <repo>/bench/results
const DEFAULT_OUT = resolve(fileURLToPath(new URL('../../bench/results', import.meta.url)));

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '1' },
      suite: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string', default: '42' },
      out: { type: 'string', default: DEFAULT_OUT },
      'no-kernel': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  const size = Number(values.size);
  if (!(size > 0) || !Number.isFinite(size)) throw new Error(`--size must be a positive number, got ${values.size}`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`);
  const suites = (values.suite ?? [...SUITE_NAMES]) as string[];
  for (const s of suites) {
    if (!(SUITE_NAMES as readonly string[]).includes(s)) throw new Error(`unknown suite '${s}' (known: ${SUITE_NAMES.join(', ')})`);
  }
  return {
    size,
    suites: SUITE_NAMES.filter((s) => suites.includes(s)),
    quick: values.quick === true,
    seed,
    out: resolve(values.out as string),
    noKernel: values['no-kernel'] === true,
    help: values.help === true,
  };
}
