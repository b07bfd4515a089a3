// Client processes of the Redis semaphore and read-write suite: N processes (own event loop, own connections)
// on one name, each taking a permit (or a read or write grant) `ops` times, holding it `holdMs`, releasing it.
// Each records how long it waited and when it was granted, so the parent computes wait percentiles, throughput
// and fairness (grants per client while all of them were still contending).
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as RedisSemaphore from 'redis-semaphore';
import { redisRuntime } from './redis-runtime.js';

const CHILD_FLAG = 'LOCK_BENCH_REDIS_SEMAPHORE_CLIENT';
const TTL_MS = 10_000;

/** What a client takes: a permit of @lock/redis or redis-semaphore, a read-write grant, or the exclusive lock. */
export type SemaphoreContender =
  | '@lock/redis semaphore'
  | 'redis-semaphore Semaphore'
  | 'read-write'
  | 'exclusive';

export interface ClientConfig {
  contender: SemaphoreContender;
  url: string;
  key: string;
  ops: number;
  permits: number;
  holdMs: number;
  /** Read-write and exclusive runs: one op in this many is a write (the others are reads). */
  writeEvery: number;
  index: number;
}

interface ClientResult {
  waitsMs: number[];
  /** Wall-clock grant times (performance.timeOrigin + now, ms): only compared between processes of one run. */
  grantedAtMs: number[];
  writes: number;
}

/** Figures of one run of N clients. */
export interface SemaphoreRun {
  contender: SemaphoreContender;
  elapsedMs: number;
  grants: number;
  opsPerSec: number;
  readsPerSec: number;
  waitP50Ms: number;
  waitP99Ms: number;
  /** Jain's index of grants per client until the first client finished (1: all alike). */
  fairness: number;
}

interface BenchGrant {
  release(): Promise<unknown>;
}

async function makeTaker(config: ClientConfig): Promise<{
  take(writes: boolean): Promise<BenchGrant>;
  close(): Promise<void>;
}> {
  const { Redis, RedisProvider } = await redisRuntime();
  const client = new Redis(config.url);
  await client.ping();
  if (config.contender === 'redis-semaphore Semaphore') {
    const { Semaphore } = (await import('redis-semaphore')) as typeof RedisSemaphore;
    // Its defaults otherwise (a retry every 10 ms while the permits are taken).
    const semaphore = new Semaphore(client, config.key, config.permits, {
      lockTimeout: TTL_MS,
      acquireTimeout: 120_000,
    });
    return {
      take: async () => {
        await semaphore.acquire();
        return { release: () => semaphore.release() };
      },
      close: async () => client.disconnect(),
    };
  }
  const provider = new RedisProvider({ client, ttlMs: TTL_MS });
  const close = async () => {
    await provider.close();
    client.disconnect();
  };
  if (config.contender === '@lock/redis semaphore') {
    const semaphore = provider.semaphore(config.key, config.permits);
    return { take: () => semaphore.acquire(), close };
  }
  if (config.contender === 'read-write') {
    const lock = provider.readWriteLock(config.key);
    return { take: (writes) => (writes ? lock.write : lock.read).acquire(), close };
  }
  const lock = provider.lock(config.key);
  return { take: () => lock.acquire(), close };
}

async function child(config: ClientConfig): Promise<void> {
  const taker = await makeTaker(config);
  // Warm up (scripts loaded, connections open) before the start signal.
  await (await taker.take(false)).release();
  process.send?.({ kind: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const result: ClientResult = { waitsMs: [], grantedAtMs: [], writes: 0 };
  for (let op = 0; op < config.ops; op += 1) {
    const writes = config.writeEvery > 0 && (op + config.index) % config.writeEvery === 0;
    const started = performance.now();
    const grant = await taker.take(writes);
    const now = performance.now();
    result.waitsMs.push(now - started);
    result.grantedAtMs.push(performance.timeOrigin + now);
    if (writes) result.writes += 1;
    await new Promise((resolve) => setTimeout(resolve, config.holdMs));
    await grant.release();
  }
  process.send?.({ kind: 'done', result });
  await taker.close();
}

if (process.env[CHILD_FLAG] === '1') {
  process.once('message', (config: ClientConfig) => {
    child(config).then(
      () => process.disconnect(),
      (error: unknown) => {
        process.stderr.write(`client failed: ${error instanceof Error ? error.stack : String(error)}\n`);
        process.exit(1);
      },
    );
  });
}

/** Runs `clients` client processes once and summarises their waits, throughput and fairness. */
export async function runClients(base: Omit<ClientConfig, 'index'>, clients: number): Promise<SemaphoreRun> {
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  const done: Array<Promise<ClientResult>> = [];
  const script = fileURLToPath(import.meta.url);
  try {
    for (let index = 0; index < clients; index += 1) {
      const worker = fork(script, [], {
        env: { ...process.env, [CHILD_FLAG]: '1' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.push(worker);
      // A client that dies fails the run instead of leaving it waiting.
      const exited = new Promise<never>((_, reject) =>
        worker.once(
          'exit',
          (code) => code !== 0 && reject(new Error(`${base.contender} client ${index} exited with ${code}`)),
        ),
      );
      let resolveReady: () => void = () => {};
      let resolveDone: (result: ClientResult) => void = () => {};
      ready.push(Promise.race([new Promise<void>((resolve) => (resolveReady = resolve)), exited]));
      done.push(Promise.race([new Promise<ClientResult>((resolve) => (resolveDone = resolve)), exited]));
      worker.on('message', (message: { kind: string; result?: ClientResult }) => {
        if (message.kind === 'ready') resolveReady();
        else if (message.kind === 'done') resolveDone(message.result!);
      });
      worker.send({ ...base, index } satisfies ClientConfig);
    }
    await Promise.all(ready);
    const started = performance.now();
    for (const worker of children) worker.send('start');
    const results = await Promise.all(done);
    const elapsedMs = performance.now() - started;
    return summariseRun(base.contender, results, elapsedMs);
  } finally {
    for (const worker of children) if (worker.exitCode === null) worker.kill();
  }
}

function summariseRun(
  contender: SemaphoreContender,
  results: ClientResult[],
  elapsedMs: number,
): SemaphoreRun {
  const waits = results.flatMap((result) => result.waitsMs).sort((a, b) => a - b);
  const at = (q: number) => waits[Math.min(waits.length - 1, Math.floor(q * waits.length))] ?? Number.NaN;
  const grants = waits.length;
  const writes = results.reduce((sum, result) => sum + result.writes, 0);
  // Fairness while everyone contended: grants per client up to the moment the first client was done.
  const cutoff = Math.min(...results.map((result) => result.grantedAtMs.at(-1) ?? 0));
  const counts = results.map((result) => result.grantedAtMs.filter((time) => time <= cutoff).length);
  const sum = counts.reduce((total, count) => total + count, 0);
  const squares = counts.reduce((total, count) => total + count * count, 0);
  return {
    contender,
    elapsedMs,
    grants,
    opsPerSec: (grants / elapsedMs) * 1000,
    readsPerSec: ((grants - writes) / elapsedMs) * 1000,
    waitP50Ms: at(0.5),
    waitP99Ms: at(0.99),
    fairness: squares === 0 ? 1 : (sum * sum) / (counts.length * squares),
  };
}
