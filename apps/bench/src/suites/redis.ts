// Redis locks side by side on one local redis-server (started here from the machine's binary):
// @lock/redis against redis-semaphore and redlock (single instance), uncontended and on one contended key.
import { formatNs, formatRate, median, type SuiteReport, table } from '../harness.js';
import { runContended } from './redis-contended.js';
import {
  type BenchLock,
  CONTENDERS,
  type CommandCounter,
  type ContenderName,
  makeLock,
} from './redis-contenders.js';
import { redisRuntime } from './redis-runtime.js';

const UNCONTENDED_PAIRS = 500;
const UNCONTENDED_ROUNDS = 9;
const CONTENDED_CLIENTS = 10;
const CONTENDED_OPS = 100;
const CONTENDED_ROUNDS = 5;

export async function run(): Promise<SuiteReport[]> {
  const server = await (await redisRuntime()).startRedis();
  try {
    // LOCK_BENCH_REDIS_PART=uncontended|contended runs one half only (for quick iterations).
    const part = process.env.LOCK_BENCH_REDIS_PART;
    const reports: SuiteReport[] = [];
    if (part !== 'contended') reports.push(await uncontended(server.url));
    if (part !== 'uncontended') reports.push(await contended(server.url));
    return reports;
  } finally {
    await server.close();
  }
}

async function uncontended(url: string): Promise<SuiteReport> {
  const counters = new Map<ContenderName, CommandCounter>();
  const locks = new Map<ContenderName, BenchLock>();
  for (const name of CONTENDERS) {
    const counter = { sent: 0 };
    counters.set(name, counter);
    locks.set(name, await makeLock(name, url, `bench:uncontended:${name}`, counter));
  }
  const perPairNs = new Map<ContenderName, number[]>(CONTENDERS.map((name) => [name, []]));
  const commands = new Map<ContenderName, number>(CONTENDERS.map((name) => [name, 0]));
  try {
    for (let round = -1; round < UNCONTENDED_ROUNDS; round += 1) {
      // Interleaved rounds, so machine noise hits every contender alike; round -1 warms up.
      for (const name of CONTENDERS) {
        const lock = locks.get(name)!;
        const counter = counters.get(name)!;
        const sentBefore = counter.sent;
        const started = process.hrtime.bigint();
        for (let pair = 0; pair < UNCONTENDED_PAIRS; pair += 1) await (await lock.acquire()).release();
        const elapsed = Number(process.hrtime.bigint() - started);
        if (round < 0) continue;
        perPairNs.get(name)!.push(elapsed / UNCONTENDED_PAIRS);
        commands.set(name, commands.get(name)! + (counter.sent - sentBefore));
      }
    }
  } finally {
    for (const lock of locks.values()) await lock.close();
  }
  const p50 = new Map(CONTENDERS.map((name) => [name, median(perPairNs.get(name)!)]));
  const fasterPeer = Math.min(p50.get('redlock')!, p50.get('redis-semaphore')!);
  const ours = p50.get('@lock/redis')!;
  const rows = CONTENDERS.map((name) => [
    name,
    formatNs(p50.get(name)!),
    formatRate(1e9 / p50.get(name)!),
    `${(fasterPeer / p50.get(name)!).toFixed(2)}x`,
    (commands.get(name)! / (UNCONTENDED_PAIRS * UNCONTENDED_ROUNDS)).toFixed(2),
  ]);
  return {
    title: 'redis: uncontended acquire + release (one client, sequential)',
    text: table(['lock', 'median per pair', 'pairs/s', 'speed vs faster peer', 'commands/acquisition'], rows),
    figures: {
      medianNsPerPair: Object.fromEntries(p50),
      commandsPerAcquisition: Object.fromEntries(
        CONTENDERS.map((name) => [name, commands.get(name)! / (UNCONTENDED_PAIRS * UNCONTENDED_ROUNDS)]),
      ),
      rounds: UNCONTENDED_ROUNDS,
      pairsPerRound: UNCONTENDED_PAIRS,
    },
    targets: [
      {
        name: 'uncontended acquire+release at least as fast as the faster peer',
        met: ours <= fasterPeer,
        detail: `${formatNs(ours)} vs ${formatNs(fasterPeer)} (${(fasterPeer / ours).toFixed(2)}x)`,
      },
    ],
  };
}

