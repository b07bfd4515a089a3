// Draws apps/bench/trend.html from runs/ (after copying the newest bench-results/ into it), without a bench run.
//   node dist/trend-cli.js [--runs DIR] [--out FILE]
import { writeTrend } from './trend.js';

const args = process.argv.slice(2);
const option = (flag: string) => {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
};
const out = writeTrend('bench-results', option('--runs') ?? 'runs', option('--out') ?? 'trend.html');
process.stdout.write(`trend: ${out}\n`);
