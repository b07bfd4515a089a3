// The file read-write suite: readers' throughput with 1 write in 10, 4 processes on one name, for the
// read-write lock of @lock/file (reads shared through the turnstile, writes exclusive) against the exclusive
// lock doing the same operations (every grant exclusive). Each process takes `OPS` grants, holding each
// `HOLD_MS`; the parent reports reads/s, grants/s and the writers' wait p99, medians of interleaved rounds.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatRate, median, type SuiteReport, summarize, table } from '../harness.js';
import { fileRuntime } from './file-runtime.js';

const PROCESSES = 4;
const OPS = 100;
const WRITE_EVERY = 10;
const HOLD_MS = 5;
const ROUNDS = 3;

type Contender = 'read-write' | 'exclusive';

// One client process (plain CommonJS, run with `node -e`): on 'go', `ops` grants of one name, one in
// `writeEvery` a write (starting at a different offset in each process), each held `holdMs`; then it sends
// the wait of every write (ms) and exits.
const CLIENT_SCRIPT = `'use strict';
const config = JSON.parse(process.argv[1]);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const { FileProvider } = await import(require('node:url').pathToFileURL(config.lockFile).href);
  const provider = new FileProvider({ directory: config.directory });
  const rw = provider.readWriteLock(config.name);
  const exclusive = provider.lock(config.name);
  process.send({ op: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const writeWaitsMs = [];
  for (let index = 0; index < config.ops; index++) {
    const writes = (index + config.index * 3) % config.writeEvery === 0;
    const lock = config.contender === 'exclusive' ? exclusive : writes ? rw.write : rw.read;
    const asked = performance.now();
    const lease = await lock.acquire();
    if (writes) writeWaitsMs.push(performance.now() - asked);
    await sleep(config.holdMs);
    await lease.release();
  }
  await provider.close();
  process.send({ op: 'done', writeWaitsMs });
  process.disconnect();
})().catch((error) => { process.send({ op: 'error', message: String(error && error.stack) }); });`;

interface Run {
  contender: Contender;
  elapsedMs: number;
  readsPerSec: number;
  grantsPerSec: number;
  writeWaitP99Ms: number;
}

async function runOnce(
  lockFile: string,
  directory: string,
  contender: Contender,
  round: number,
): Promise<Run> {
  const name = `rw-bench-${contender}-${round}`;
  const clients = Array.from({ length: PROCESSES }, (_, index) => {
    const config = {
      lockFile,
      directory,
      name,
      contender,
      index,
      ops: OPS,
      writeEvery: WRITE_EVERY,
      holdMs: HOLD_MS,
    };
    const child = spawn(process.execPath, ['-e', CLIENT_SCRIPT, JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const message = (op: string) =>
      new Promise<{ op: string; writeWaitsMs?: number[]; message?: string }>((resolve, reject) => {
        const onMessage = (reply: { op: string; message?: string }) => {
          if (reply.op === 'error') reject(new Error(`client ${index} failed: ${reply.message}`));
          else if (reply.op === op) {
            child.off('message', onMessage);
            resolve(reply);
          }
        };
        child.on('message', onMessage);
        child.once('exit', (code) => reject(new Error(`client ${index} exited with ${code} before '${op}'`)));
      });
    return { child, ready: message('ready'), done: message('done') };
  });
  try {
    await Promise.all(clients.map((client) => client.ready));
    const started = performance.now();
    for (const client of clients) client.child.send({ op: 'go' });
    const results = await Promise.all(clients.map((client) => client.done));
    const elapsedMs = performance.now() - started;
    const writeWaits = results.flatMap((result) => result.writeWaitsMs ?? []);
    const grants = PROCESSES * OPS;
    const reads = grants - writeWaits.length;
    return {
      contender,
      elapsedMs,
      readsPerSec: (reads / elapsedMs) * 1000,
      grantsPerSec: (grants / elapsedMs) * 1000,
      writeWaitP99Ms: summarize(writeWaits).p99,
    };
  } finally {
    for (const client of clients) if (client.child.exitCode === null) client.child.kill('SIGKILL');
  }
}

function medians(runs: Run[]) {
  return {
    readsPerSec: median(runs.map((run) => run.readsPerSec)),
    grantsPerSec: median(runs.map((run) => run.grantsPerSec)),
    writeWaitP99Ms: median(runs.map((run) => run.writeWaitP99Ms)),
  };
}

export async function run(): Promise<SuiteReport[]> {
  const { paths } = await fileRuntime();
  const parent = mkdtempSync(join(tmpdir(), 'lock-bench-file-rw-'));
  const directory = join(parent, 'locks');
  const runs: Record<Contender, Run[]> = { 'read-write': [], exclusive: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of ['read-write', 'exclusive'] as const)
        runs[contender].push(await runOnce(paths.lockFile, directory, contender, round));
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
  const shared = medians(runs['read-write']);
  const exclusive = medians(runs.exclusive);
  const row = (label: string, figures: ReturnType<typeof medians>) => [
    label,
    formatRate(figures.readsPerSec),
    formatRate(figures.grantsPerSec),
    `${figures.writeWaitP99Ms.toFixed(1)} ms`,
  ];
  return [
    {
      title: `File read-write lock: ${PROCESSES} processes on one name, 1 write in ${WRITE_EVERY}, ${HOLD_MS} ms held, ${OPS} grants each (median of ${ROUNDS} interleaved rounds)`,
      text: table(
        ['lock', 'reads/s', 'grants/s', 'write wait p99'],
        [row('read-write lock', shared), row('exclusive lock (same operations)', exclusive)],
      ),
      figures: { readWrite: shared, exclusive, runs },
      targets: [
        {
          name: "readers' throughput with 1 writer in 10: reads/s above the exclusive lock doing the same operations",
          met: shared.readsPerSec > exclusive.readsPerSec,
          detail: `${formatRate(shared.readsPerSec)} vs ${formatRate(exclusive.readsPerSec)} (${(shared.readsPerSec / exclusive.readsPerSec).toFixed(2)}x)`,
        },
      ],
    },
  ];
}
