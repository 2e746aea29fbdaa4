// What every suite gets: the harness, the options, the data set (generated once, on first use),
// the engine (loaded once), and a place to register cleanups that must run even on Ctrl-C.
import { generateDataset, type Dataset, type DatasetSummary } from './dataset.js';
import { loadStrata, type StrataApi } from './engine.js';
import { toMemoryStack, type MemoryStack } from './materialize/memory.js';
import type { Harness } from './harness.js';
import type { BenchOptions, SuiteName } from './options.js';

export class SuiteContext {
  private ds: Dataset | undefined;
  private readonly cleanups: (() => void)[] = [];
  private sharedStack: MemoryStack | undefined;

  constructor(readonly h: Harness, readonly options: BenchOptions) {}

  dataset(): Dataset {
    if (this.ds === undefined) {
      this.h.progress.step(`generating the data set (seed ${this.options.seed}, size ${this.options.size})`);
      this.ds = generateDataset(this.options.seed, this.options.size);
      const s = this.ds.summary;
      this.h.note(`data set: ${Object.entries(s.filesPerLayer).map(([k, v]) => `${k} ${v}`).join(', ')} files; ` +
        `${s.whiteouts} whiteouts, ${s.opaqueDirs} opaque dirs in the upper; visible: ${s.visibleFiles} files, ` +
        `${s.visibleDirs} dirs; workload: ${s.deepFiles} 9-level files, ${s.negatives} negative paths`);
    }
    return this.ds;
  }

  /** The data set's summary, if a suite generated it. */
  datasetSummary(): DatasetSummary | undefined {
    return this.ds?.summary;
  }

  /**
   * The data set as MemoryLayers, shared by the suites that only read (scale, cold-warm, peers):
   * building it takes seconds. Suites that change layers build their own.
   */
  memoryStack(api: StrataApi): MemoryStack {
    if (this.sharedStack === undefined) {
      this.h.progress.step('building the data set as MemoryLayers');
      this.sharedStack = toMemoryStack(api, this.dataset());
    }
    return this.sharedStack;
  }

  strata(): Promise<StrataApi | string> {
    return loadStrata();
  }

  /** Run `fn` at the end of the run, or on SIGINT/SIGTERM (unmounts, temporary trees). */
  onCleanup(fn: () => void): () => void {
    this.cleanups.push(fn);
    return () => {
      const i = this.cleanups.indexOf(fn);
      if (i >= 0) this.cleanups.splice(i, 1);
      fn();
    };
  }

  cleanup(): void {
    while (this.cleanups.length > 0) {
      const fn = this.cleanups.pop()!;
      try { fn(); } catch (err) { console.error(`cleanup failed: ${(err as Error).message}`); }
    }
  }
}

export interface Suite {
  name: SuiteName;
  /** One line: what it measures (printed in the report). */
  description: string;
  /** How many results it plans to print (progress bar total). */
  planned(options: BenchOptions): number;
  run(ctx: SuiteContext): Promise<void>;
}
