// Fault-injection runs over real servers that print the safety figures (RELIABILITY.md, section 2).
//
//   node dist/main.js [--backend redis,etcd,zk] [--fault F0,F2,F3,F8,F9,F10] [--clients 5]
//                     [--operations N] [--ttl 2000] [--seed N] [--no-mutants] [--json] [--keep DIR]
//
// Every cell runs clients in child processes against a guarded resource that enforces fencing; each
// cell is also run as a mutant (no lock for SAFE cells, fencing off for FENCED ones), which must turn red. Exit code 1 if any cell does
// not show what it must.
import { parseArgs } from 'node:util';
import { FAULTS, type Fault, mutantFor } from './faults.js';
import { type CellResult, runCell } from './run-cell.js';
import { BACKENDS, type Backend, startTopology } from './topology.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: BACKENDS.join(',') },
    fault: { type: 'string', default: Object.keys(FAULTS).join(',') },
    clients: { type: 'string', default: '5' },
    operations: { type: 'string' },
    ttl: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    'no-mutants': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    keep: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

/** Critical sections per client: enough for several faults per cell at each backend's speed. */
const DEFAULT_OPERATIONS: Record<Backend, number> = { redis: 200, etcd: 80, zk: 80 };

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be an integer >= ${min}, received ${JSON.stringify(text)}`);
  return value;
}

function list<T extends string>(name: string, text: string, known: readonly T[]): T[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  const unknown = items.filter((item) => !known.includes(item as T));
  if (unknown.length > 0)
    throw new Error(`--${name}: unknown ${unknown.join(', ')}; known: ${known.join(', ')}`);
  return items as T[];
}

async function main(): Promise<number> {
  if (values.help) {
    process.stdout.write(`${readFileHeader()}\n`);
    return 0;
  }
  const backends = list<Backend>('backend', values.backend, BACKENDS);
  const faults = list<Fault>('fault', values.fault, Object.keys(FAULTS) as Fault[]);
  const clients = integer('clients', values.clients, 2);
  const operationsFor = (backend: Backend) =>
    values.operations === undefined
      ? DEFAULT_OPERATIONS[backend]
      : integer('operations', values.operations, 1);
  const ttlMs = integer('ttl', values.ttl, 2000);
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer('seed', values.seed, 0);
  const results: CellResult[] = [];
  for (const backend of backends) {
    const cells = faults.filter((fault) => FAULTS[fault].expect[backend] !== undefined);
    if (cells.length === 0) continue;
    const topology = await startTopology(backend, ttlMs);
    try {
      for (const fault of cells) {
        const expect = FAULTS[fault].expect[backend]!;
        const mutants = values['no-mutants'] ? (['none'] as const) : (['none', mutantFor(expect)] as const);
        for (const mutant of mutants) {
          const operations = operationsFor(backend);
          const result = await runCell({
            topology,
            fault,
            expect,
            mutant,
            clients,
            operations,
            ttlMs,
            seed,
            keepHistory: values.keep,
          });
          results.push(result);
          if (!values.json) print(result);
        }
      }
    } finally {
      await topology.close();
    }
  }
  if (values.json)
    process.stdout.write(
      `${JSON.stringify(results, (_, value) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`,
    );
  else summary(results);
  return results.every((result) => result.passed) ? 0 : 1;
}

function print(result: CellResult): void {
  const label = `${result.backend} ${result.fault} (${FAULTS[result.fault].title})${result.mutant === 'none' ? '' : ` MUTANT ${result.mutant}`}`;
  process.stdout.write(
    `\n## ${label}: expect ${result.expect}, ${result.passed ? 'as expected' : 'NOT AS EXPECTED'} (${result.seconds.toFixed(0)} s)\n`,
  );
  process.stdout.write(`${result.verdict}\n  leftovers after 2 x TTL: ${result.leftovers}\n`);
  if (result.faults.length > 0)
    process.stdout.write(
      `  faults: ${result.faults.length} (${[...new Set(result.faults)].slice(0, 3).join('; ')}${result.faults.length > 3 ? '; ...' : ''})\n`,
    );
}

function summary(results: CellResult[]): void {
  process.stdout.write(
    '\n| backend | fault | run | expect | violations | overlaps | stale accepted | lost updates | rejected by fence | faults | result |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const result of results) {
    const report = result.report;
    process.stdout.write(
      `| ${result.backend} | ${result.fault} | ${result.mutant === 'none' ? 'correct' : `mutant: ${result.mutant}`} | ${result.expect} | ${report.violations} | ${report.overlaps.count} | ${report.stale.staleAccepted} | ${report.lostUpdates.lost} | ${report.writes.fail} | ${result.faults.length} | ${result.passed ? 'ok' : 'FAILED'} |\n`,
    );
  }
}

function readFileHeader(): string {
  return [
    'lock chaos: fault-injection runs over real servers',
    '',
    '  --backend redis,etcd,zk      backends to run (default: all)',
    '  --fault F0,F2,F3,F8,F9,F10   faults (RELIABILITY.md 2.2); each applies to the backends it fits',
    '  --clients 5                  client processes',
    '  --operations N               critical sections per client (default: redis 200, etcd 80, zk 80)',
    '  --ttl 2000                   lease / session TTL in ms (etcd grants at least 2 s)',
    '  --seed N                     seed of the fault schedule and timings (printed in every verdict)',
    '  --no-mutants                 skip the broken runs (no lock / fencing off) that must turn red',
    '  --keep DIR                   keep the NDJSON histories in DIR',
    '  --json                       print the results as JSON',
  ].join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
