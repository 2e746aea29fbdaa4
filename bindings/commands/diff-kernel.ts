// `strata diff-kernel`: the kernel differential (verify/kernel/) for long runs — seeded random
// operations on the kernel's overlayfs and on Strata over DirLayers, every answer compared.
// Prints ops and agreement per seed, and the first disagreement with its seed and a replay,
// shrunk to the operations and lower entries that still reproduce it.
import { parseArgs } from 'node:util';

const USAGE = `usage: strata diff-kernel [options]   (root, or inside unshare -rm)

  --ops N            operations per seed (default 1000)
  --seed S           first seed (default: random, printed)
  --seeds K          number of seeds, S, S+1, … (default 1)
  --redirect-dir M   off | on | both (default both)
  --metacopy M       off | on | both (default off; on runs only with redirect_dir on, as the kernel requires)
  --index M          off | on | both (default off)
  --lowers N         lower layers (default 2 or 3, from the seed)
  --check-every N    compare whole trees every N operations (default 25, 0 = at the end)
  --target T         overlay (the engine, default) | model (the reference model)
  --no-shrink        report the first disagreement as found, without shrinking it
  --json             one JSON object on stdout instead of text
  -h, --help`;

interface SeedLine {
  seed: number;
  redirectDir: boolean;
  metacopy: boolean;
  index: boolean;
  layers: string;
  ops: number;
  answers: number;
  agreed: number;
  inoPairs: number;
  listedWhiteoutsFiltered: number;
  kernelCopyUpResidueFiltered: number;
  metacopyDataSettled: number;
  agrees: boolean;
}

