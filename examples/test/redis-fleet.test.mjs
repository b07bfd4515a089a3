// Guide: a fleet on Redis (docs/guides/redis-fleet.md).
import { startRedis } from '@lock/testkit/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExample } from './run-example.mjs';

describe('a fleet on Redis', () => {
  let redis;

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await redis?.close();
  });

  it('a holder stalled past its lease is refused by the fenced resource and told by lease.signal', async () => {
    const run = await runExample(process.execPath, ['redis-fleet/fleet.mjs'], {
      env: { REDIS_URL: redis.url },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    const tokenA = BigInt(/A: granted, token (\d+)/.exec(run.stdout)[1]);
    const tokenB = BigInt(/B: granted, token (\d+)/.exec(run.stdout)[1]);
    expect(tokenB).toBeGreaterThan(tokenA);
    expect(run.stdout).toContain('B: write accepted\n');
    expect(run.stdout).toContain('A: late write refused\n');
    expect(run.stdout).toContain('A: lease.signal aborted (LockLostError)\n');
    expect(run.stdout).toContain('record: from B\n');
  });

  it('mutant: a resource that does not check the token takes the stale write', async () => {
    const run = await runExample(process.execPath, ['redis-fleet/fleet.mjs', '--no-fence'], {
      env: { REDIS_URL: redis.url },
    });
    expect(run, run.stderr).toMatchObject({ code: 0 });
    expect(run.stdout).toContain('A: late write accepted\n');
    expect(run.stdout).toContain('record: from A\n');
  });
});
