import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueName } from '@lock/testkit';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { PgPool } from '../src/index.js';
import { advisoryKey, PostgresProvider, postgresKind, TransactionPoolingError } from '../src/index.js';
import { usePostgres } from './helpers.js';

const db = usePostgres();

describe('advisory keys', () => {
  it('the documented SQL computes the same key, so other tools can take the same lock', async () => {
    for (const [namespace, name] of [
      ['', 'orders'],
      ['billing', 'invoice/42'],
      ['x', 'ünïcödé 🎉'],
    ] as const) {
      const { rows } = await db.admin.query(
        "SELECT ('x' || left(encode(sha256(convert_to($1, 'UTF8') || '\\x00'::bytea || convert_to($2, 'UTF8')), 'hex'), 16))::bit(64)::bigint::text AS key",
        [namespace, name],
      );
      expect(rows[0].key).toBe(advisoryKey(namespace, name).toString());
    }
  });

  it('namespaces keep equal names apart; one namespace excludes across providers', async () => {
    const name = uniqueName('namespaced');
    const a = db.provider({ namespace: 'app-a' });
    const b = db.provider({ namespace: 'app-b' });
    const a2 = db.provider({ namespace: 'app-a' });
    const held = await a.lock(name).acquire();
    const other = await b.lock(name).tryAcquire();
    expect(other).not.toBeNull();
    expect(await a2.lock(name).tryAcquire()).toBeNull();
    await other?.release();
    await held.release();
  });
});

describe('one provider, many callers', () => {
  it('grants one caller at a time through shared sessions (an advisory lock is re-entrant per session)', async () => {
    const provider = db.provider();
    const name = uniqueName('local');
    const first = await provider.lock(name).acquire();
    expect(await provider.lock(name).tryAcquire()).toBeNull();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((index) =>
      provider
        .lock(name)
        .acquire({ timeoutMs: 10_000 })
        .then(async (lease) => {
          order.push(index);
          await lease.release();
        }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    await first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('uses a constant number of statements per handoff: 10 providers on one name, every token distinct', {
    timeout: 60_000,
  }, async () => {
    const name = uniqueName('handoff');
    const providers = Array.from({ length: 10 }, () => db.provider());
    const tokens: bigint[] = [];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      providers.map(async (provider) => {
        for (let round = 0; round < 10; round++) {
          const lease = await provider.lock(name).acquire({ timeoutMs: 30_000 });
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          tokens.push(lease.token);
          await new Promise((resolve) => setImmediate(resolve));
          inside -= 1;
          await lease.release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    expect(tokens).toHaveLength(100);
    expect(new Set(tokens).size).toBe(100);
    const sorted = [...tokens].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    expect(tokens).toEqual(sorted);
  });
});

describe('connections', () => {
  it('takes sessions from a pg Pool and never ends it', async () => {
    const pool = new pg.Pool({ connectionString: db.server.url, max: 4 });
    try {
      const provider = new PostgresProvider({ pool });
      const lease = await provider.lock(uniqueName('pool')).acquire();
      expect(lease.token > 0n).toBe(true);
      await lease.release();
      await provider.close();
      expect((await pool.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('reads the password from passwordFile (first line)', async () => {
    const file = join(tmpdir(), `lock-postgres-password-${process.pid}`);
    writeFileSync(file, 'anything\n');
    // Trust authentication accepts any password: this shows the file is read and the connection works.
    const provider = db.provider({
      url: undefined,
      host: '127.0.0.1',
      port: db.server.port,
      user: 'postgres',
      database: 'postgres',
      passwordFile: file,
    });
    const lease = await provider.lock(uniqueName('password-file')).acquire();
    await lease.release();
  });

  it('refuses a transaction-pooling proxy: statements of one session answered by different backends', async () => {
    // What a transaction-pooling proxy does: each statement may run on another server connection.
    const backends = [new pg.Client(db.server.url), new pg.Client(db.server.url)];
    await Promise.all(backends.map((client) => client.connect()));
    let next = 0;
    const pooled = {
      query: (query: string | { text: string; values?: unknown[] }, values?: unknown[]) =>
        typeof query === 'string'
          ? backends[next++ % 2]!.query(query, values)
          : backends[next++ % 2]!.query(query.text, query.values),
      on: () => pooled,
      removeListener: () => pooled,
      release: () => undefined,
    };
    const pool: PgPool = { connect: async () => pooled };
    Object.assign(pool, { query: () => undefined, totalCount: 0 });
    try {
      const provider = new PostgresProvider({ pool });
      const error = await provider
        .lock(uniqueName('pooled'))
        .acquire()
        .catch((caught: unknown) => caught);
      expect(TransactionPoolingError.isInstance(error), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/transaction-pooling/);
      await provider.close();
    } finally {
      await Promise.all(backends.map((client) => client.end()));
    }
  });
});

/** The first waiter's `ageMs`, once the server has filled in its waitstart. */
async function waitedMs(provider: PostgresProvider, name: string): Promise<number | undefined> {
  for (let tries = 0; tries < 100; tries++) {
    const ageMs = (await provider.status(name)).waiters[0]?.ageMs;
    if (ageMs !== undefined) return ageMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

describe('status and describe', () => {
  it('lists the holder and waiters from pg_locks, and the latest token issued', {
    timeout: 30_000,
  }, async () => {
    const name = uniqueName('status');
    const holder = db.provider();
    const waiter = db.provider();
    const lease = await holder.lock(name).acquire();
    const waiting = waiter.lock(name).acquire({ timeoutMs: 20_000 });
    for (let tries = 0; tries < 100 && (await holder.status(name)).waiters.length === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const status = await holder.status(name);
    expect(status.holders).toEqual([
      { id: `pid:${await holder.mainBackendPid()}`, token: null, mode: 'exclusive' },
    ]);
    expect(status.waiters).toHaveLength(1);
    expect(status.lastToken).toBeNull();
    // The waiter's age is the server's clock minus its waitstart: it grows by the time slept (both reads on
    // the server's clock; 20 ms of slack). The holder's grant time is not recorded anywhere.
    const waitedBefore = (await waitedMs(holder, name)) as number;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const waitedAfter = (await waitedMs(holder, name)) as number;
    expect(waitedBefore).toBeGreaterThanOrEqual(0);
    expect(waitedAfter - waitedBefore).toBeGreaterThanOrEqual(280);
    expect(status.holders[0]?.ageMs).toBeUndefined();
    expect(BigInt(String(status.details?.lastIssued)) >= lease.token).toBe(true);
    await lease.release();
    await (await waiting).release();
    const description = await holder.describe();
    expect(description.server).toMatch(/^PostgreSQL \d+/);
    expect(description.warnings).toEqual([]);
  });

  it('declares single-node durability and session leases through the kind', () => {
    const capabilities = postgresKind.capabilities({ ttlMs: 4_000 } as never);
    expect(capabilities).toMatchObject({
      backend: 'postgres',
      scope: 'cluster',
      durability: 'single-node',
      waiting: 'push',
      fencing: true,
      leases: true,
    });
    expect(capabilities.ttl).toMatchObject({ setBy: 'session', sessionTtlMs: 4_000 });
  });
});
