import { InvalidArgumentError, LockBackendError, LockLostError, LockTimeoutError } from '@lock/core';
import { freePort, type ZooKeeperEnsemble } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ZooKeeperProvider, zkCapabilities } from '../src/index.js';
import { makeProvider, startServers } from './support.js';

let servers: ZooKeeperEnsemble;
const providers: ZooKeeperProvider[] = [];
let counter = 0;

function provider(
  options: Parameters<typeof makeProvider>[1] = {},
  connectionString = servers.connectionString,
) {
  const created = makeProvider(connectionString, options);
  providers.push(created);
  return created;
}

function uniqueName(label: string): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}`;
}

/** Blocks the event loop (no timer, no I/O callback runs) for `ms`, as a long synchronous task does. */
function stall(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

beforeAll(async () => {
  servers = await startServers();
});
afterAll(async () => {
  await Promise.all(providers.map((each) => each.close()));
  await servers?.close();
});

describe('a server that is down is not a held lock', () => {
  it('acquire against a closed port fails with LockBackendError at the deadline, not LockTimeoutError', async () => {
    const closed = provider({ connectTimeoutMs: 10_000 }, `127.0.0.1:${await freePort()}`);
    const attempt = await closed
      .lock(uniqueName('down'))
      .acquire({ timeoutMs: 500 })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(LockTimeoutError.isInstance(attempt)).toBe(false);
    expect(LockBackendError.isInstance(attempt)).toBe(true);
    expect((attempt as Error).message).toMatch(/no connection to 127\.0\.0\.1:\d+ within \d+ ms/);
  });

  it('status() against a closed port rejects with LockBackendError', async () => {
    const closed = provider({ connectTimeoutMs: 300 }, `127.0.0.1:${await freePort()}`);
    await expect(closed.status('x')).rejects.toSatisfy(LockBackendError.isInstance);
  });

  it('a free lock is granted whatever timeoutMs, also below one round trip', async () => {
    const zk = provider();
    await zk.lock(uniqueName('warm')).tryAcquire(); // connect the session first
    const lease = await zk.lock(uniqueName('free')).acquire({ timeoutMs: 0.5 });
    expect(lease.held).toBe(true);
    await lease.release();
  });

  it('a held lock still times out with LockTimeoutError', async () => {
    const zk = provider();
    const name = uniqueName('held');
    const holder = await zk.lock(name).acquire();
    const attempt = await settle(provider().lock(name).acquire({ timeoutMs: 300 }));
    expect(LockTimeoutError.isInstance(attempt.error)).toBe(true);
    await holder.release();
  });
});

describe('lease lengths', () => {
  it('refuses a ttlMs other than the session timeout before any I/O', async () => {
    const zk = provider({ sessionTimeoutMs: 4_000 });
    expect(zk.capabilities).toEqual(
      zkCapabilities({ connectionString: zk.connectionString, sessionTimeoutMs: 4_000 }),
    );
    expect(zk.capabilities.ttl?.sessionTtlMs).toBe(4_000);
    expect(() => zk.lock('x', { ttlMs: 1_000 })).toThrow(InvalidArgumentError);
    const attempt = await settle(zk.lock(uniqueName('ttl')).acquire({ ttlMs: 30_000 }));
    expect((attempt.error as InvalidArgumentError).parameter).toBe('options.ttlMs');
    expect(zk.sessionCount).toBe(0);
    const lease = await zk.lock(uniqueName('ttl-ok')).acquire({ ttlMs: 4_000 });
    await lease.release();
  });
});

describe('a clamped session timeout', () => {
  it('is reported once as a warning and as lease.ttlMs', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // tickTime 500 ms: the server grants at most 20 ticks, 10,000 ms.
      const zk = provider({ sessionTimeoutMs: 60_000 });
      const lease = await zk.lock(uniqueName('clamped')).acquire({ ttlMs: 60_000 });
      await lease.release();
      await zk
        .lock(uniqueName('clamped-again'))
        .tryAcquire()
        .then((again) => again?.release());
      await new Promise((resolve) => setImmediate(resolve));
      expect(lease.ttlMs).toBe(10_000);
      const clamped = warnings.filter(
        (warning) => (warning as { code?: string }).code === 'LOCK_ZK_SESSION_TIMEOUT_CLAMPED',
      );
      expect(clamped).toHaveLength(1);
      expect(clamped[0]!.message).toMatch(/negotiated a session timeout of 10000 ms instead of the 60000 ms/);
      // describe() says so too, for tools that show a provider's server.
      const described = await zk.describe();
      expect(described.details.negotiatedSessionTimeoutMs).toBe(10_000);
      expect(described.warnings).toEqual([expect.stringMatching(/negotiated a session timeout of 10000 ms/)]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('a holder stalled past its safe deadline', () => {
  it('reads held false and an aborted signal at its first look, before the session watchdog runs', async () => {
    const zk = provider({ sessionTimeoutMs: 3_000 });
    const lease = await zk.lock(uniqueName('stall')).acquire();
    const negotiated = zk.sessionTimeoutMs as number;
    const signal = lease.signal;
    expect(lease.held).toBe(true);
    stall(Math.ceil((negotiated * 2) / 3) + 200);
    expect(signal.aborted).toBe(false);
    expect(lease.held).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(LockLostError.isInstance(signal.reason)).toBe(true);
    await lease.release();
  });
});

async function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
