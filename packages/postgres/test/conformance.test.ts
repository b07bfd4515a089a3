import { type PostgresServer, startPostgres } from '@lock/testkit';
import { describeConformance } from '@lock/testkit/conformance';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresProvider } from '../src/index.js';

let server: PostgresServer;
let admin: pg.Client;
beforeAll(async () => {
  server = await startPostgres();
  admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await server?.close();
});

describeConformance({
  name: 'postgres (advisory locks)',
  createProvider: () => new PostgresProvider({ url: server.url, ttlMs: 3_000 }),
  // The grant lives on its session: terminating the session's backend is what a server-side loss does.
  loseGrant: async (lease, provider) => {
    const status = await (provider as PostgresProvider).status(lease.name);
    const holder = status.holders[0];
    if (holder === undefined) throw new Error(`no holder of ${lease.name} to terminate`);
    await admin.query('SELECT pg_terminate_backend($1)', [Number(holder.id.slice('pid:'.length))]);
  },
  leftovers: async (name, provider) => {
    const status = await (provider as PostgresProvider).status(name);
    return status.holders.length + status.waiterCount;
  },
  queueDepth: async (name, provider) => (await (provider as PostgresProvider).status(name)).waiterCount,
  renewal: { ttlMs: 3_000, holdMs: 7_000 },
});
