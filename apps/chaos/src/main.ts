// Fault-injection runs over real servers that print the safety figures (see the README).
//
//   node dist/main.js [--backend redis,etcd,zk] [--fault F0,F1,...,F10,F13] [--clients 5] [--members 3]
//                     [--operations N] [--ttl 2000] [--seed N] [--no-controls] [--attempts 5]
//                     [--json] [--keep DIR]
//
// Every cell runs clients in child processes against a guarded resource that enforces fencing; each
// cell also runs its control (a broken client that is safe without the fault and unsafe with it), which
// must stay green with the fault off and turn red with it on (within --attempts runs). Exit code 1 if any
// run does not show what it must.
import { parseArgs } from 'node:util';
import { controlFor, expectationFor, FAULTS, type Fault } from './faults.js';
import { type CellResult, type Run, rerunReason, runCell } from './run-cell.js';
import { BACKENDS, type Backend, startTopology } from './topology.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: BACKENDS.join(',') },
    fault: { type: 'string', default: Object.keys(FAULTS).join(',') },
    clients: { type: 'string', default: '5' },
    members: { type: 'string', default: '3' },
    operations: { type: 'string' },
    ttl: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    'no-controls': { type: 'boolean', default: false },
    attempts: { type: 'string', default: '5' },
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
  const members = integer('members', values.members, 1);
  if (members !== 1 && members !== 3)
    throw new Error(`--members must be 1 or 3, received ${JSON.stringify(values.members)}`);
  const operationsFor = (backend: Backend) =>
    values.operations === undefined
      ? DEFAULT_OPERATIONS[backend]
      : integer('operations', values.operations, 1);
  const ttlMs = integer('ttl', values.ttl, 2000);
  const attempts = integer('attempts', values.attempts, 1);
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer('seed', values.seed, 0);
  const results: CellResult[] = [];
  for (const backend of backends) {
    const cells = faults.filter((fault) => FAULTS[fault].expect[backend] !== undefined);
    if (cells.length === 0) continue;
    const topology = await startTopology(backend, ttlMs, clients, members);
    try {
      for (const fault of cells) {
        const { expect, because } = expectationFor(fault, backend, topology.serverVersion);
        const control = controlFor(fault, backend, expect, ttlMs);
        const runs: readonly Run[] = values['no-controls']
          ? ['correct']
          : ['correct', 'control-off', 'control-on'];
        for (const run of runs) {
          // A fault that bites by chance (a leader pause catching a holder inside its section) may leave a
          // run with nothing to show; it is run again with the next seed, up to the bound, and every
          // attempt is printed.
          for (let attempt = 1; attempt <= attempts; attempt++) {
            const result = await runCell({
              topology,
              fault,
              expect,
              because,
              control,
              run,
              clients,
              operations: operationsFor(backend),
              ttlMs,
              seed: seed + attempt - 1,
              attempt,
              keepHistory: values.keep,
            });
            const reason = attempt < attempts ? rerunReason(result) : undefined;
            const last = reason === undefined;
            if (!values.json)
              print(result, last ? undefined : `${reason}: run again with seed ${seed + attempt}`);
            if (last) {
              results.push(result);
              break;
            }
          }
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

function print(result: CellResult, retry?: string): void {
  const server = serverLabel(result);
  const run =
    result.run === 'correct'
      ? ''
      : ` CONTROL ${result.mutant}, fault ${result.run === 'control-on' ? 'on' : 'off'}`;
  const label = `${server} ${result.fault} (${FAULTS[result.fault].title})${run}`;
  const attempt = result.attempt > 1 || retry !== undefined ? `, attempt ${result.attempt}` : '';
  const outcome = retry ?? (result.passed ? 'as expected' : 'NOT AS EXPECTED');
  process.stdout.write(
    `\n## ${label}: expect ${result.expect}, ${outcome} (${result.seconds.toFixed(0)} s${attempt})\n`,
  );
  if (result.because !== undefined)
    process.stdout.write(`  expected ${result.expect} because ${result.because}\n`);
  if (result.run !== 'correct' && result.unverified !== undefined)
    process.stdout.write(`  note: unverified against the fault: ${result.unverified}\n`);
  if (
    retry === undefined &&
    !result.passed &&
    result.run === 'control-on' &&
    result.report.overlaps.count === 0 &&
    result.mutant !== 'no-lock'
  )
    process.stdout.write(
      `  note: the fault never gave two clients the lock at once in ${result.attempt} runs; the green run is unverified\n`,
    );
  if (result.expect === 'FENCED' && result.report.overlaps.count === 0)
    process.stdout.write('  note: no believed overlap in this run; the fence had no second holder to stop\n');
  process.stdout.write(
    `${result.verdict}\n  clients started: ${result.clientsStarted}; leftovers after 2 x TTL: ${result.leftovers}\n`,
  );
  if (result.faults.length > 0)
    process.stdout.write(
      `  faults: ${result.faults.length} (${[...new Set(result.faults)].slice(0, 3).join('; ')}${result.faults.length > 3 ? '; ...' : ''})\n`,
    );
}

function serverLabel(result: CellResult): string {
  const server =
    result.serverVersion === undefined ? result.backend : `${result.backend} ${result.serverVersion}`;
  return result.backend !== 'redis' && result.members === 1 ? `${server} (1 member)` : server;
}

function summary(results: CellResult[]): void {
  process.stdout.write(
    '\n| backend | fault | run | expect | violations | overlaps | stale accepted | lost updates | acquires failed | rejected reads / writes | faults | clients | seed | result |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n');
  for (const result of results) {
    const report = result.report;
    const run =
      result.run === 'correct'
        ? 'correct'
        : `${result.mutant}, fault ${result.run === 'control-on' ? 'on' : 'off'}${result.unverified === undefined ? '' : ' (unverified)'}`;
    process.stdout.write(
      `| ${serverLabel(result)} | ${result.fault} | ${run} | ${result.expect} | ${report.violations} | ${report.overlaps.count} | ${report.stale.staleAccepted} | ${report.lostUpdates.lost} | ${report.acquires.fail} | ${report.reads.fail} / ${report.writes.fail} | ${result.faults.length} | ${result.clientsStarted} | ${result.seed} | ${result.passed ? 'ok' : 'FAILED'} |\n`,
    );
  }
}

function readFileHeader(): string {
  return [
    'lock chaos: fault-injection runs over real servers',
    '',
    '  --backend redis,etcd,zk      backends to run (default: all)',
    '  --fault F0,F1,...,F10,F13    faults (see the README); each applies to the backends it fits',
    '  --clients 5                  client processes',
    '  --members 3                  etcd members / ZooKeeper servers: 3, or 1 (single-member topologies)',
    '  --operations N               critical sections per client (default: redis 200, etcd 80, zk 80)',
    '  --ttl 2000                   lease / session TTL in ms (etcd grants at least 2 s)',
    '  --seed N                     seed of the fault schedule and timings (printed in every verdict)',
    '  --no-controls                skip the controls (broken clients: green with the fault off, red with it on)',
    '  --attempts 5                 runs (next seed each) of a control that stays green with its fault on, or a FENCED run the fault did not bite',
    '  --keep DIR                   keep the NDJSON histories, one directory per run: DIR/<backend>-<fault>-<run>-seed<S>',
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
