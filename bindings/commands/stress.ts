// `strata stress`: run the invalidation stress tester and print a summary (or JSON).
import { parseArgs } from 'node:util';
import type { PolicyName } from '../policy.js';

const HELP = `usage: strata stress [options]

Runs seeded random overlay operations while the layers change underneath, and checks every answer
against a fresh, uncached overlay (the reference model). Exit codes: 0 no wrong answer; 1 a wrong
answer was found (printed with its seed and a replay); 2 a usage error.

  --policy P         strict | relaxed | strict-legacy (default relaxed)
  --ops N            events to run, changes included (default 100000)
  --seed S           seed (default: random, printed)
  --lowers N         lower layers (default 3)
  --change-rate R    share of events that change a layer underneath (default 0.05)
  --expiry-share R   share of those changes that are expiries (default 0.2)
  --ttl MS           give every layer a TTL in virtual ms, one per event (default 0: none)
  --depth N          depth of the generated trees (default 3)
  --fanout N         names per directory, at most 5 (default 4)
  --capacity N       cache capacity in entries (default: the cache's)
  --cache IMPL       wasm | ts (default wasm)
  --json             print the summary as JSON
  --sweep            run every policy at change rates 0, 0.1 %, 1 %, 5 %, 10 % (with the other
                     options as given) and print one Markdown table
  -h, --help`;

const POLICY_NAMES: readonly PolicyName[] = ['strict', 'relaxed', 'strict-legacy'];

function numberOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  return n;
}

type Options = Omit<StressOptions, 'onProgress' | 'progressEvery'>;

/** The command line as stress options; 'help'; or a usage error (thrown, exit 2). */
function parse(argv: string[]): { options: Options; json: boolean; sweep: boolean } | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      policy: { type: 'string' }, ops: { type: 'string' }, seed: { type: 'string' }, lowers: { type: 'string' },
      'change-rate': { type: 'string' }, 'expiry-share': { type: 'string' }, ttl: { type: 'string' },
      depth: { type: 'string' }, fanout: { type: 'string' }, capacity: { type: 'string' }, cache: { type: 'string' },
      json: { type: 'boolean' }, sweep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const policy = (values.policy ?? 'relaxed') as PolicyName;
  if (!POLICY_NAMES.includes(policy)) throw new Error(`--policy must be one of ${POLICY_NAMES.join(', ')}, got '${values.policy}'`);
  const cache = values.cache;
  if (cache !== undefined && cache !== 'wasm' && cache !== 'ts') throw new Error(`--cache must be wasm or ts, got '${cache}'`);
  const options = {
    policy,
    ops: Math.floor(numberOption(values.ops, 'ops', 100_000, 1, 1e9)),
    seed: Math.floor(numberOption(values.seed, 'seed', Math.floor(Math.random() * 0x7fffffff), 0, 0xffffffff)),
    lowers: Math.floor(numberOption(values.lowers, 'lowers', 3, 1, 16)),
    changeRate: numberOption(values['change-rate'], 'change-rate', 0.05, 0, 1),
    expiryShare: numberOption(values['expiry-share'], 'expiry-share', 0.2, 0, 1),
    ttlMs: Math.floor(numberOption(values.ttl, 'ttl', 0, 0, 1e9)),
    depth: Math.floor(numberOption(values.depth, 'depth', 3, 1, 8)),
    fanout: Math.floor(numberOption(values.fanout, 'fanout', 4, 1, 5)),
    capacity: values.capacity === undefined ? undefined : Math.floor(numberOption(values.capacity, 'capacity', 0, 16, 1e8)),
    cacheImpl: cache as 'wasm' | 'ts' | undefined,
  };
  return { options, json: values.json === true, sweep: values.sweep === true };
}

export async function runStress(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`strata stress: ${(err as Error).message}\nusage: strata stress [options]\n'strata stress --help' for the options.`);
    return 2;
  }
  if (parsed === 'help') { console.log(HELP); return 0; }
  const { options, json } = parsed;
  const policy = options.policy;
  // The stress tester and its oracle (verify/) are loaded only when this command runs.
  const { runStress: stress } = await import('../verify/stress/stress.js');
  const { progressReporter } = await import('./progress.js');
  if (parsed.sweep) return sweep(stress, options, json);
  const progress = json ? undefined : progressReporter(`stress ${policy}`, options.ops);
  let summary;
  try {
    summary = stress({ ...options, onProgress: progress?.update, progressEvery: 5_000 });
  } finally {
    progress?.stop();
  }
  if (json) {
    console.log(JSON.stringify(summary, null, 2));
  } else {
    const rows: [string, string][] = [
      ['policy', summary.policy], ['seed', String(summary.seed)],
      ['events (ops + changes)', `${summary.ops} (${summary.overlayOps} + ${summary.changes})`],
      ['ops/s', summary.opsPerSecond.toFixed(0)], ['hit rate', `${(summary.hitRate * 100).toFixed(1)} %`],
      ['ESTALE', `${summary.estale} (${(summary.estaleRate * 100).toFixed(3)} % of ops)`],
      ['re-lookups', String(summary.relookups)], ['changed / expired seen', `${summary.changed} / ${summary.expired}`],
      ['wrong answers', String(summary.wrongAnswers)],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  }
  const wrong = summary.firstWrong;
  if (wrong) {
    console.error(`\nWRONG ANSWER at event ${wrong.index} (seed ${summary.seed}): ${wrong.op}`);
    console.error(`  expected ${wrong.expected}\n  actual   ${wrong.actual}\n  ${wrong.why}`);
    console.error(`  events before it:\n    ${wrong.recent.join('\n    ')}`);
    console.error(`  replay: ${wrong.replay}`);
    return 1;
  }
  return 0;
}

const SWEEP_RATES = [0, 0.001, 0.01, 0.05, 0.1];

type StressFn = typeof import('../verify/stress/stress.js').runStress;
type StressOptions = Parameters<StressFn>[0];

/** Every policy at several change rates, same seed: the table README's "Strict or relaxed?" quotes. */
function sweep(stress: StressFn, options: StressOptions, json: boolean): number {
  const rows = [];
  let wrong = 0;
  for (const changeRate of SWEEP_RATES) {
    for (const policy of POLICY_NAMES) {
      const s = stress({ ...options, policy, changeRate });
      wrong += s.wrongAnswers;
      rows.push(s);
      if (!json) console.error(`  ${policy} at ${changeRate * 100} %: ${s.wrongAnswers === 0 ? 'ok' : 'WRONG ANSWER'}`);
    }
  }
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    console.log(`events ${options.ops} per run, seed ${options.seed}, lowers ${options.lowers}, ttl ${options.ttlMs} ms, expiry share ${options.expiryShare}\n`);
    console.log('| change rate | policy | ESTALE (% of ops) | re-lookups / 1k ops | hit rate | ops/s | wrong answers |');
    console.log('|---|---|---|---|---|---|---|');
    for (const s of rows) {
      const rate = s.changes / s.ops;
      console.log(`| ${(rate * 100).toFixed(1)} % | ${s.policy} | ${(s.estaleRate * 100).toFixed(2)} | ${(s.relookups / s.overlayOps * 1000).toFixed(2)} | ${(s.hitRate * 100).toFixed(1)} % | ${s.opsPerSecond.toFixed(0)} | ${s.wrongAnswers} |`);
    }
  }
  return wrong === 0 ? 0 : 1;
}
