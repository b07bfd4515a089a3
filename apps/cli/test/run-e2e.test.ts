import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type EtcdCluster,
  type RedisServer,
  startEtcd,
  startRedis,
  startZooKeeper,
  type ZooKeeperEnsemble,
} from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, FIXTURES, readEvents, runCli, startCli } from './cli-harness.js';

// End to end: `lock run` processes against real servers started by @lock/testkit.
const execFileAsync = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'lock-cli-e2e-'));
let redis: RedisServer;
let etcd: EtcdCluster;
let zk: ZooKeeperEnsemble;
const configs: Record<string, string> = {};

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

beforeAll(async () => {
  [redis, etcd, zk] = await Promise.all([startRedis(), startEtcd(), startZooKeeper()]);
  const policies = { '*': { scope: 'cluster', fencing: true } };
  configs.redis = writeConfig('redis', { backends: { cache: { kind: 'redis', url: redis.url } }, policies });
  configs.etcd = writeConfig('etcd', {
    backends: { coord: { kind: 'etcd', endpoints: etcd.endpoints } },
    policies,
  });
  configs.grab = writeConfig('grab', {
    backends: { cache: { kind: 'redis', url: redis.url } },
    policies: { 'grab:*': { scope: 'cluster', blocking: false }, '*': { scope: 'cluster' } },
  });
  // No backend at all: lock run's scope (host) takes the embedded kernel file lock.
  configs.file = writeConfig('file', { policies: { '*': { fencing: true } } });
  configs.zk = writeConfig('zk', {
    backends: { zoo: { kind: 'zk', connectionString: zk.connectionString, sessionTimeoutMs: 4000 } },
    policies,
  });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([redis?.close(), etcd?.close(), zk?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Section {
  pid: number;
  token: string | null;
  phase: 'start' | 'end';
  t: string;
}

/** Critical sections that were open at the same time, found by sweeping the start/end events in time order. */
function overlaps(events: Section[]): number {
  const sorted = [...events].sort((left, right) => (BigInt(left.t) < BigInt(right.t) ? -1 : 1));
  let open = 0;
  let count = 0;
  for (const event of sorted) {
    if (event.phase === 'start') {
      if (open > 0) count += 1;
      open += 1;
    } else open -= 1;
  }
  return count;
}

/**
 * Two clients, each running its critical section `rounds` times in a row, at once: under `lock run` when
 * `locked`, or bare (the broken variant, which must show overlaps, or the check proves nothing).
 */
async function contend(config: string, file: string, locked: boolean, rounds = 5): Promise<void> {
  // The bare variant holds longer, so that even on a loaded machine its two clients' sections meet.
  const section = [process.execPath, join(FIXTURES, 'critical-section.mjs'), file, locked ? '120' : '400'];
  const client = async () => {
    for (let round = 0; round < rounds; round += 1) {
      if (locked) {
        const result = await runCli(
          ['run', 'e2e-job', '--config', config, '--timeout', '60000', '--', ...section],
          { cwd: dir },
        );
        expect(result.code, result.stderr).toBe(0);
      } else {
        await execFileAsync(section[0]!, section.slice(1));
      }
    }
  };
  await Promise.all([client(), client()]);
}

describe('lock run with no backend configured (the kernel file lock)', () => {
  it('two lock run processes with the same name never overlap; tokens increase', async () => {
    const file = join(dir, 'file-locked.ndjson');
    await contend(configs.file!, file, true);
    const events = readEvents<Section>(file);
    expect(events).toHaveLength(20);
    expect(overlaps(events)).toBe(0);
    const starts = events
      .filter((event) => event.phase === 'start')
      .sort((left, right) => (BigInt(left.t) < BigInt(right.t) ? -1 : 1));
    for (let index = 1; index < starts.length; index += 1) {
      expect(BigInt(starts[index]!.token!) > BigInt(starts[index - 1]!.token!)).toBe(true);
    }
  }, 120_000);

  it('the command keeps the lock when lock run itself is killed with -9, as under flock(1)', async () => {
    const file = join(dir, 'file-inherited.ndjson');
    const holder = startCli(
      [
        'run',
        'e2e-inherit',
        '--config',
        configs.file!,
        '--',
        process.execPath,
        join(FIXTURES, 'hold.mjs'),
        file,
      ],
      { cwd: dir },
    );
    await eventually(() => readEvents(file).length > 0, 30_000, 'the command to start');
    const [started] = readEvents<{ pid: number }>(file);
    holder.kill('SIGKILL');
    // Not `holder.done`: the command keeps lock run's stdout and stderr open, so they close only with it.
    await eventually(() => !isAlive(holder.pid), 10_000, 'lock run to die');
    // lock run is gone; its command still runs and still holds the lock through the fd it inherited.
    const tryWhileCommandRuns = await runCli(
      ['run', 'e2e-inherit', '--config', configs.file!, '--timeout', '0', '--', 'true'],
      { cwd: dir },
    );
    expect(isAlive(started!.pid), 'the command outlives lock run').toBe(true);
    expect(tryWhileCommandRuns.code, tryWhileCommandRuns.stderr).toBe(75);
    process.kill(started!.pid, 'SIGTERM');
    await holder.done;
    await eventually(
      async () =>
        (
          await runCli(['run', 'e2e-inherit', '--config', configs.file!, '--timeout', '0', '--', 'true'], {
            cwd: dir,
          })
        ).code === 0,
      30_000,
      'the lock to be free once the command is gone too',
    );
  }, 90_000);
});

describe.each(['redis', 'etcd', 'zk'] as const)('lock run on %s', (backend) => {
  it('two lock run processes with the same name never overlap; tokens increase', async () => {
    const file = join(dir, `${backend}-locked.ndjson`);
    await contend(configs[backend]!, file, true);
    const events = readEvents<Section>(file);
    expect(events).toHaveLength(20);
    expect(overlaps(events)).toBe(0);
    const starts = events
      .filter((event) => event.phase === 'start')
      .sort((left, right) => (BigInt(left.t) < BigInt(right.t) ? -1 : 1));
    for (let index = 1; index < starts.length; index += 1) {
      expect(BigInt(starts[index]!.token!) > BigInt(starts[index - 1]!.token!)).toBe(true);
    }
    const status = await runCli(['status', 'e2e-job', '--json', '--config', configs[backend]!], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ held: false, holders: [], waiterCount: 0 });
  }, 150_000);

  it('the broken variant (no lock) overlaps, so the check above can fail', async () => {
    const file = join(dir, `${backend}-bare.ndjson`);
    await contend(configs[backend]!, file, false, 3);
    expect(overlaps(readEvents<Section>(file))).toBeGreaterThan(0);
  }, 60_000);

  it('status shows the holder and its token while a command runs; waiters queue behind it', async () => {
    const file = join(dir, `${backend}-status.ndjson`);
    const holder = startCli(
      [
        'run',
        'e2e-status',
        '--config',
        configs[backend]!,
        '--',
        process.execPath,
        join(FIXTURES, 'hold.mjs'),
        file,
      ],
      { cwd: dir },
    );
    await eventually(() => readEvents(file).length > 0, 30_000, 'the command to start');
    const [started] = readEvents<{ token: string; name: string; backend: string }>(file);
    expect(started).toMatchObject({ name: 'e2e-status' });
    const waiter = startCli(['run', 'e2e-status', '--config', configs[backend]!, '--', 'true'], { cwd: dir });
    let status: { held: boolean; holders: Array<{ token: string }>; waiterCount: number } | undefined;
    // The waiter needs a moment to start and queue on the server.
    for (let attempt = 0; attempt < 40 && status?.waiterCount !== 1; attempt += 1) {
      const result = await runCli(['status', 'e2e-status', '--json', '--config', configs[backend]!], {
        cwd: dir,
      });
      expect(result.code, result.stderr).toBe(0);
      status = JSON.parse(result.stdout);
      if (status?.waiterCount !== 1) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toMatchObject({ held: true, holders: [{ token: started!.token }], waiterCount: 1 });
    // Beside the lock, what the server is, from the provider's own description.
    const text = await runCli(['status', 'e2e-status', '--config', configs[backend]!], { cwd: dir });
    expect(text.stdout).toMatch(/^server: {2}\S+/m);
    if (backend === 'zk') {
      // ZooKeeper stamps its nodes: the holder's age is in the JSON and on an `age:` line.
      expect((status!.holders[0] as { ageMs?: unknown }).ageMs).toEqual(expect.any(Number));
      expect(text.stdout).toMatch(/^age: {5}held \d/m);
    }
    if (backend === 'etcd') {
      expect(text.stdout).toMatch(/^server: {2}etcd \d+\.\d+\.\d+/m);
      expect(text.stdout).toMatch(/^warning: .*15247/m);
    }
    holder.kill('SIGTERM');
    expect((await holder.done).code).toBe(0);
    const waited = await waiter.done;
    expect(waited.code, waited.stderr).toBe(0);
  }, 90_000);
});

describe('lock explain --calibrate', () => {
  it('measures each backend on its servers and prints the figures to declare', async () => {
    const json = await runCli(
      ['explain', 'job', '--calibrate', '--rounds', '20', '--json', '--config', configs.etcd!],
      { cwd: dir },
    );
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.chosen).toBe('coord');
    const coord = parsed.calibration.find((result: { backend: string }) => result.backend === 'coord');
    expect(coord).toMatchObject({ backend: 'coord', cluster: 0, rounds: 20 });
    expect(coord.acquireReleaseP50Ms).toBeGreaterThan(0);
    expect(
      parsed.candidates.find((candidate: { backend: string }) => candidate.backend === 'coord').profile
        .source,
    ).toBe('calibration');
    const text = await runCli(
      ['explain', 'job', '--calibrate', '--rounds', '20', '--config', configs.redis!],
      { cwd: dir },
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/cache: p50 [\d.]+ ms, [\d,]+ ops\/s over 20 rounds/);
    expect(text.stdout).toMatch(
      /backends\.cache\.profile = \{"acquireReleaseP50Ms":[\d.e-]+,"opsPerSec":\d+,"source":"benchmark"\}/,
    );
  }, 60_000);
});

describe('not acquired: exit 75 and the command never runs', () => {
  it.each([
    ['a preempting policy (blocking: false) tries once', 'grab:order-1', []],
    ['--timeout 0 tries once', 'job:timeout-0', ['--timeout', '0']],
    ['--timeout elapses', 'job:timeout-300', ['--timeout', '300']],
  ])(
    '%s',
    async (_title, name, options) => {
      const file = join(dir, `busy-${name.replace(/\W/g, '-')}.ndjson`);
      const holder = startCli(
        ['run', name, '--config', configs.grab!, '--', process.execPath, join(FIXTURES, 'hold.mjs'), file],
        { cwd: dir },
      );
      await eventually(() => readEvents(file).length > 0, 30_000, 'the holder to start');
      const marker = join(dir, `ran-${name.replace(/\W/g, '-')}`);
      const second = await runCli(
        ['run', name, '--config', configs.grab!, ...options, '--', 'touch', marker],
        { cwd: dir },
      );
      expect(second.code, second.stderr).toBe(75);
      expect(existsSync(marker)).toBe(false);
      holder.kill('SIGTERM');
      expect((await holder.done).code).toBe(0);
      // Free again: the same command now runs.
      const third = await runCli(['run', name, '--config', configs.grab!, ...options, '--', 'true'], {
        cwd: dir,
      });
      expect(third.code, third.stderr).toBe(0);
    },
    60_000,
  );
});

describe('a lock lost while the command runs stops it', () => {
  async function holdThenLose(
    config: string,
    name: string,
    onLost: 'term' | 'kill' | 'ignore',
    lose: () => Promise<void>,
  ): Promise<{ code: number | null; events: Array<{ event: string }>; stderr: string }> {
    const file = join(dir, `lost-${name}.ndjson`);
    // Long enough that only the lost lock can end it, except with 'ignore', which lets it finish.
    const holdMs = onLost === 'ignore' ? '4000' : '60000';
    const run = startCli(
      [
        'run',
        name,
        '--config',
        config,
        '--ttl',
        '3000',
        '--on-lost',
        onLost,
        '--',
        process.execPath,
        join(FIXTURES, 'hold.mjs'),
        file,
        holdMs,
      ],
      { cwd: dir },
    );
    await eventually(() => readEvents(file).length > 0, 30_000, 'the command to start');
    await lose();
    const result = await run.done;
    return { code: result.code, events: readEvents(file), stderr: result.stderr };
  }

  it('redis: deleting the key stops the command with SIGTERM and exits 79', async () => {
    const result = await holdThenLose(configs.redis!, 'e2e-lost-redis', 'term', async () => {
      expect(await redis.command('DEL', 'lock:{e2e-lost-redis}')).toBe(1);
    });
    expect(result.code, result.stderr).toBe(79);
    expect(result.events.map((event) => event.event)).toEqual(['started', 'term']);
    expect(result.stderr).toMatch(/was lost.*stopping the command with SIGTERM/);
  }, 60_000);

  it('redis with --on-lost ignore: the command finishes, and the exit code still says 79', async () => {
    const result = await holdThenLose(configs.redis!, 'e2e-lost-ignore', 'ignore', async () => {
      expect(await redis.command('DEL', 'lock:{e2e-lost-ignore}')).toBe(1);
    });
    expect(result.code, result.stderr).toBe(79);
    expect(result.events.map((event) => event.event)).toEqual(['started', 'finished']);
    expect(result.stderr).toMatch(/keeps running \(--on-lost ignore\)/);
  }, 60_000);

  it('redis: a command that ignores SIGTERM gets SIGKILL after --kill-after', async () => {
    const file = join(dir, 'lost-stubborn.ndjson');
    const run = startCli(
      [
        'run',
        'e2e-lost-stubborn',
        '--config',
        configs.redis!,
        '--ttl',
        '3000',
        '--kill-after',
        '500',
        '--',
        process.execPath,
        join(FIXTURES, 'stubborn.mjs'),
        file,
      ],
      { cwd: dir },
    );
    await eventually(() => readEvents(file).length > 0, 30_000, 'the command to start');
    expect(await redis.command('DEL', 'lock:{e2e-lost-stubborn}')).toBe(1);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(79);
    expect(readEvents<{ event: string }>(file).map((event) => event.event)).toEqual([
      'started',
      'term-ignored',
    ]);
    expect(result.stderr).toMatch(/ignored SIGTERM for 500 ms; sending SIGKILL/);
  }, 60_000);

  it('etcd: revoking the session lease stops the command and exits 79', async () => {
    const result = await holdThenLose(configs.etcd!, 'e2e-lost-etcd', 'kill', async () => {
      const status = await runCli(['status', 'e2e-lost-etcd', '--json', '--config', configs.etcd!], {
        cwd: dir,
      });
      const { holders, details } = JSON.parse(status.stdout);
      const leaseHex = details.leases[holders[0].id] as string;
      await execFileAsync('etcdctl', ['--endpoints', etcd.endpoints.join(','), 'lease', 'revoke', leaseHex], {
        env: { ...process.env, ETCDCTL_API: '3' },
      });
    });
    expect(result.code, result.stderr).toBe(79);
    // SIGKILL leaves the command no chance to record anything after its start.
    expect(result.events.map((event) => event.event)).toEqual(['started']);
    expect(result.stderr).toMatch(/was lost.*SIGKILL/);
  }, 60_000);

  it('etcd: --ttl sets the session TTL of the provider; one it refuses is a usage error naming --ttl', async () => {
    const ok = await runCli(
      ['run', 'e2e-ttl-etcd', '--config', configs.etcd!, '--ttl', '3000', '--', process.execPath, '-e', ''],
      { cwd: dir },
    );
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runCli(
      ['run', 'e2e-ttl-etcd', '--config', configs.etcd!, '--ttl', '1500', '--', process.execPath, '-e', ''],
      { cwd: dir },
    );
    expect(bad.code, bad.stderr).toBe(64);
    expect(bad.stderr).toMatch(/--ttl 1500: Invalid options\.ttlMs: .*whole seconds|--ttl 1500: .*ttlMs/);
  }, 60_000);

  it('zookeeper: a server paused past the session timeout stops the command and exits 79', async () => {
    // Last in this file: the paused server is resumed, but its clients' sessions are gone.
    const server = zk.servers[0]!;
    let result: Awaited<ReturnType<typeof holdThenLose>>;
    try {
      // The holder cannot confirm its session past the safe fraction of 4 s: it must give the lock up.
      result = await holdThenLose(configs.zk!, 'e2e-lost-zk', 'term', async () => server.pause());
    } finally {
      if (server.paused) server.resume();
    }
    expect(result.code, result.stderr).toBe(79);
    expect(result.events.map((event) => event.event)).toEqual(['started', 'term']);
    expect(result.stderr).toMatch(/was lost/);
  }, 60_000);
});
