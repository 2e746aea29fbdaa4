// Progress while the benchmarks run: a cli-progress bar on a terminal, plain lines otherwise
// (CI logs, pipes). Result lines are printed above the bar either way.
import cliProgress from 'cli-progress';

export class Progress {
  private readonly multi: cliProgress.MultiBar | undefined;
  private readonly bar: cliProgress.SingleBar | undefined;
  private done = 0;
  private total: number;
  private readonly started = performance.now();

  constructor(total: number, tty = process.stdout.isTTY === true) {
    this.total = total;
    if (tty) {
      this.multi = new cliProgress.MultiBar({
        format: ' {bar} {value}/{total} | {elapsed} | {label}',
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        stopOnComplete: false,
      }, cliProgress.Presets.shades_classic);
      this.bar = this.multi.create(total, 0, { label: 'starting', elapsed: '0s' });
    }
  }

  private elapsed(): string {
    return `${Math.round((performance.now() - this.started) / 1000)}s`;
  }

  /** The benchmark (or setup step) now running; `minor` steps (rounds, checksum passes) only show on the bar. */
  step(label: string, minor = false): void {
    if (this.bar) this.bar.update(this.done, { label, elapsed: this.elapsed() });
    else if (!minor) console.log(`[${this.done + 1}/${this.total} ${this.elapsed()}] ${label} …`);
  }

  /** One planned benchmark finished (or was skipped). */
  tick(): void {
    this.done++;
    if (this.done > this.total) this.addPlanned(this.done - this.total);
    this.bar?.update(this.done, { elapsed: this.elapsed() });
  }

  addPlanned(n: number): void {
    this.total += n;
    this.bar?.setTotal(this.total);
  }

  log(line: string): void {
    if (this.multi) this.multi.log(line + '\n');
    else console.log(line);
  }

  stop(): void {
    this.multi?.stop();
  }
}
