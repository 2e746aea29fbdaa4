// Progress for long commands: a bar on a terminal (cli-progress), nothing when piped.
import cliProgress from 'cli-progress';

export interface Progress {
  update: (done: number) => void;
  stop: () => void;
}

export function progressReporter(label: string, total: number): Progress | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} | eta {eta}s`,
    stream: process.stderr,
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}
