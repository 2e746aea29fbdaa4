// `npm run bench`: every suite on the built-in data set, in one process so ratios hold, then the
// report (bench/results/<date>.{json,md} + SVG plots, and latest.md). See docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SuiteContext, type Suite } from './context.js';
import { Harness } from './harness.js';
import { parseOptions, USAGE, type BenchOptions } from './options.js';
import { Progress } from './progress.js';
import { writeReport } from './report.js';
import { cacheSuite } from './suites/cache.js';
import { coldWarmSuite } from './suites/cold-warm.js';
import { peersSuite } from './suites/peers.js';
import { policiesSuite } from './suites/policies.js';
import { resolverSuite } from './suites/resolver.js';
import { scaleSuite } from './suites/scale.js';
import { contentSuite } from './suites/content.js';

const SUITES: Suite[] = [cacheSuite, scaleSuite, coldWarmSuite, policiesSuite, peersSuite, contentSuite, resolverSuite];

/**
 * Memory per entry needs global.gc, and the 1e6-entry caches of three implementations need more
 * heap than Node's default: without those flags, run again as a child process with them.
 */
function reexecWithFlags(): never {
  process.on('SIGINT', () => { /* the child gets it too, and cleans up (unmounts) itself */ });
  const script = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...process.execArgv, script, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

async function main(options: BenchOptions): Promise<number> {
  const suites = SUITES.filter((s) => options.suites.includes(s.name));
  const progress = new Progress(suites.reduce((n, s) => n + s.planned(options), 0));
  const h = new Harness(options, progress);
  const ctx = new SuiteContext(h, options);
  const onSignal = (signal: NodeJS.Signals) => {
    progress.stop();
    console.error(`\n${signal}: cleaning up`);
    ctx.cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  const timings: Record<string, number> = {};
  let failed = 0;
  try {
    for (const suite of suites) {
      const t0 = Date.now();
      try {
        await suite.run(ctx);
      } catch (err) {
        failed++;
        h.note(`${suite.name}: FAILED: ${(err as Error).stack ?? err}`);
      } finally {
        ctx.cleanup();
      }
      timings[suite.name] = (Date.now() - t0) / 1000;
    }
  } finally {
    ctx.cleanup();
    progress.stop();
  }
  const elapsed = (Date.now() - started) / 1000;
  const files = await writeReport({ options, suites, harness: h, timings, elapsedSeconds: elapsed, dataset: ctx.datasetSummary() });
  const mismatches = h.results.filter((r) => r.checksumOk === false);
  console.log(`\nfinished in ${elapsed.toFixed(0)} s (${Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(0)} s`).join(', ')})`);
  console.log(`report: ${files.join(', ')}`);
  if (mismatches.length > 0) console.log(`CHECKSUM MISMATCH in ${mismatches.length} result(s): ${mismatches.map((r) => h.label(r)).join('; ')}`);
  return failed > 0 || mismatches.length > 0 ? 1 : 0;
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (typeof (globalThis as { gc?: unknown }).gc !== 'function') reexecWithFlags();
process.exitCode = await main(options);