async function contended(url: string): Promise<SuiteReport> {
  const runs = new Map<ContenderName, Awaited<ReturnType<typeof runContended>>[]>(
    CONTENDERS.map((name) => [name, []]),
  );
  for (let round = 0; round < CONTENDED_ROUNDS; round += 1) {
    for (const name of CONTENDERS)
      runs.get(name)!.push(await runContended(name, url, CONTENDED_CLIENTS, CONTENDED_OPS, round));
  }
  const med = (name: ContenderName, pick: (run: Awaited<ReturnType<typeof runContended>>) => number) =>
    median(runs.get(name)!.map(pick));
  const figures = Object.fromEntries(
    CONTENDERS.map((name) => [
      name,
      {
        opsPerSec: med(name, (r) => r.opsPerSec),
        waitP50Ms: med(name, (r) => r.waitP50Ms),
        waitP99Ms: med(name, (r) => r.waitP99Ms),
        handoffShare: med(name, (r) => r.handoffShare),
        commandsPerAcquisition: med(name, (r) => r.commandsPerAcquisition),
        clientCpuPerGrantUs: med(name, (r) => r.clientCpuPerGrantUs),
        serverCpuPerGrantUs: med(name, (r) => r.serverCpuPerGrantUs),
        allExact: runs.get(name)!.every((r) => r.exact),
        finalCounts: runs.get(name)!.map((r) => r.finalCount),
      },
    ]),
  ) as Record<
    ContenderName,
    {
      opsPerSec: number;
      waitP50Ms: number;
      waitP99Ms: number;
      handoffShare: number;
      commandsPerAcquisition: number;
      clientCpuPerGrantUs: number;
      serverCpuPerGrantUs: number;
      allExact: boolean;
      finalCounts: number[];
    }
  >;
  const peers: ContenderName[] = ['redis-semaphore', 'redlock'];
  const fasterPeer = peers.reduce((best, name) =>
    figures[name].opsPerSec > figures[best].opsPerSec ? name : best,
  );
  const ours = figures['@lock/redis'];
  const peer = figures[fasterPeer];
  const rows = CONTENDERS.map((name) => {
    const f = figures[name];
    return [
      name,
      formatRate(f.opsPerSec),
      `${(f.opsPerSec / peer.opsPerSec).toFixed(2)}x`,
      `${f.waitP50Ms.toFixed(1)} ms`,
      `${f.waitP99Ms.toFixed(1)} ms`,
      `${(f.handoffShare * 100).toFixed(0)}%`,
      f.commandsPerAcquisition.toFixed(2),
      `${f.clientCpuPerGrantUs.toFixed(0)} + ${f.serverCpuPerGrantUs.toFixed(0)} µs`,
      f.allExact ? `exact (${f.finalCounts.join(', ')})` : `WRONG (${f.finalCounts.join(', ')})`,
    ];
  });
  const minPeerP99 = Math.min(...peers.map((name) => figures[name].waitP99Ms));
  return {
    title: `redis: one key, ${CONTENDED_CLIENTS} client processes x ${CONTENDED_OPS} acquire/increment/release (median of ${CONTENDED_ROUNDS} rounds)`,
    text: table(
      [
        'lock',
        'throughput',
        `vs ${fasterPeer}`,
        'wait p50',
        'wait p99',
        'grants changing hands',
        'commands/acquisition',
        'CPU/grant (clients + redis)',
        'count',
      ],
      rows,
    ),
    figures: {
      ...figures,
      fasterPeer,
      clients: CONTENDED_CLIENTS,
      opsPerClient: CONTENDED_OPS,
      rounds: CONTENDED_ROUNDS,
    },
    targets: [
      {
        name: 'FIFO: at least 80% of consecutive grants go to a different client',
        met: ours.handoffShare >= 0.8,
        detail: `${(ours.handoffShare * 100).toFixed(1)}%`,
      },
      {
        name: 'p99 wait at most half the faster peer',
        met: ours.waitP99Ms <= peer.waitP99Ms / 2,
        detail: `${ours.waitP99Ms.toFixed(1)} ms vs ${fasterPeer} ${peer.waitP99Ms.toFixed(1)} ms (best peer p99 ${minPeerP99.toFixed(1)} ms)`,
      },
      {
        name: 'throughput at least the faster peer',
        met: ours.opsPerSec >= peer.opsPerSec,
        detail: `${formatRate(ours.opsPerSec)} vs ${fasterPeer} ${formatRate(peer.opsPerSec)} (${(ours.opsPerSec / peer.opsPerSec).toFixed(2)}x)`,
      },
      {
        name: 'every count exact',
        met: CONTENDERS.every((name) => figures[name].allExact),
        detail: CONTENDERS.map((name) => `${name} ${figures[name].finalCounts.join('/')}`).join('; '),
      },
    ],
  };
}
