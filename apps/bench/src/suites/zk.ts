// ZooKeeper locks on one local standalone ZooKeeper 3.8 (started here from the machine's jars): @lock/zk
// against the raw floor of the same requests on a bare `zookeeper` client, uncontended and with 10 clients
// (10 sessions) on one key. No maintained npm package offers a ZooKeeper lock recipe to compare with, so
// the comparison is against the floor. Ratios come from interleaved rounds of the same run.
import { formatNs, formatRate, median, type SuiteReport, summarize, table } from '../harness.js';
import { rawClient, type ZkRuntime, zkRuntime } from './zk-runtime.js';

const UNCONTENDED_PAIRS = 20;
const UNCONTENDED_ROUNDS = 25;
const CREATE_SAMPLES = 300;
const CONTENDED_CLIENTS = 10;
const CONTENDED_OPS = 20;
const CONTENDED_ROUNDS = 3;
const EPHEMERAL_SEQUENTIAL = 3;
const PERSISTENT = 0;

export async function run(): Promise<SuiteReport[]> {
  const runtime = await zkRuntime();
  const servers = await runtime.startZooKeeper({ servers: 1 });
  try {
    const createP50Ns = await singleCreateP50(runtime, servers.connectionString);
    const floorNs = await rawHandoffP50(runtime, servers.connectionString);
    return [
      await uncontended(runtime, servers.connectionString),
      await contended(runtime, servers.connectionString, createP50Ns, floorNs),
    ];
  } finally {
    await servers.close();
  }
}

/** p50 of one ephemeral-sequential `create` (a logged, fsynced write): the unit of the contended target. */
async function singleCreateP50(runtime: ZkRuntime, connectionString: string): Promise<number> {
  const client = await rawClient(runtime, connectionString);
  try {
    await client.create('/bench-create', PERSISTENT);
    const samples: number[] = [];
    for (let index = -20; index < CREATE_SAMPLES; index++) {
      const started = process.hrtime.bigint();
      const path = await client.create('/bench-create/n-', EPHEMERAL_SEQUENTIAL);
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
      await client.delete(path);
    }
    return median(samples);
  } finally {
    await client.close();
  }
}

/**
 * The raw floor of a push handoff with nothing else running: the holder deletes its node, and a second
 * session whose data watch on that node is already in place hears of it. p50 from the delete call to the
 * watch event (no listing afterwards: a waiter whose only predecessor is gone owns the lock).
 */
async function rawHandoffP50(runtime: ZkRuntime, connectionString: string): Promise<number> {
  const holder = await rawClient(runtime, connectionString);
  const waiter = await rawClient(runtime, connectionString);
  const samples: number[] = [];
  try {
    await holder.create('/bench-handoff', PERSISTENT);
    for (let index = -10; index < 100; index++) {
      const path = await holder.create('/bench-handoff/lock-', EPHEMERAL_SEQUENTIAL);
      const { event } = await waiter.watch(path);
      const started = process.hrtime.bigint();
      await Promise.all([holder.delete(path), event]);
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
    }
  } finally {
    await holder.close();
    await waiter.close();
  }
  return median(samples);
}

const UNCONTENDED = ['@lock/zk', 'raw create + getChildren + delete'] as const;
type UncontendedName = (typeof UNCONTENDED)[number];

