// Re-render a report's Markdown and plots from its raw JSON (after a change to the charts or
// the tables), without running the benchmarks again:
//   node dist/bench/rerender.js bench/results/2026-11-26.json
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeSuites, renderReport, type ReportData } from './report.js';
import { cacheSuite } from './suites/cache.js';
import { coldWarmSuite } from './suites/cold-warm.js';
import { peersSuite } from './suites/peers.js';
import { policiesSuite } from './suites/policies.js';
import { scaleSuite } from './suites/scale.js';

const file = process.argv[2];
if (!file) {
  console.error('usage: node dist/bench/rerender.js bench/results/<date>.json');
  process.exit(2);
}
describeSuites([cacheSuite, scaleSuite, coldWarmSuite, policiesSuite, peersSuite]);
const data = JSON.parse(readFileSync(file, 'utf8')) as ReportData;
for (const written of await renderReport(data, dirname(file))) console.log(written);
