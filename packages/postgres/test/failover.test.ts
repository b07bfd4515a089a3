import { LockBackendError, LockLostError } from '@lock/core';
import {
  type PostgresServer,
  startPostgres,
  startPostgresStandby,
  uniqueName,
  whenAborted,
} from '@lock/testkit';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresProvider } from '../src/index.js';
import { eventually } from './helpers.js';

const servers: PostgresServer[] = [];
const providers: PostgresProvider[] = [];
const clients: pg.Client[] = [];
afterAll(async () => {
  await Promise.allSettled(providers.map((provider) => provider.close()));
  await Promise.allSettled(clients.map((client) => client.end()));
  for (const server of servers) await server.close();
});

async function connect(server: PostgresServer): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

describe('failover to a streaming standby (F9)', () => {
  it('loses every lock: the promoted standby grants a held name again; the old holder is told; tokens go on', {
    timeout: 90_000,
  }, async () => {
    const primary = await startPostgres();
    servers.push(primary);
    const standby = await startPostgresStandby(primary);
    servers.push(standby);
    const name = uniqueName('failover');

    // A standby in recovery is refused: a lock there would exclude no one on the primary.
    const early = new PostgresProvider({ url: standby.url });
    providers.push(early);
    const refused = await early
      .lock(name)
      .acquire()
      .catch((error: unknown) => error);
    expect(LockBackendError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/standby/);

    const holder = new PostgresProvider({ url: primary.url, ttlMs: 3_000 });
    providers.push(holder);
    const lease = await holder.lock(name).acquire();
    // Let the standby replay everything the primary wrote (the token's sequence among it).
    const primaryAdmin = await connect(primary);
    const standbyAdmin = await connect(standby);
    const { rows } = await primaryAdmin.query('SELECT pg_current_wal_lsn()::text AS lsn');
    await eventually(
      async () => {
        const replayed = await standbyAdmin.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [
          rows[0].lsn,
        ]);
        return replayed.rows[0].done === true;
      },
      20_000,
      'the standby to replay the grant',
    );

    await primary.kill();
    await standbyAdmin.query('SELECT pg_promote(true, 30)');
    const reason = await whenAborted(lease.signal, 10_000);
    expect(LockLostError.isInstance(reason)).toBe(true);

    const successor = new PostgresProvider({ url: standby.url, ttlMs: 3_000 });
    providers.push(successor);
    // The promoted server has no advisory locks: the name is free although its holder never released it.
    const second = await successor.lock(name).tryAcquire();
    expect(second).not.toBeNull();
    expect(second!.token > lease.token).toBe(true);
    await second!.release();
  });
});
