import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PostgresServer, startPostgres } from '@lock/testkit';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PostgresProvider, type PostgresProviderOptions } from '../src/index.js';

/** What {@link usePostgres} gives a test file: read its fields inside tests (they are set before the first). */
export interface PostgresForFile {
  /** A PostgreSQL server, started before the file's tests and stopped after them. */
  readonly server: PostgresServer;
  /** A superuser connection for inspecting and disturbing the server from outside the providers. */
  readonly admin: pg.Client;
  /** A provider on the server (3 s session TTL unless given), closed after the file's tests. */
  provider(options?: PostgresProviderOptions): PostgresProvider;
  /** Terminates the server backends holding `name` (as seen in pg_locks); returns how many. */
  terminateHolders(provider: PostgresProvider, name: string): Promise<number>;
}

/** Starts one PostgreSQL server for the calling test file. */
export function usePostgres(): PostgresForFile {
  let server: PostgresServer | undefined;
  let admin: pg.Client | undefined;
  const providers: PostgresProvider[] = [];
  beforeAll(async () => {
    server = await startPostgres();
    admin = await connectAdmin(server);
  });
  afterAll(async () => {
    await Promise.allSettled(providers.map((created) => created.close()));
    await admin?.end().catch(() => undefined);
    await server?.close();
  });
  return {
    get server() {
      return server as PostgresServer;
    },
    get admin() {
      return admin as pg.Client;
    },
    provider(options = {}) {
      const created = new PostgresProvider({ url: (server as PostgresServer).url, ttlMs: 3_000, ...options });
      providers.push(created);
      return created;
    },
    async terminateHolders(provider, name) {
      const status = await provider.status(name);
      for (const holder of status.holders) {
        await (admin as pg.Client).query('SELECT pg_terminate_backend($1)', [Number(holder.id.slice(4))]);
      }
      return status.holders.length;
    },
  };
}

/** A new superuser connection (after a restart, say). */
export async function connectAdmin(server: PostgresServer): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Path of a test fixture. */
export function fixture(file: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'fixtures', file);
}

/** Polls `check` until it returns true, or throws after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > end) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
