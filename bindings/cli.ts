#!/usr/bin/env node
// The `strata` command: dispatches to one module per subcommand, loaded on demand so that
// `strata stress` does not pay for the kernel harness and vice versa.
const COMMANDS: Record<string, { summary: string; load: () => Promise<(argv: string[]) => Promise<number>> }> = {
  stress: {
    summary: 'check the cache against a fresh overlay while layers change underneath',
    load: async () => (await import('./commands/stress.js')).runStress,
  },
  'diff-kernel': {
    summary: "compare Strata with the kernel's overlayfs on random operations (needs root)",
    load: async () => (await import('./commands/diff-kernel.js')).runDiffKernel,
  },
  demo: {
    summary: 'write a small demo stack (a tar layer, directory layers with a whiteout and an opaque dir)',
    load: async () => (await import('./commands/demo.js')).runDemo,
  },
  ls: {
    summary: 'list a directory of the merged view of host directories and tar layers',
    load: async () => (await import('./commands/inspect.js')).runLs,
  },
  cat: {
    summary: 'print a file of the merged view',
    load: async () => (await import('./commands/inspect.js')).runCat,
  },
  stat: {
    summary: 'show an entry of the merged view and which layer answered',
    load: async () => (await import('./commands/inspect.js')).runStat,
  },
  tree: {
    summary: 'draw the merged view below a directory, layer by entry',
    load: async () => (await import('./commands/inspect.js')).runTree,
  },
  resolve: {
    summary: 'show which layer each component of a path came from',
    load: async () => (await import('./commands/inspect.js')).runResolve,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: strata <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'strata <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    console.error(`strata: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

// `npm run strata -- …` runs in the package root; the user's relative paths mean the directory
// they typed the command in, which npm passes as INIT_CWD.
if (process.env.npm_lifecycle_event === 'strata' && process.env.npm_package_name === 'strata' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    console.error(`strata: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
