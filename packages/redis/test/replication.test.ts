import { LockBackendError, LockLostError } from '@lock/core';
import { RespClient, startRedisInstances, startRedisReplicaPair } from '@lock/testkit';
import { describe, expect, it } from 'vitest';
import { RedisProvider, RedlockProvider, RedlockQuorumError, ReplicaAckError } from '../src/index.js';
import { lockKeys } from '../src/internal.js';

describe('primary + replica failover (the ENVIRONMENT.md recipe)', () => {
  it('loses the lock without WAIT and refuses the grant with it', async () => {
    const pair = await startRedisReplicaPair();
    const plain = new RedisProvider({ connection: pair.primary.url, ttlMs: 30_000 });
    const acked = new RedisProvider({
      connection: pair.primary.url,
      ttlMs: 30_000,
      waitReplicas: 1,
      waitTimeoutMs: 1000,
    });
    let promoted: RedisProvider | undefined;
    try {
      expect(acked.capabilities.durability).toBe('replicated-async');
      // Right after the first sync the replica's first acknowledgement can take a while: wait for one.
      const warm = await RespClient.connect(pair.primary.port);
      try {
        for (let attempt = 0; attempt < 20; attempt += 1) {
          await warm.command('SET', 'warm', attempt);
          if ((await warm.command('WAIT', 1, 1000)) === 1) break;
        }
      } finally {
        warm.close();
      }
      // Healthy replica: WAIT is acknowledged and the grant stands.
      const healthy = await acked.lock('healthy').acquire();
      await healthy.release();

      // Cut the replica off: pausing alone is not enough (its socket buffer already holds the bytes).
      pair.replica.pause();
      await pair.primary.command('CLIENT', 'KILL', 'TYPE', 'replica');
      const refused = await acked
        .lock('failover-wait')
        .acquire({ timeoutMs: 5000 })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(ReplicaAckError.isInstance(refused)).toBe(true);
      expect(refused).toMatchObject({ required: 1, acknowledged: 0 });
      expect(await pair.primary.command('EXISTS', lockKeys('lock:', 'failover-wait').lock)).toBe(0); // released

      const first = await plain.lock('failover').acquire();
      await pair.primary.kill();
      pair.replica.resume();
      const admin = await RespClient.connect(pair.replica.port);
      try {
        await admin.command('REPLICAOF', 'NO', 'ONE');
      } finally {
        admin.close();
      }
      promoted = new RedisProvider({ connection: pair.replica.url, ttlMs: 30_000 });
      // The documented hazard: a second holder while the first still believes it holds the lock.
      const second = await promoted.lock('failover').acquire({ timeoutMs: 5000 });
      expect(first.held).toBe(true);
      // The promoted replica never saw this name's counter: it starts one from its own clock, not a copy. (Above
      // the lost token unless the clock went back in between: see the README on fence counters and failover.)
      expect(second.token).not.toBe(first.token);
      // With WAIT the grant was refused, so the new primary hands out the only grant there is.
      const only = await promoted.lock('failover-wait').tryAcquire();
      expect(only).not.toBeNull();
      await Promise.all([second.release(), only!.release()]);
    } finally {
      await Promise.all([plain.close(), acked.close(), promoted?.close()]);
      await pair.close();
    }
  }, 60_000);
});