export async function runDiffKernel(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        ops: { type: 'string', default: '1000' },
        seed: { type: 'string' },
        seeds: { type: 'string', default: '1' },
        'redirect-dir': { type: 'string', default: 'both' },
        metacopy: { type: 'string', default: 'off' },
        index: { type: 'string', default: 'off' },
        lowers: { type: 'string' },
        'check-every': { type: 'string', default: '25' },
        target: { type: 'string', default: 'overlay' },
        'no-shrink': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`strata diff-kernel: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  let ops: number, seeds: number, firstSeed: number, lowers: number | undefined, checkEvery: number;
  try {
    ops = int('ops', args.ops, 1)!;
    seeds = int('seeds', args.seeds, 1)!;
    firstSeed = int('seed', args.seed, 0) ?? Math.floor(Math.random() * 0x7fffffff);
    lowers = int('lowers', args.lowers, 1);
    checkEvery = int('check-every', args['check-every'], 0)!;
    for (const name of ['redirect-dir', 'metacopy', 'index'] as const) {
      if (!['off', 'on', 'both'].includes(args[name]!)) throw new Error(`--${name} must be off, on or both`);
    }
    if (!['overlay', 'model'].includes(args.target!)) throw new Error(`--target must be overlay or model`);
  } catch (err) {
    console.error(`strata diff-kernel: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }

  // The harness (shipped in verify/kernel) is loaded on demand, like every command.
  const { probeOverlayMount } = await import('../verify/kernel/kernel-mount.js');
  const { runDifferential, modesLabel, modesOptions } = await import('../verify/kernel/differential.js');
  const { loadTarget } = await import('../verify/kernel/targets.js');
  const { shrink } = await import('../verify/kernel/shrink.js');
  const { specListing } = await import('../verify/kernel/lower-trees.js');

  const support = probeOverlayMount();
  if (!support.ok) {
    console.error(`strata diff-kernel: cannot mount overlayfs here — ${support.reason} (${support.kernel})`);
    return 3;
  }
  if (!support.redirectDir && args['redirect-dir'] !== 'off') {
    console.error(`strata diff-kernel: this mount refuses redirect_dir=on (${support.reason}); use --redirect-dir off`);
    return 3;
  }
  const target = await loadTarget(args.target as 'overlay' | 'model');
  const settings = (name: 'redirect-dir' | 'metacopy' | 'index') => (args[name] === 'both' ? [false, true] : [args[name] === 'on']);
  // The kernel refuses metacopy=on without redirect_dir=on: that combination is not run.
  const modes = settings('redirect-dir').flatMap((redirectDir) => settings('metacopy').flatMap((metacopy) =>
    settings('index').map((index) => ({ redirectDir, metacopy, index })))).filter((m) => m.redirectDir || !m.metacopy);
  if (modes.length === 0) {
    console.error('strata diff-kernel: metacopy on needs redirect_dir on (the kernel refuses the mount otherwise)');
    return 2;
  }
  const log = (line: string) => { if (!args.json) console.log(line); };
  log(`# strata diff-kernel: ${support.kernel}, ${support.reason}; target ${target.name}; ` +
    `seeds ${firstSeed}..${firstSeed + seeds - 1}; ${ops} ops per seed; modes ${modes.map(modesLabel).join(' | ')}`);

  const lines: SeedLine[] = [];
  let first: import('../verify/kernel/differential.js').Disagreement | undefined;
  const started = Date.now();
  for (let s = 0; s < seeds; s++) {
    for (const mode of modes) {
      const seed = firstSeed + s;
      const r = runDifferential({ seed, ops, ...mode, target, lowers, checkEvery });
      const line: SeedLine = {
        seed, ...mode, layers: r.layers, ops: r.opsRun, answers: r.answers, agreed: r.agreed,
        inoPairs: r.inoPairs, listedWhiteoutsFiltered: r.quirks.listedWhiteouts, kernelCopyUpResidueFiltered: r.quirks.copyUpResidue,
        metacopyDataSettled: r.quirks.metacopyData, agrees: r.disagreement === undefined,
      };
      lines.push(line);
      log(`seed ${seed} ${modesLabel(mode)} layers ${r.layers.padEnd(16)} ` +
        `ops ${r.opsRun} answers ${r.answers} agreed ${r.agreed} (${pct(r.agreed, r.answers)}) ino-pairs ${r.inoPairs}` +
        `${r.disagreement ? `  DISAGREE at ${r.disagreement.index < 0 ? 'end' : `op ${r.disagreement.index}`}` : ''}`);
      first ??= r.disagreement;
    }
  }
  const totals = lines.reduce((t, l) => ({ ops: t.ops + l.ops, answers: t.answers + l.answers, agreed: t.agreed + l.agreed }),
    { ops: 0, answers: 0, agreed: 0 });
  const runs = lines.length;
  const agreeing = lines.filter((l) => l.agrees).length;
  log(`# total: ${runs} runs, ${agreeing} agree; ${totals.ops} ops; ${totals.answers} answers compared, ` +
    `${totals.agreed} agreed (${pct(totals.agreed, totals.answers)}); ${((Date.now() - started) / 1000).toFixed(1)} s`);

  let report: object | undefined;
  if (first !== undefined) {
    let d = first;
    let trials = 0;
    if (!args['no-shrink']) {
      log('# shrinking the first disagreement…');
      ({ disagreement: d, trials } = shrink(first, { ...first.modes, target, checkEvery }));
    }
    report = {
      seed: d.seed, redirectDir: d.redirectDir, modes: d.modes, what: d.what, detail: d.detail,
      rerun: `strata diff-kernel --seed ${first.seed} --ops ${ops} ${modesOptions(first.modes)} --target ${target.name}` +
        `${lowers !== undefined ? ` --lowers ${lowers}` : ''}`,
      lowerTrees: specListing(d.spec), replay: d.replay, shrinkTrials: trials,
    };
    if (!args.json) {
      const r = report as { rerun: string; lowerTrees: string[]; replay: string[] };
      console.log(`\nFIRST DISAGREEMENT (seed ${d.seed}, ${modesLabel(d.modes)}): ${d.what}`);
      console.log(d.detail.split('\n').map((l) => `  ${l}`).join('\n'));
      console.log(`rerun: ${r.rerun}`);
      console.log(`replay${trials > 0 ? ` (shrunk in ${trials} trials)` : ''} — lower trees, topmost first:`);
      for (const l of r.lowerTrees) console.log(`  ${l}`);
      console.log('  operations:');
      for (const l of r.replay) console.log(`    ${l}`);
    }
  }
  if (args.json) {
    console.log(JSON.stringify({ kernel: support.kernel, target: target.name, runs: lines, totals, firstDisagreement: report }, null, 2));
  }
  return first === undefined ? 0 : 1;
}

function pct(a: number, b: number): string {
  return b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(2)}%`;
}
