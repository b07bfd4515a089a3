// PostgreSQL advisory locks side by side on one local server (started here from the machine's binaries):
// @lock/postgres against the advisory-lock package and the raw floor (pg_try_advisory_lock +
// pg_advisory_unlock round trips on one connection), uncontended and with 10 clients on one name. Ratios come
// from interleaved rounds of the same run. The testkit's server runs with fsync=off; the token's nextval
// commits nothing of its own, so that changes little for @lock/postgres (every 32nd value logs the sequence).
import { formatNs, formatRate, median, type SuiteReport, summarize, table } from '../harness.js';
import { type PostgresRuntime, postgresRuntime } from './postgres-runtime.js';

const UNCONTENDED_PAIRS = 50;
const UNCONTENDED_ROUNDS = 15;
const ROUND_TRIP_SAMPLES = 500;
const CONTENDED_CLIENTS = 10;
const CONTENDED_OPS = 30;
const CONTENDED_ROUNDS = 3;

export async function run(): Promise<SuiteReport[]> {
  const runtime = await postgresRuntime();
  const server = await runtime.startPostgres();
  try {
    const roundTripNs = await roundTripP50(runtime, server.url);
    const floorNs = await rawHandoffP50(runtime, server.url);
    return [
      await uncontended(runtime, server.url),
      await contended(runtime, server.url, roundTripNs, floorNs),
    ];
  } finally {
    await server.close();
  }
}

/** p50 of one `SELECT 1` on an open connection: the unit the contended target is stated in. */
async function roundTripP50(runtime: PostgresRuntime, url: string): Promise<number> {
  const client = new runtime.Client({ connectionString: url });
  await client.connect();
  try {
    const samples: number[] = [];
    for (let index = -50; index < ROUND_TRIP_SAMPLES; index++) {
      const started = process.hrtime.bigint();
      await client.query('SELECT 1');
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
    }
    return median(samples);
  } finally {
    await client.end();
  }
}

/**
 * The raw floor of a server-side handoff with nothing else running: one connection holds the key, another
 * waits in `pg_advisory_lock`; p50 from the holder's `pg_advisory_unlock` call to the waiter's answer (no
 * token, no local queue).
 */
async function rawHandoffP50(runtime: PostgresRuntime, url: string): Promise<number> {
  const holder = new runtime.Client({ connectionString: url });
  const waiter = new runtime.Client({ connectionString: url });
  await Promise.all([holder.connect(), waiter.connect()]);
  const samples: number[] = [];
  try {
    for (let index = -10; index < 100; index++) {
      await holder.query('SELECT pg_advisory_lock(4343)');
      const granted = waiter.query('SELECT pg_advisory_lock(4343)');
      // Let the waiter's statement reach the server's queue before the release.
      await new Promise((resolve) => setTimeout(resolve, 2));
      const started = process.hrtime.bigint();
      await holder.query('SELECT pg_advisory_unlock(4343)');
      await granted;
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
      await waiter.query('SELECT pg_advisory_unlock(4343)');
    }
  } finally {
    await Promise.all([holder.end(), waiter.end()]);
  }
  return median(samples);
}

const UNCONTENDED = ['@lock/postgres', 'advisory-lock', 'raw try_lock + unlock'] as const;
type UncontendedName = (typeof UNCONTENDED)[number];