async function uncontended(runtime: ZkRuntime, connectionString: string): Promise<SuiteReport> {
  const provider = new runtime.ZooKeeperProvider({ connectionString });
  const ours = provider.lock('bench-uncontended-ours');
  const client = await rawClient(runtime, connectionString);
  await client.create('/bench-raw', PERSISTENT);
  const pair: Record<UncontendedName, () => Promise<void>> = {
    '@lock/zk': async () => {
      await (await ours.acquire()).release();
    },
    // The floor: the three requests of the textbook recipe with nothing around them (no GUID lookup, no
    // token read, no session bookkeeping).
    'raw create + getChildren + delete': async () => {
      const path = await client.create('/bench-raw/lock-', EPHEMERAL_SEQUENTIAL);
      await client.getChildren('/bench-raw');
      await client.delete(path);
    },
  };
  const perPairNs = new Map<UncontendedName, number[]>(UNCONTENDED.map((name) => [name, []]));
  try {
    for (let round = -1; round < UNCONTENDED_ROUNDS; round++) {
      // Interleaved rounds so machine noise hits both alike; round -1 warms up (and creates the parent).
      for (const name of UNCONTENDED) {
        const started = process.hrtime.bigint();
        for (let index = 0; index < UNCONTENDED_PAIRS; index++) await pair[name]();
        if (round >= 0)
          perPairNs.get(name)!.push(Number(process.hrtime.bigint() - started) / UNCONTENDED_PAIRS);
      }
    }
  } finally {
    await provider.close();
    await client.close();
  }
  const p50 = new Map(UNCONTENDED.map((name) => [name, median(perPairNs.get(name)!)]));
  const oursNs = p50.get('@lock/zk')!;
  const floorNs = p50.get('raw create + getChildren + delete')!;
  const overhead = oursNs / floorNs;
  const rows = UNCONTENDED.map((name) => [
    name,
    formatNs(p50.get(name)!),
    formatRate(1e9 / p50.get(name)!),
    `${(p50.get(name)! / floorNs).toFixed(2)}x`,
  ]);
  return {
    title: 'zk: uncontended acquire + release (standalone, sequential)',
    text: table(['lock', 'p50 per pair', 'pairs/s', 'time vs raw floor'], rows),
    figures: {
      pairs: UNCONTENDED_PAIRS,
      rounds: UNCONTENDED_ROUNDS,
      p50Ns: Object.fromEntries(p50),
      overheadVsFloor: overhead,
    },
    targets: [
      {
        name: '@lock/zk uncontended within 1.3x of the raw create + getChildren + delete floor',
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
  releasesNs: number[];
  changedHands: number;
  maxInside: number;
  tokensIncreasing: boolean;
}

async function contendedRound(
  runtime: ZkRuntime,
  connectionString: string,
  round: number,
): Promise<ContendedResult> {
  const providers = Array.from(
    { length: CONTENDED_CLIENTS },
    () => new runtime.ZooKeeperProvider({ connectionString }),
  );
  // Connect every session first so the round measures locking, not session setup.
  await Promise.all(providers.map((provider) => provider.session()));
  const locks = providers.map((provider) => provider.lock(`bench-contended-${round}`));
  const state = {
    counter: 0,
    inside: 0,
    maxInside: 0,
    lastRelease: 0n,
    lastHolder: -1,
    changedHands: 0,
    grants: 0,
    lastToken: -1n,
    tokensIncreasing: true,
  };
  const handoffsNs: number[] = [];
  const releasesNs: number[] = [];
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      locks.map(async (lock, index) => {
        for (let op = 0; op < CONTENDED_OPS; op++) {
          const lease = await lock.acquire();
          const grantedAt = process.hrtime.bigint();
          // Handoff: from the previous holder's release call to this grant (includes the release's delete).
          if (state.lastRelease !== 0n) handoffsNs.push(Number(grantedAt - state.lastRelease));
          if (state.lastHolder !== -1 && state.lastHolder !== index) state.changedHands += 1;
          if (lease.token <= state.lastToken) state.tokensIncreasing = false;
          state.lastToken = lease.token;
          state.lastHolder = index;
          state.grants += 1;
          state.inside += 1;
          state.maxInside = Math.max(state.maxInside, state.inside);
          const read = state.counter;
          await Promise.resolve();
          state.counter = read + 1;
          state.inside -= 1;
          const releasing = process.hrtime.bigint();
          state.lastRelease = releasing;
          await lease.release();
          releasesNs.push(Number(process.hrtime.bigint() - releasing));
        }
      }),
    );
  } finally {
    await Promise.all(providers.map((provider) => provider.close()));
  }
  return {
    totalMs: Number(process.hrtime.bigint() - started) / 1e6,
    grants: state.grants,
    counter: state.counter,
    handoffsNs,
    releasesNs,
    changedHands: state.changedHands,
    maxInside: state.maxInside,
    tokensIncreasing: state.tokensIncreasing,
  };
}

async function contended(
  runtime: ZkRuntime,
  connectionString: string,
  createP50Ns: number,
  floorNs: number,
): Promise<SuiteReport> {
  const expected = CONTENDED_CLIENTS * CONTENDED_OPS;
  const rounds: ContendedResult[] = [];
  for (let round = 0; round < CONTENDED_ROUNDS; round++)
    rounds.push(await contendedRound(runtime, connectionString, round));
  const handoffs = summarize(rounds.flatMap((result) => result.handoffsNs));
  // The holder's own delete under the same load: the part of a handoff that is the server's write.
  const releases = summarize(rounds.flatMap((result) => result.releasesNs));
  const opsPerSec = median(rounds.map((result) => (result.grants / result.totalMs) * 1000));
  const exact = rounds.every(
    (result) =>
      result.counter === expected &&
      result.grants === expected &&
      result.maxInside === 1 &&
      result.tokensIncreasing,
  );
  const changed =
    rounds.reduce((sum, result) => sum + result.changedHands, 0) /
    rounds.reduce((sum, result) => sum + result.grants - 1, 0);
  const handoffRatio = handoffs.p50 / createP50Ns;
  const counters = rounds.map((result) => result.counter).join(', ');
  return {
    title: `zk: ${CONTENDED_CLIENTS} clients (sessions) on one key, ${CONTENDED_OPS} acquisitions each (standalone)`,
    text:
      `${table(
        [
          'lock',
          'grants/s',
          'handoff p50',
          'handoff p99',
          'handoff p50 / create p50',
          'changed hands',
          'counts',
        ],
        [
          [
            '@lock/zk',
            formatRate(opsPerSec),
            formatNs(handoffs.p50),
            formatNs(handoffs.p99),
            `${handoffRatio.toFixed(2)}x`,
            `${(changed * 100).toFixed(0)}%`,
            exact ? `exact (${counters})` : `WRONG (${counters})`,
          ],
        ],
      )}\n` +
      `one ephemeral-sequential create p50 (raw client, same run): ${formatNs(createP50Ns)}\n` +
      `release (the holder's delete) under the same contention, p50: ${formatNs(releases.p50)}\n` +
      `raw handoff floor p50 (delete -> watch event on a second session, nothing else running): ${formatNs(floorNs)} = ${(floorNs / createP50Ns).toFixed(2)}x create`,
    figures: {
      clients: CONTENDED_CLIENTS,
      opsPerClient: CONTENDED_OPS,
      rounds: CONTENDED_ROUNDS,
      createP50Ns,
      rawHandoffFloorNs: floorNs,
      releaseUnderContentionNs: releases,
      handoffNs: handoffs,
      opsPerSec,
      changedHands: changed,
      exact,
      counters: rounds.map((result) => result.counter),
    },
    targets: [
      {
        name: 'handoff p50 within 2x of one create p50',
        met: handoffRatio <= 2,
        detail: `${handoffRatio.toFixed(2)}x (${formatNs(handoffs.p50)} vs create ${formatNs(createP50Ns)})`,
      },
      {
        name: 'every count exact, one holder at a time, tokens increasing',
        met: exact,
        detail: `counters ${counters} of ${expected}; max inside ${Math.max(...rounds.map((result) => result.maxInside))}`,
      },
    ],
  };
}
