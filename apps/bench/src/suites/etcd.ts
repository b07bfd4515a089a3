// etcd locks side by side on one local etcd member (started here from the machine's binary):
// @lock/etcd against the etcd3 package's own Lock and the raw etcd operations underneath, uncontended and
// with 10 clients on one key. Ratios come from interleaved rounds of the same run. Peers and floors use
// plain `new Etcd3({ hosts })` clients (etcd3's defaults); @lock/etcd builds its own client.
// One idea in one file, over 350 lines: the suite is its contenders and rounds side by side, read as one table.
import { formatNs, formatRate, median, type SuiteReport, summarize, table } from '../harness.js';
import { type EtcdRuntime, etcdRuntime } from './etcd-runtime.js';

const UNCONTENDED_PAIRS = 20;
const UNCONTENDED_ROUNDS = 25;
const PUT_SAMPLES = 300;
const CONTENDED_CLIENTS = 10;
const CONTENDED_OPS = 20;
const CONTENDED_ROUNDS = 3;

export async function run(): Promise<SuiteReport[]> {
  const runtime = await etcdRuntime();
  const cluster = await runtime.startEtcd({ members: 1 });
  try {
    const putP50Ns = await singlePutP50(runtime, cluster.endpoints);
    const floorNs = await rawHandoffP50(runtime, cluster.endpoints);
    return [
      await uncontended(runtime, cluster.endpoints),
      await contended(runtime, cluster.endpoints, putP50Ns, floorNs),
    ];
  } finally {
    await cluster.close();
  }
}

/** p50 of one `put` (a raft write with fsync): the unit the contended target is stated in. */
async function singlePutP50(runtime: EtcdRuntime, endpoints: string[]): Promise<number> {
  const client = new runtime.Etcd3({ hosts: endpoints });
  try {
    const samples: number[] = [];
    for (let index = -20; index < PUT_SAMPLES; index++) {
      const started = process.hrtime.bigint();
      await client.put('bench/put').value('x');
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
    }
    return median(samples);
  } finally {
    client.close();
  }
}

/**
 * The raw floor of a push handoff with the same etcd operations and nothing else running: the holder deletes
 * its key, the waiter (a second client with a watch already in place) gets the event and does the one read
 * that proves ownership. p50 from the delete call to the read's answer.
 */
async function rawHandoffP50(runtime: EtcdRuntime, endpoints: string[]): Promise<number> {
  const holder = new runtime.Etcd3({ hosts: endpoints });
  const waiter = new runtime.Etcd3({ hosts: endpoints });
  const key = Buffer.from('bench-handoff-floor/holder');
  const mine = Buffer.from('bench-handoff-floor/waiter');
  const samples: number[] = [];
  try {
    await waiter.put(mine).value('');
    for (let index = -10; index < 100; index++) {
      await holder.put(key).value('');
      const watcher = await waiter.watch().key(key).create();
      const deleted = new Promise<void>((resolve) => watcher.once('delete', () => resolve()));
      const started = process.hrtime.bigint();
      await holder.kv.txn({ compare: [], success: [{ request_delete_range: { key } }], failure: [] });
      await deleted;
      await waiter.kv.txn({
        compare: [],
        success: [
          {
            request_range: {
              key: Buffer.from('bench-handoff-floor/'),
              range_end: Buffer.from('bench-handoff-floor0'),
              limit: 1,
              keys_only: true,
            },
          },
          { request_range: { key: mine, keys_only: true } },
        ],
        failure: [],
      });
      if (index >= 0) samples.push(Number(process.hrtime.bigint() - started));
      await watcher.cancel();
    }
  } finally {
    holder.close();
    waiter.close();
  }
  return median(samples);
}

const UNCONTENDED = ['@lock/etcd', 'etcd3 Lock', 'raw txn put+owner, txn delete'] as const;
type UncontendedName = (typeof UNCONTENDED)[number];