async function uncontended(runtime: PostgresRuntime, url: string): Promise<SuiteReport> {
  const provider = new runtime.PostgresProvider({ url });
  const ours = provider.lock('bench-uncontended-ours');
  const peer = runtime.createMutex(url)('bench-uncontended-peer');
  const raw = new runtime.Client({ connectionString: url });
  await raw.connect();
  const rawKey = '4242';
  const pair: Record<UncontendedName, () => Promise<void>> = {
    '@lock/postgres': async () => {
      await (await ours.acquire()).release();
    },
    // advisory-lock opens a connection per lock() (the lock lives on it) and ends it on unlock.
    'advisory-lock': async () => {
      const unlock = await peer.lock();
      await unlock();
    },
    // The floor: two round trips on one open connection, nothing around them (no token, no queue), as named
    // prepared statements like ours (parsed once per connection).
    'raw try_lock + unlock': async () => {
      await raw.query({
        name: 'floor_try',
        text: 'SELECT pg_try_advisory_lock($1::bigint)',
        values: [rawKey],
      });
      await raw.query({
        name: 'floor_unlock',
        text: 'SELECT pg_advisory_unlock($1::bigint)',
        values: [rawKey],
      });
    },
  };
  const perPairNs = new Map<UncontendedName, number[]>(UNCONTENDED.map((name) => [name, []]));
  try {
    for (let round = -1; round < UNCONTENDED_ROUNDS; round++) {
      // Interleaved rounds so machine noise hits every contender alike; round -1 warms up.
      for (const name of UNCONTENDED) {
        // advisory-lock pays a connection per pair: fewer pairs keep its rounds as long as the others'.
        const pairs = name === 'advisory-lock' ? 10 : UNCONTENDED_PAIRS;
        const started = process.hrtime.bigint();
        for (let index = 0; index < pairs; index++) await pair[name]();
        if (round >= 0) perPairNs.get(name)!.push(Number(process.hrtime.bigint() - started) / pairs);
      }
    }
  } finally {
    await provider.close();
    await raw.end();
  }
  const p50 = new Map(UNCONTENDED.map((name) => [name, median(perPairNs.get(name)!)]));
  const oursNs = p50.get('@lock/postgres')!;
  const peerNs = p50.get('advisory-lock')!;
  const floorNs = p50.get('raw try_lock + unlock')!;
  const rows = UNCONTENDED.map((name) => [
    name,
    formatNs(p50.get(name)!),
    formatRate(1e9 / p50.get(name)!),
    `${(peerNs / p50.get(name)!).toFixed(2)}x`,
    `${(p50.get(name)! / floorNs).toFixed(2)}x`,
  ]);
  const speedup = peerNs / oursNs;
  const overhead = oursNs / floorNs;
  return {
    title: 'postgres: uncontended acquire + release (sequential)',
    text: table(['lock', 'p50 per pair', 'pairs/s', 'speed vs advisory-lock', 'time vs raw floor'], rows),
    figures: {
      pairs: UNCONTENDED_PAIRS,
      rounds: UNCONTENDED_ROUNDS,
      p50Ns: Object.fromEntries(p50),
      speedupVsAdvisoryLock: speedup,
      overheadVsFloor: overhead,
    },
    targets: [
      {
        name: '@lock/postgres uncontended at least as fast as advisory-lock',
        met: speedup >= 1,
        detail: `${speedup.toFixed(2)}x (${formatNs(oursNs)} vs ${formatNs(peerNs)})`,
      },
      {
        name: '@lock/postgres uncontended within 1.3x of the raw floor',
        met: overhead <= 1.3,
        detail: `${overhead.toFixed(2)}x (${formatNs(oursNs)} vs floor ${formatNs(floorNs)})`,
      },
    ],
  };
}

interface ContendedResult {
  totalMs: number;
  grants: number;
  counter: number;
  handoffsNs: number[];
  changedHands: number;
  /** Grants that went to the client waiting longest (FIFO's choice). */
  fifoGrants: number;
  /** Grants made while another client waited (where FIFO had a choice to make). */
  contestedGrants: number;
  maxInside: number;
}

type ContendedClient = {
  acquire(): Promise<{ release(): Promise<unknown> }>;
  close(): Promise<void> | void;
};