describe('replica acknowledgement of a handed-over grant', () => {
  it("WAITs for the grant a release pushed to the waiter, not only for the waiter connection's own writes", async () => {
    const pair = await startRedisReplicaPair();
    const acked = new RedisProvider({
      connection: pair.primary.url,
      ttlMs: 30_000,
      waitReplicas: 1,
      waitTimeoutMs: 500,
    });
    try {
      const warm = await RespClient.connect(pair.primary.port);
      try {
        for (let attempt = 0; attempt < 20; attempt += 1) {
          await warm.command('SET', 'warm', attempt);
          if ((await warm.command('WAIT', 1, 1000)) === 1) break;
        }
      } finally {
        warm.close();
      }
      const holder = await acked.lock('handoff').acquire();
      const waiter = acked
        .lock('handoff')
        .acquire({ timeoutMs: 10_000 })
        .then(
          (lease) => lease,
          (error: unknown) => error,
        );
      for (let attempt = 0; attempt < 200 && (await acked.status('handoff')).waiterCount < 1; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      // Let the replica acknowledge everything so far (the waiter's own enqueue included), then stop it
      // acknowledging; the release hands the lock to the waiter on the primary. A WAIT on the waiter's
      // connection alone would count the replica: nothing that connection wrote is unacknowledged.
      const sync = await RespClient.connect(pair.primary.port);
      try {
        await sync.command('SET', 'sync', 1);
        expect(await sync.command('WAIT', 1, 5000)).toBe(1);
      } finally {
        sync.close();
      }
      pair.replica.pause();
      await holder.release();
      const outcome = await waiter;
      pair.replica.resume();
      expect(ReplicaAckError.isInstance(outcome)).toBe(true);
      expect(outcome).toMatchObject({ required: 1, acknowledged: 0 });
      // Refused grants are given back: the lock is free once the replica is back.
      const after = await acked.lock('handoff').acquire({ timeoutMs: 5_000 });
      await after.release();
    } finally {
      await acked.close();
      await pair.close();
    }
  }, 60_000);
});

describe('Redlock over five independent instances', () => {
  it('grants with one instance down, and with three down fails saying which instance voted how', async () => {
    const instances = await startRedisInstances(5);
    const endpoints = instances.servers.map((server) => `127.0.0.1:${server.port}`);
    const provider = new RedlockProvider({ endpoints, ttlMs: 3000, instanceTimeoutMs: 300 });
    const rival = new RedlockProvider({ endpoints, ttlMs: 3000, instanceTimeoutMs: 300 });
    try {
      expect(provider.capabilities).toMatchObject({ backend: 'redlock', fencing: false, waiting: 'none' });
      await instances.servers[4]!.stop();
      const lease = await provider.lock('quorum').acquire();
      expect(await rival.lock('quorum').tryAcquire()).toBeNull(); // held on 4 of 4 live instances
      await lease.extend();
      expect(await lease.release()).toBe(true);

      await instances.servers[3]!.stop();
      await instances.servers[2]!.stop();
      const failure = await provider
        .lock('quorum')
        .acquire()
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(RedlockQuorumError.isInstance(failure)).toBe(true);
      const votes = (failure as RedlockQuorumError).votes;
      expect(votes.map((vote) => vote.outcome)).toEqual(['granted', 'granted', 'error', 'error', 'error']);
      expect(votes.map((vote) => vote.endpoint)).toEqual(endpoints);
      expect((failure as Error).message).toContain(`${endpoints[2]} error`);
      expect((failure as Error).message).toMatch(/2 of 5 instances granted, 3 needed/);
      // The partial grants were undone on the live instances.
      for (const server of instances.servers.slice(0, 2)) {
        expect(await server.command('EXISTS', lockKeys('lock:', 'quorum').lock)).toBe(0);
      }
    } finally {
      await Promise.all([provider.close(), rival.close()]);
      await instances.close();
    }
  }, 60_000);

  it("status: the owner a majority holds, each instance's view, and a backend error without a majority", async () => {
    const instances = await startRedisInstances(3);
    const endpoints = instances.servers.map((server) => `127.0.0.1:${server.port}`);
    const provider = new RedlockProvider({ endpoints, ttlMs: 3000, instanceTimeoutMs: 300 });
    const key = lockKeys('lock:', 'seen').lock;
    try {
      expect(await provider.status('seen')).toMatchObject({
        holders: [],
        waiters: [],
        waiterCount: 0,
        lastToken: null,
      });
      const lease = await provider.lock('seen').acquire();
      const owner = (await instances.servers[0]!.command('GET', key)) as string;
      // One instance lost the key (restarted empty, say): the majority still holds it.
      await instances.servers[2]!.command('DEL', key);
      const status = await provider.status('seen');
      expect(status.holders).toEqual([{ id: owner, token: null }]);
      expect(status.details?.instances).toEqual([
        { endpoint: endpoints[0], holder: owner, holderTtlMs: expect.any(Number) },
        { endpoint: endpoints[1], holder: owner, holderTtlMs: expect.any(Number) },
        { endpoint: endpoints[2], holder: null, holderTtlMs: null },
      ]);
      // A minority holding an owner is no holder.
      await instances.servers[1]!.command('DEL', key);
      expect((await provider.status('seen')).holders).toEqual([]);
      await lease.release();
      await instances.servers[1]!.stop();
      await instances.servers[2]!.stop();
      const failure = await provider.status('seen').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(LockBackendError.isInstance(failure), String(failure)).toBe(true);
      expect((failure as Error).message).toMatch(/1 of 3 instances answered, 2 needed/);
    } finally {
      await provider.close();
      await instances.close();
    }
  }, 30_000);

  it('a lease whose quorum is lost aborts its signal', async () => {
    const instances = await startRedisInstances(3);
    const endpoints = instances.servers.map((server) => `127.0.0.1:${server.port}`);
    const provider = new RedlockProvider({ endpoints, ttlMs: 1500, instanceTimeoutMs: 200 });
    try {
      const lease = await provider.lock('lost').acquire();
      const lost = new Promise((resolve) =>
        lease.signal.addEventListener('abort', () => resolve(lease.signal.reason)),
      );
      await Promise.all(
        instances.servers.map((server) => server.command('DEL', lockKeys('lock:', 'lost').lock)),
      );
      expect(LockLostError.isInstance(await lost)).toBe(true);
    } finally {
      await provider.close();
      await instances.close();
    }
  }, 30_000);
});