async function uncontended(runtime: EtcdRuntime, endpoints: string[]): Promise<SuiteReport> {
  const provider = new runtime.EtcdProvider({ endpoints, ttlMs: 10_000 });
  const ours = provider.lock('bench-uncontended-ours');
  const client = new runtime.Etcd3({ hosts: endpoints });
  const rawLease = await client.leaseClient.leaseGrant({ TTL: 60 });
  const rawKey = Buffer.from(`bench-uncontended-raw/${BigInt(rawLease.ID).toString(16)}`);
  const prefix = Buffer.from('bench-uncontended-raw/');
  const prefixEnd = Buffer.from('bench-uncontended-raw0');
  const pair: Record<UncontendedName, () => Promise<void>> = {
    '@lock/etcd': async () => {
      await (await ours.acquire()).release();
    },
    // etcd3's Lock grants a lease, puts the key, and revokes the lease per acquisition.
    'etcd3 Lock': async () => {
      const lock = client.lock('bench-uncontended-etcd3').ttl(10);
      await lock.acquire();
      await lock.release();
    },
    // The floor: the same two requests @lock/etcd sends, with nothing around them.
    'raw txn put+owner, txn delete': async () => {
      await client.kv.txn({
        compare: [{ key: rawKey, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [
          { request_put: { key: rawKey, value: Buffer.alloc(0), lease: rawLease.ID } },
          {
            request_range: {
              key: prefix,
              range_end: prefixEnd,
              sort_target: 'Create',
              limit: 1,
              keys_only: true,
            },
          },
        ],
        failure: [],
      });
      await client.kv.txn({ compare: [], success: [{ request_delete_range: { key: rawKey } }], failure: [] });
    },
  };
  const perPairNs = new Map<UncontendedName, number[]>(UNCONTENDED.map((name) => [name, []]));
  try {
    for (let round = -1; round < UNCONTENDED_ROUNDS; round++) {
      // Interleaved rounds so machine noise hits every contender alike; round -1 warms up.
      for (const name of UNCONTENDED) {
        const started = process.hrtime.bigint();
        for (let index = 0; index < UNCONTENDED_PAIRS; index++) await pair[name]();
        if (round >= 0)
          perPairNs.get(name)!.push(Number(process.hrtime.bigint() - started) / UNCONTENDED_PAIRS);
      }
    }
  } finally {
    await provider.close();
    await client.leaseClient.leaseRevoke({ ID: rawLease.ID }).catch(() => undefined);
    client.close();
  }
  const p50 = new Map(UNCONTENDED.map((name) => [name, median(perPairNs.get(name)!)]));
  const oursNs = p50.get('@lock/etcd')!;
  const peerNs = p50.get('etcd3 Lock')!;
  const floorNs = p50.get('raw txn put+owner, txn delete')!;
  const rows = UNCONTENDED.map((name) => [
    name,
    formatNs(p50.get(name)!),
    formatRate(1e9 / p50.get(name)!),
    `${(peerNs / p50.get(name)!).toFixed(2)}x`,
    `${(p50.get(name)! / floorNs).toFixed(2)}x`,
  ]);
  const speedup = peerNs / oursNs;
  return {
    title: 'etcd: uncontended acquire + release (1 member, sequential)',
    text: table(['lock', 'p50 per pair', 'pairs/s', 'speed vs etcd3 Lock', 'time vs raw floor'], rows),
    figures: {
      pairs: UNCONTENDED_PAIRS,
      rounds: UNCONTENDED_ROUNDS,
      p50Ns: Object.fromEntries(p50),
      speedupVsEtcd3Lock: speedup,
      overheadVsFloor: oursNs / floorNs,
    },
    targets: [
      {
        name: '@lock/etcd uncontended at least 1.8x etcd3 Lock',
        met: speedup >= 1.8,
        detail: `${speedup.toFixed(2)}x (${formatNs(oursNs)} vs ${formatNs(peerNs)}; floor ${formatNs(floorNs)})`,
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
  maxInside: number;
  retries: number;
}

/** A client of the contended run: `once()` does one acquire, critical section, release. */
type ContendedClient = {
  acquire(): Promise<{ release(): Promise<unknown> }>;
  close(): Promise<void> | void;
};

async function contendedRound(
  makeClient: (index: number) => Promise<ContendedClient>,
  retryCounter: { retries: number },
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
  };
  const handoffsNs: number[] = [];
  retryCounter.retries = 0;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      clients.map(async (client, index) => {
        for (let op = 0; op < CONTENDED_OPS; op++) {
          const lease = await client.acquire();
          const grantedAt = process.hrtime.bigint();
          // Handoff: from the previous holder's release call to this grant (includes the release's own write).
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
    maxInside: state.maxInside,
    retries: retryCounter.retries,
  };
}

async function contended(
  runtime: EtcdRuntime,
  endpoints: string[],
  putP50Ns: number,
  floorNs: number,
): Promise<SuiteReport> {
  const expected = CONTENDED_CLIENTS * CONTENDED_OPS;
  const counters = { ours: { retries: 0 }, peer: { retries: 0 } };
  let roundNumber = 0;
  const ours = async (): Promise<ContendedClient> => {
    const provider = new runtime.EtcdProvider({ endpoints, ttlMs: 10_000 });
    const lock = provider.lock(`bench-contended-ours-${roundNumber}`);
    return { acquire: () => lock.acquire(), close: () => provider.close() };
  };
  // etcd3's Lock never waits: a contender retries until its attempt succeeds (each attempt grants, puts, revokes).
  const peer = async (): Promise<ContendedClient> => {
    const client = new runtime.Etcd3({ hosts: endpoints });
    const key = `bench-contended-etcd3-${roundNumber}`;
    return {
      acquire: async () => {
        for (;;) {
          const lock = client.lock(key).ttl(10);
          try {
            await lock.acquire();
            return { release: () => lock.release() };
          } catch (error) {
            if (!(error instanceof runtime.EtcdLockFailedError)) throw error;
            counters.peer.retries += 1;
          }
        }
      },
      close: () => client.close(),
    };
  };
  const results = { ours: [] as ContendedResult[], peer: [] as ContendedResult[] };
  for (let round = 0; round < CONTENDED_ROUNDS; round++) {
    roundNumber = round;
    results.ours.push(await contendedRound(ours, counters.ours));
    results.peer.push(await contendedRound(peer, counters.peer));
  }
  const describe = (label: string, rounds: ContendedResult[]) => {
    const handoffs = summarize(rounds.flatMap((result) => result.handoffsNs));
    const opsPerSec = median(rounds.map((result) => (result.grants / result.totalMs) * 1000));
    const exact = rounds.every(
      (result) => result.counter === expected && result.grants === expected && result.maxInside === 1,
    );
    const changed =
      rounds.reduce((sum, result) => sum + result.changedHands, 0) /
      rounds.reduce((sum, result) => sum + result.grants - 1, 0);
    const retries = rounds.reduce((sum, result) => sum + result.retries, 0) / rounds.length;
    return {
      label,
      handoffs,
      opsPerSec,
      exact,
      changed,
      retries,
      counters: rounds.map((result) => result.counter),
    };
  };
  const mine = describe('@lock/etcd', results.ours);
  const theirs = describe('etcd3 Lock (retry loop)', results.peer);
  const rows = [mine, theirs].map((entry) => [
    entry.label,
    formatRate(entry.opsPerSec),
    formatNs(entry.handoffs.p50),
    formatNs(entry.handoffs.p99),
    `${(entry.handoffs.p50 / putP50Ns).toFixed(2)}x`,
    `${(entry.changed * 100).toFixed(0)}%`,
    entry.retries.toFixed(0),
    entry.exact ? `exact (${entry.counters.join(', ')})` : `WRONG (${entry.counters.join(', ')})`,
  ]);
  const handoffRatio = mine.handoffs.p50 / putP50Ns;
  return {
    title: `etcd: ${CONTENDED_CLIENTS} clients on one key, ${CONTENDED_OPS} acquisitions each (1 member)`,
    text:
      `${table(
        [
          'lock',
          'grants/s',
          'handoff p50',
          'handoff p99',
          'p50 vs put',
          'changed hands',
          'failed tries/round',
          'counter',
        ],
        rows,
      )}\nsingle put p50 in this run: ${formatNs(putP50Ns)}; raw handoff floor (delete, watch event, one read; ` +
      `nothing else running) p50: ${formatNs(floorNs)} = ${(floorNs / putP50Ns).toFixed(2)}x put` +
      `\nhandoff = the previous holder's release() call to the next grant (includes the release's own write)`,
    figures: {
      clients: CONTENDED_CLIENTS,
      opsPerClient: CONTENDED_OPS,
      rounds: CONTENDED_ROUNDS,
      putP50Ns,
      rawHandoffFloorNs: floorNs,
      ours: { ...mine, handoffs: mine.handoffs },
      etcd3Lock: { ...theirs, handoffs: theirs.handoffs },
    },
    targets: [
      {
        name: '@lock/etcd handoff p50 within 2x a single put',
        met: handoffRatio <= 2,
        detail: `${handoffRatio.toFixed(2)}x (${formatNs(mine.handoffs.p50)} vs put ${formatNs(putP50Ns)}; raw floor ${(floorNs / putP50Ns).toFixed(2)}x)`,
      },
      {
        name: 'every count exact',
        met: mine.exact && theirs.exact,
        detail: `@lock/etcd ${mine.exact ? 'exact' : 'WRONG'}, etcd3 Lock ${theirs.exact ? 'exact' : 'WRONG'} (${expected} per round)`,
      },
    ],
  };
}
