// Host-wide file locks: @lock/file against proper-lockfile 4.1.2 (mkdir plus an mtime heartbeat, the usual Node
// choice) and the raw floor of the same kernel calls, in one run: uncontended acquire + release in interleaved
// rounds, a handoff between processes, and the time from kill -9 of a holder to the next grant.
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatNs, formatRate, median, type SuiteReport, table } from '../harness.js';
import { type HandoffResult, handoff, killToGrant } from './file-processes.js';
import { type FileRuntime, fileRuntime } from './file-runtime.js';

const ROUNDS = 15;
const OURS_PAIRS = 2_000;
const PEER_PAIRS = 40;
const HANDOFF_PROCESSES = 4;
const HANDOFF_OPS = { '@lock/file': 300, 'proper-lockfile': 25 } as const;
const KILL_SAMPLES = { '@lock/file': 10, 'proper-lockfile': 2 } as const;

export async function run(): Promise<SuiteReport[]> {
  const runtime = await fileRuntime();
  const root = mkdtempSync(join(tmpdir(), 'lock-bench-file-'));
  const directory = join(root, 'locks');
  mkdirSync(directory, { mode: 0o700 });
  const target = join(root, 'proper-lockfile-target');
  writeFileSync(target, '');
  try {
    const uncontendedReport = await uncontended(runtime, directory, target);
    const place = { directory, target };
    const handoffs = {
      '@lock/file': await handoff(
        runtime,
        '@lock/file',
        place,
        HANDOFF_PROCESSES,
        HANDOFF_OPS['@lock/file'],
        'handoff',
      ),
      'proper-lockfile': await handoff(
        runtime,
        'proper-lockfile',
        place,
        HANDOFF_PROCESSES,
        HANDOFF_OPS['proper-lockfile'],
        'handoff',
      ),
    };
    const kills = {
      '@lock/file': await killToGrant(runtime, '@lock/file', place, KILL_SAMPLES['@lock/file'], 'killed'),
      'proper-lockfile': await killToGrant(
        runtime,
        'proper-lockfile',
        place,
        KILL_SAMPLES['proper-lockfile'],
        'killed',
      ),
    };
    return [uncontendedReport, processesReport(handoffs, kills)];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const UNCONTENDED = [
  '@lock/file',
  'raw floor: tryLock + token read/write + unlock',
  'raw floor + path check (stat)',
  'proper-lockfile',
] as const;
type UncontendedName = (typeof UNCONTENDED)[number];

async function uncontended(runtime: FileRuntime, directory: string, target: string): Promise<SuiteReport> {
  const provider = new runtime.FileProvider({ directory });
  const lock = provider.lock('bench-uncontended');
  const rawPath = join(directory, 'raw-floor.lock');
  const fd = openSync(rawPath, 'w+', 0o600);
  const header = Buffer.alloc(12);
  // The floor: the kernel calls of one grant and nothing else (the token read and written back with the pid).
  const floorPair = (checkPath: boolean) => {
    runtime.raw.tryLock(fd);
    if (checkPath) statSync(rawPath);
    readSync(fd, header, 0, 8, 0);
    header.writeBigUInt64LE(header.readBigUInt64LE(0) + 1n, 0);
    writeSync(fd, header, 0, 12, 0);
    runtime.raw.unlock(fd);
  };
  const batch: Record<UncontendedName, [number, () => Promise<void> | void]> = {
    '@lock/file': [
      OURS_PAIRS,
      async () => {
        for (let index = 0; index < OURS_PAIRS; index++) await (await lock.acquire()).release();
      },
    ],
    'raw floor: tryLock + token read/write + unlock': [
      OURS_PAIRS,
      async () => {
        for (let index = 0; index < OURS_PAIRS; index++) await floorPair(false);
      },
    ],
    'raw floor + path check (stat)': [
      OURS_PAIRS,
      async () => {
        for (let index = 0; index < OURS_PAIRS; index++) await floorPair(true);
      },
    ],
    'proper-lockfile': [
      PEER_PAIRS,
      async () => {
        for (let index = 0; index < PEER_PAIRS; index++)
          await (await runtime.lockfile.lock(target, { realpath: false }))();
      },
    ],
  };
  const perPairNs = new Map<UncontendedName, number[]>(UNCONTENDED.map((name) => [name, []]));
  try {
    for (let round = -2; round < ROUNDS; round++) {
      for (const name of UNCONTENDED) {
        const [pairs, run] = batch[name];
        const started = process.hrtime.bigint();
        await run();
        if (round >= 0) perPairNs.get(name)!.push(Number(process.hrtime.bigint() - started) / pairs);
      }
    }
  } finally {
    closeSync(fd);
    await provider.close();
  }
  const p50 = new Map(UNCONTENDED.map((name) => [name, median(perPairNs.get(name)!)]));
  const oursNs = p50.get('@lock/file')!;
  const floorNs = p50.get('raw floor: tryLock + token read/write + unlock')!;
  const peerNs = p50.get('proper-lockfile')!;
  const rows = UNCONTENDED.map((name) => [
    name,
    formatNs(p50.get(name)!),
    formatRate(1e9 / p50.get(name)!),
    `${(p50.get(name)! / floorNs).toFixed(2)}x`,
    `${(peerNs / p50.get(name)!).toFixed(1)}x`,
  ]);
  return {
    title: 'file: uncontended acquire + release (one process, sequential)',
    text: table(['lock', 'p50 per pair', 'pairs/s', 'time vs raw floor', 'ops/s vs proper-lockfile'], rows),
    figures: { rounds: ROUNDS, p50Ns: Object.fromEntries(p50) },
    targets: [
      {
        name: '@lock/file uncontended ops/s at least 100x proper-lockfile',
        met: peerNs / oursNs >= 100,
        detail: `${(peerNs / oursNs).toFixed(1)}x (${formatNs(oursNs)} vs ${formatNs(peerNs)} per pair; the raw floor itself is ${(peerNs / floorNs).toFixed(1)}x)`,
      },
      {
        name: '@lock/file uncontended within 3x of the raw floor (non-blocking lock pair plus the token write)',
        met: oursNs / floorNs <= 3,
        detail: `${(oursNs / floorNs).toFixed(2)}x (${formatNs(oursNs)} vs floor ${formatNs(floorNs)}; floor + path check ${formatNs(p50.get('raw floor + path check (stat)')!)})`,
      },
    ],
  };
}

function processesReport(
  handoffs: Record<'@lock/file' | 'proper-lockfile', HandoffResult>,
  kills: Record<'@lock/file' | 'proper-lockfile', number[]>,
): SuiteReport {
  const names = ['@lock/file', 'proper-lockfile'] as const;
  const rows = names.map((name) => {
    const result = handoffs[name];
    const killed = kills[name];
    return [
      name,
      formatRate(result.grantsPerSec),
      result.handoffNs.count === 0 ? 'n/a' : formatNs(result.handoffNs.p50),
      result.handoffNs.count === 0 ? 'n/a' : formatNs(result.handoffNs.p99),
      `${((result.changedHands / Math.max(1, result.grants - 1)) * 100).toFixed(0)}%`,
      String(result.overlaps),
      `${median(killed).toFixed(1)} ms (${killed.map((ms) => ms.toFixed(1)).join(', ')})`,
    ];
  });
  const oursKill = median(kills['@lock/file']);
  return {
    title: `file: ${HANDOFF_PROCESSES} processes on one name; kill -9 of a holder while another process waits`,
    text: table(
      [
        'lock',
        'grants/s',
        'handoff p50',
        'handoff p99',
        'changed hands',
        'overlaps',
        'kill -9 -> next grant, median (samples)',
      ],
      rows,
    ),
    figures: { handoffs, kills },
    targets: [
      {
        name: 'kill -9 of a holder: the waiting process is in within 100 ms',
        met: Math.max(...kills['@lock/file']) <= 100,
        detail: `median ${oursKill.toFixed(1)} ms, max ${Math.max(...kills['@lock/file']).toFixed(1)} ms (proper-lockfile: median ${median(kills['proper-lockfile']).toFixed(0)} ms)`,
      },
      {
        name: 'no overlapping grants between processes',
        met: names.every((name) => handoffs[name].overlaps === 0),
        detail: names.map((name) => `${name} ${handoffs[name].overlaps}`).join(', '),
      },
    ],
  };
}
