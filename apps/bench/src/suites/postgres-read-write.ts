// PostgreSQL read-write lock suite: the readers' throughput of @lock/postgres's read-write lock with 1 write in 10,
// 10 clients (one provider, so its own sessions, each) on one name, against the same operations on the
// exclusive lock, where every read excludes the others. Rounds alternate (read-write, exclusive, ...) on one
// local PostgreSQL started here from the machine's binaries (shared advisory locks for the readers).
import { formatRate, median, type SuiteReport, table } from '../harness.js';
import { type PostgresRuntime, postgresRuntime } from './postgres-runtime.js';

const CLIENTS = 10;
const WRITE_EVERY = 10;
const OPS = Number(process.env.LOCK_BENCH_POSTGRES_RW_OPS ?? 30);
const ROUNDS = Number(process.env.LOCK_BENCH_POSTGRES_RW_ROUNDS ?? 3);
const HOLD_MS = 2;
const TTL_MS = 10_000;

type Contender = 'read-write' | 'exclusive';

/** Figures of one run of the clients. */
interface Run {
  elapsedMs: number;
  grants: number;
  reads: number;
  readsPerSec: number;
  opsPerSec: number;
  waitP99Ms: number;
  /** Most readers seen holding at once. */
  maxReaders: number;
}

export async function run(): Promise<SuiteReport[]> {
  const runtime = await postgresRuntime();
  const server = await runtime.startPostgres();
  try {
    return [await readWrite(runtime, server.url)];
  } finally {
    await server.close();
  }
}

async function readWrite(runtime: PostgresRuntime, url: string): Promise<SuiteReport> {
  const runs: Record<Contender, Run[]> = { 'read-write': [], exclusive: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const contender of ['read-write', 'exclusive'] as const) {
      runs[contender].push(await clients(runtime, url, contender, `bench-rw-${contender}-${round}`));
    }
  }
  const of = (contender: Contender, pick: (run: Run) => number) => median(runs[contender].map(pick));
  const figures = (contender: Contender) => ({
    readsPerSec: of(contender, (run) => run.readsPerSec),
    opsPerSec: of(contender, (run) => run.opsPerSec),
    waitP99Ms: of(contender, (run) => run.waitP99Ms),
    maxReaders: of(contender, (run) => run.maxReaders),
  });
  const shared = figures('read-write');
  const exclusive = figures('exclusive');
  const row = (label: string, figure: typeof shared) => [
    label,
    formatRate(figure.readsPerSec),
    formatRate(figure.opsPerSec),
    `${figure.waitP99Ms.toFixed(1)} ms`,
    figure.maxReaders,
  ];
  return {
    title: `postgres read-write lock: ${CLIENTS} clients (a provider each), 1 write in ${WRITE_EVERY}, ${HOLD_MS} ms held, ${OPS} grants each (median of ${ROUNDS} alternating rounds)`,
    text: table(
      ['lock', 'reads/s', 'grants/s', 'wait p99', 'most readers at once'],
      [row('read-write lock', shared), row('exclusive lock', exclusive)],
    ),
    figures: { readWrite: shared, exclusive, runs },
    targets: [
      {
        name: 'readers share: reads/s above the exclusive lock doing the same operations',
        met: shared.readsPerSec > exclusive.readsPerSec,
        detail: `${formatRate(shared.readsPerSec)} vs ${formatRate(exclusive.readsPerSec)} (${(shared.readsPerSec / exclusive.readsPerSec).toFixed(2)}x)`,
      },
    ],
  };
}

/** `CLIENTS` providers take `OPS` grants each on `name`: op `i` of client `c` writes when `(c + i) % 10 === 0`. */
async function clients(
  runtime: PostgresRuntime,
  url: string,
  contender: Contender,
  name: string,
): Promise<Run> {
  const providers = Array.from(
    { length: CLIENTS },
    () => new runtime.PostgresProvider({ url, ttlMs: TTL_MS }),
  );
  try {
    // Open every session before the clock starts.
    await Promise.all(
      providers.map(async (provider) => (await provider.lock(`${name}-warm`).acquire()).release()),
    );
    const waitsMs: number[] = [];
    let reads = 0;
    let readers = 0;
    let maxReaders = 0;
    const started = performance.now();
    await Promise.all(
      providers.map(async (provider, client) => {
        const rw = provider.readWriteLock(name);
        const exclusive = provider.lock(name);
        for (let op = 0; op < OPS; op += 1) {
          const writes = (client + op) % WRITE_EVERY === 0;
          const lock = contender === 'exclusive' ? exclusive : writes ? rw.write : rw.read;
          const asked = performance.now();
          const lease = await lock.acquire();
          waitsMs.push(performance.now() - asked);
          if (!writes) {
            reads += 1;
            readers += 1;
            maxReaders = Math.max(maxReaders, readers);
          }
          await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
          if (!writes) readers -= 1;
          await lease.release();
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const sorted = waitsMs.sort((a, b) => a - b);
    return {
      elapsedMs,
      grants: sorted.length,
      reads,
      readsPerSec: (reads * 1000) / elapsedMs,
      opsPerSec: (sorted.length * 1000) / elapsedMs,
      waitP99Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0,
      maxReaders,
    };
  } finally {
    await Promise.all(providers.map((provider) => provider.close()));
  }
}