async function contendedRound(
  makeClient: (index: number) => Promise<ContendedClient>,
): Promise<ContendedResult> {
  const clients = await Promise.all(
    Array.from({ length: CONTENDED_CLIENTS }, (_, index) => makeClient(index)),
  );
  const state = {
    counter: 0,
    inside: 0,
    maxInside: 0,
    lastRelease: 0n,
    lastHolder: -1,
    changedHands: 0,
    grants: 0,
    fifoGrants: 0,
    contestedGrants: 0,
  };
  // When each waiting client called acquire (0n when not waiting).
  const waitingSince = new Array<bigint>(CONTENDED_CLIENTS).fill(0n);
  const handoffsNs: number[] = [];
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      clients.map(async (client, index) => {
        for (let op = 0; op < CONTENDED_OPS; op++) {
          waitingSince[index] = process.hrtime.bigint();
          const lease = await client.acquire();
          const grantedAt = process.hrtime.bigint();
          const mine = waitingSince[index]!;
          waitingSince[index] = 0n;
          const others = waitingSince.filter((since) => since !== 0n);
          if (others.length > 0) {
            state.contestedGrants += 1;
            if (others.every((since) => since >= mine)) state.fifoGrants += 1;
          }
          // Handoff: from the previous holder's release call to this grant (includes the release's round trip).
          if (state.lastRelease !== 0n) handoffsNs.push(Number(grantedAt - state.lastRelease));
          if (state.lastHolder !== -1 && state.lastHolder !== index) state.changedHands += 1;
          state.lastHolder = index;
          state.grants += 1;
          state.inside += 1;
          state.maxInside = Math.max(state.maxInside, state.inside);
          const read = state.counter;
          await Promise.resolve();
          state.counter = read + 1;
          state.inside -= 1;
          state.lastRelease = process.hrtime.bigint();
          await lease.release();
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
  return {
    totalMs: Number(process.hrtime.bigint() - started) / 1e6,
    grants: state.grants,
    counter: state.counter,
    handoffsNs,
    changedHands: state.changedHands,
    fifoGrants: state.fifoGrants,
    contestedGrants: state.contestedGrants,
    maxInside: state.maxInside,
  };
}

async function contended(
  runtime: PostgresRuntime,
  url: string,
  roundTripNs: number,
  floorNs: number,
): Promise<SuiteReport> {
  const expected = CONTENDED_CLIENTS * CONTENDED_OPS;
  let roundNumber = 0;
  // One provider per client, as 10 processes would have: its own sessions.
  const ours = async (): Promise<ContendedClient> => {
    const provider = new runtime.PostgresProvider({ url });
    const lock = provider.lock(`bench-contended-ours-${roundNumber}`);
    return { acquire: () => lock.acquire(), close: () => provider.close() };
  };
  const peer = async (): Promise<ContendedClient> => {
    const mutex = runtime.createMutex(url)(`bench-contended-peer-${roundNumber}`);
    return {
      acquire: async () => {
        const unlock = await mutex.lock();
        return { release: () => unlock() };
      },
      close: () => undefined,
    };
  };
  const results = { ours: [] as ContendedResult[], peer: [] as ContendedResult[] };
  for (let round = 0; round < CONTENDED_ROUNDS; round++) {
    roundNumber = round;
    results.ours.push(await contendedRound(ours));
    results.peer.push(await contendedRound(peer));
  }
  const describe = (label: string, rounds: ContendedResult[]) => {
    const handoffs = summarize(rounds.flatMap((result) => result.handoffsNs));
    const opsPerSec = median(rounds.map((result) => (result.grants / result.totalMs) * 1000));
    const exact = rounds.every(
      (result) => result.counter === expected && result.grants === expected && result.maxInside === 1,
    );
    const sum = (field: 'changedHands' | 'fifoGrants' | 'contestedGrants' | 'grants') =>
      rounds.reduce((total, result) => total + result[field], 0);
    const changed = sum('changedHands') / (sum('grants') - rounds.length);
    const fifo = sum('fifoGrants') / Math.max(1, sum('contestedGrants'));
    return {
      label,
      handoffs,
      opsPerSec,
      exact,
      changed,
      fifo,
      counters: rounds.map((result) => result.counter),
    };
  };
  const mine = describe('@lock/postgres', results.ours);
  const theirs = describe('advisory-lock', results.peer);
  const rows = [mine, theirs].map((entry) => [
    entry.label,
    formatRate(entry.opsPerSec),
    formatNs(entry.handoffs.p50),
    formatNs(entry.handoffs.p99),
    `${(entry.handoffs.p50 / roundTripNs).toFixed(2)}x`,
    `${(entry.changed * 100).toFixed(0)}%`,
    `${(entry.fifo * 100).toFixed(0)}%`,
    entry.exact ? `exact (${entry.counters.join(', ')})` : `WRONG (${entry.counters.join(', ')})`,
  ]);
  const handoffRatio = mine.handoffs.p50 / roundTripNs;
  return {
    title: `postgres: ${CONTENDED_CLIENTS} clients on one name, ${CONTENDED_OPS} acquisitions each`,
    text:
      `${table(
        [
          'lock',
          'grants/s',
          'handoff p50',
          'handoff p99',
          'p50 vs round trip',
          'changed hands',
          'FIFO share',
          'counter',
        ],
        rows,
      )}\none round trip (SELECT 1) p50 in this run: ${formatNs(roundTripNs)}; raw handoff floor (unlock on one ` +
      `connection, pg_advisory_lock returning on another, nothing else) p50: ${formatNs(floorNs)} = ` +
      `${(floorNs / roundTripNs).toFixed(2)}x round trip` +
      "\nhandoff = the previous holder's release() call to the next grant (includes the release's own round trip)" +
      '\nFIFO share = grants, among those made while others waited, that went to the client waiting longest',
    figures: {
      clients: CONTENDED_CLIENTS,
      opsPerClient: CONTENDED_OPS,
      rounds: CONTENDED_ROUNDS,
      roundTripNs,
      rawHandoffFloorNs: floorNs,
      ours: mine,
      advisoryLock: theirs,
    },
    targets: [
      {
        name: '@lock/postgres handoff p50 within 2x one round trip',
        met: handoffRatio <= 2,
        detail: `${handoffRatio.toFixed(2)}x (${formatNs(mine.handoffs.p50)} vs round trip ${formatNs(roundTripNs)}; raw floor ${(floorNs / roundTripNs).toFixed(2)}x; FIFO share ${(mine.fifo * 100).toFixed(0)}%, advisory-lock ${(theirs.fifo * 100).toFixed(0)}%)`,
      },
      {
        name: 'every count exact',
        met: mine.exact && theirs.exact,
        detail: `@lock/postgres ${mine.exact ? 'exact' : 'WRONG'}, advisory-lock ${theirs.exact ? 'exact' : 'WRONG'} (${expected} per round)`,
      },
    ],
  };
}
