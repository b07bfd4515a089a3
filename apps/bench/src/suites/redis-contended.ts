// Contended run: N client processes (own event loop, own connections) on one key, each doing `ops`
// acquire / increment (GET + SET of a Redis counter, not atomic, so only the lock keeps it exact) / release.
// The counter value each client reads is the global grant sequence, so grant order and handoffs can be
// reconstructed without comparing clocks.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type CommandCounter, type ContenderName, makeLock } from './redis-contenders.js';
import { redisRuntime } from './redis-runtime.js';

const CHILD_FLAG = 'LOCK_BENCH_REDIS_CONTENDER';

interface ChildConfig {
  contender: ContenderName;
  url: string;
  key: string;
  counterKey: string;
  ops: number;
}

interface ChildResult {
  waitsMs: number[];
  sequence: number[];
  commands: number;
  /** CPU time (user + system) of this client process during the run, in µs. */
  cpuUs: number;
}

/** Figures of one contended run. */
export interface ContendedRun {
  contender: ContenderName;
  clients: number;
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  waitP50Ms: number;
  waitP99Ms: number;
  /** Share of consecutive grants that went to a different client. */
  handoffShare: number;
  finalCount: number;
  exact: boolean;
  commandsPerAcquisition: number;
  /** CPU (user + system) of all client processes per grant, in µs. */
  clientCpuPerGrantUs: number;
  /** CPU of redis-server per grant (`INFO cpu`), in µs. */
  serverCpuPerGrantUs: number;
}

/** redis-server's CPU time so far (user + system, main thread and children), in µs. */
async function serverCpuUs(admin: { info(section: string): Promise<string> }): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

async function child(config: ChildConfig): Promise<void> {
  const counter: CommandCounter = { sent: 0 };
  const lock = await makeLock(config.contender, config.url, config.key, counter);
  const { Redis } = await redisRuntime();
  const data = new Redis(config.url);
  await data.ping();
  // Warm up (scripts loaded, connections open) before the start signal.
  await (await lock.acquire()).release();
  process.send?.({ kind: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  counter.sent = 0;
  const result: ChildResult = { waitsMs: [], sequence: [], commands: 0, cpuUs: 0 };
  const cpuBefore = process.cpuUsage();
  for (let op = 0; op < config.ops; op += 1) {
    const started = performance.now();
    const lease = await lock.acquire();
    result.waitsMs.push(performance.now() - started);
    const value = Number((await data.get(config.counterKey)) ?? 0);
    await data.set(config.counterKey, value + 1);
    result.sequence.push(value);
    await lease.release();
  }
  result.commands = counter.sent;
  const cpu = process.cpuUsage(cpuBefore);
  result.cpuUs = cpu.user + cpu.system;
  process.send?.({ kind: 'done', result });
  await lock.close();
  data.disconnect();
}

if (process.env[CHILD_FLAG] === '1') {
  process.once('message', (config: ChildConfig) => {
    child(config).then(
      () => process.disconnect(),
      (error: unknown) => {
        process.stderr.write(`contender failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  });
}

/** Runs one contended round and checks the count. */
export async function runContended(
  contender: ContenderName,
  url: string,
  clients: number,
  ops: number,
  round: number,
): Promise<ContendedRun> {
  const key = `bench:contended:${contender}:${round}`;
  const counterKey = `${key}:counter`;
  const { Redis } = await redisRuntime();
  const admin = new Redis(url);
  await admin.del(counterKey);
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  const done: Array<Promise<ChildResult>> = [];
  const script = fileURLToPath(import.meta.url);
  try {
    for (let index = 0; index < clients; index += 1) {
      const worker = fork(script, [], {
        env: { ...process.env, [CHILD_FLAG]: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(worker);
      const exited = new Promise<never>((_, reject) =>
        worker.once(
          'exit',
          (code) => code !== 0 && reject(new Error(`${contender} client ${index} exited with ${code}`)),
        ),
      );
      ready.push(
        Promise.race([new Promise<void>((resolve) => worker.once('message', () => resolve())), exited]),
      );
      done.push(
        Promise.race([
          new Promise<ChildResult>((resolve) =>
            worker.on('message', (message: { kind: string; result?: ChildResult }) => {
              if (message.kind === 'done') resolve(message.result!);
            }),
          ),
          exited,
        ]),
      );
      worker.send({ contender, url, key, counterKey, ops } satisfies ChildConfig);
    }
    await Promise.all(ready);
    // The warm-up acquisitions incremented nothing; start from zero.
    await admin.del(counterKey);
    const serverCpuBefore = await serverCpuUs(admin);
    const started = performance.now();
    for (const worker of children) worker.send('go');
    const results = await Promise.all(done);
    const elapsedMs = performance.now() - started;
    const serverCpu = (await serverCpuUs(admin)) - serverCpuBefore;
    const finalCount = Number((await admin.get(counterKey)) ?? 0);

    const waits = results.flatMap((result) => result.waitsMs).sort((a, b) => a - b);
    const at = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))]!;
    const owners: number[] = [];
    results.forEach((result, index) => {
      for (const value of result.sequence) owners[value] = index;
    });
    let handoffs = 0;
    for (let value = 1; value < owners.length; value += 1)
      if (owners[value] !== owners[value - 1]) handoffs += 1;
    const total = clients * ops;
    return {
      contender,
      clients,
      ops,
      elapsedMs,
      opsPerSec: (total / elapsedMs) * 1000,
      waitP50Ms: at(0.5),
      waitP99Ms: at(0.99),
      handoffShare: handoffs / Math.max(1, owners.length - 1),
      finalCount,
      exact: finalCount === total,
      commandsPerAcquisition: results.reduce((sum, result) => sum + result.commands, 0) / total,
      clientCpuPerGrantUs: results.reduce((sum, result) => sum + result.cpuUs, 0) / total,
      serverCpuPerGrantUs: serverCpu / total,
    };
  } finally {
    for (const worker of children) if (worker.exitCode === null) worker.kill('SIGKILL');
    admin.disconnect();
  }
}
