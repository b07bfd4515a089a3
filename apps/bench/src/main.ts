// Benchmarks, side by side with peers in one run, reported as ratios.
//   node dist/main.js [suite ...] [--json]    (then apps/bench/trend.html is drawn from runs/: see trend.ts)
// Suites: mutex, shared-mutex, trylock, redis, redis-semaphore, etcd, etcd-read-write, zk, postgres,
// postgres-read-write, file, file-read-write, diagnostics (default: all). Distributed suites start their
// own servers from the machine's binaries via @lock/testkit.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { SuiteReport } from './harness.js';
import { writeTrend } from './trend.js';

const suites: Record<string, () => Promise<{ run(): Promise<SuiteReport[]> }>> = {
  mutex: () => import('./suites/mutex.js'),
  'mutex-semaphore': () => import('./suites/mutex-semaphore.js'),
  'shared-mutex': () => import('./suites/shared-mutex.js'),
  trylock: () => import('./suites/trylock.js'),
  redis: () => import('./suites/redis.js'),
  selector: () => import('./suites/selector.js'),
  'redis-semaphore': () => import('./suites/redis-semaphore.js'),
  etcd: () => import('./suites/etcd.js'),
  'etcd-read-write': () => import('./suites/etcd-read-write.js'),
  zk: () => import('./suites/zk.js'),
  postgres: () => import('./suites/postgres.js'),
  'postgres-read-write': () => import('./suites/postgres-read-write.js'),
  file: () => import('./suites/file.js'),
  'file-read-write': () => import('./suites/file-read-write.js'),
  diagnostics: () => import('./suites/diagnostics.js'),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const names = args.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !(name in suites));
  if (unknown.length > 0)
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  const selected = names.length > 0 ? names : Object.keys(suites);
  const reports: SuiteReport[] = [];
  for (const name of selected) {
    const suite = await suites[name]!();
    for (const report of await suite.run()) {
      reports.push(report);
      if (!json) {
        process.stdout.write(`\n## ${report.title}\n\n${report.text}\n`);
        for (const target of report.targets)
          process.stdout.write(
            `  target ${target.met ? 'met ' : 'MISSED'}  ${target.name}: ${target.detail}\n`,
          );
      }
    }
  }
  mkdirSync('bench-results', { recursive: true });
  writeFileSync(
    `bench-results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    JSON.stringify(reports, null, 2),
  );
  // The run joins the committed history (runs/) and the trend page is drawn again from it.
  const trend = writeTrend();
  if (json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else process.stdout.write(`\ntrend page: ${trend} (runs/ holds the newest runs; commit both)\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
