import { readFile } from 'node:fs/promises';
import { LockBackendError, noop } from '@lock/core';
import pg, { type ClientConfig } from 'pg';
import type { PgClient } from './pg-client.js';
import type { DisposeClient } from './postgres-session.js';
import type { ProviderSettings } from './provider-options.js';

/** A new server connection and how to give it back. @internal */
export interface OpenedConnection {
  readonly client: PgClient;
  readonly dispose: DisposeClient;
  /** The backend pid the server announced at startup (BackendKeyData); a pooler announces its own. */
  readonly announcedPid: number | undefined;
}

/** Longest wait for a clean goodbye before a connection is simply dropped. */
const END_GRACE_MS = 1_000;

/**
 * Opens connections for sessions: checked out of the caller's pool (destroyed afterwards, never returned:
 * it may carry advisory locks and session settings), or new `pg.Client`s from the settings.
 * @internal
 */
export function connector(settings: ProviderSettings, address: string): () => Promise<OpenedConnection> {
  const pool = settings.pool;
  if (pool !== undefined) {
    return async () => {
      const client = await pool.connect().catch((error: unknown) => {
        throw connectError(address, error);
      });
      return {
        client,
        dispose: async () => client.release(true),
        announcedPid: (client as { processID?: number }).processID ?? undefined,
      };
    };
  }
  const config = clientConfig(settings);
  return async () => {
    const client = new pg.Client(config);
    // Errors before connect() settles reject connect(); afterwards the session listens.
    const swallow = noop;
    client.on('error', swallow);
    try {
      await client.connect();
    } catch (error) {
      client.end().catch(noop);
      throw connectError(address, error);
    }
    return {
      client: client as unknown as PgClient,
      dispose: () => endClient(client),
      announcedPid: (client as unknown as { processID?: number }).processID ?? undefined,
    };
  };
}

/** pg's options from the settings: the caller's `connection`, with the JSON settings laid over it. */
function clientConfig(settings: ProviderSettings): ClientConfig {
  const config: ClientConfig = { ...(settings.connection ?? {}) } as ClientConfig;
  if (settings.url !== undefined) config.connectionString = settings.url;
  if (settings.host !== undefined) config.host = settings.host;
  if (settings.port !== undefined) config.port = settings.port;
  if (settings.database !== undefined) config.database = settings.database;
  if (settings.user !== undefined) config.user = settings.user;
  const passwordFile = settings.passwordFile;
  if (passwordFile !== undefined) config.password = () => readPassword(passwordFile);
  config.connectionTimeoutMillis ??= settings.connectTimeoutMs;
  config.keepAlive ??= true;
  config.application_name ??= 'lock';
  return config;
}

async function readPassword(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new LockBackendError('postgres', 'connect', {
      detail: `passwordFile ${JSON.stringify(file)} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    });
  });
  return text.split(/\r?\n/, 1)[0] ?? '';
}

async function endClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.end().catch(noop),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, END_GRACE_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

function connectError(address: string, error: unknown): LockBackendError {
  if (LockBackendError.isInstance(error)) return error;
  return new LockBackendError('postgres', 'connect', {
    cause: error,
    detail: `${address}: ${error instanceof Error ? error.message : String(error)}`,
  });
}
