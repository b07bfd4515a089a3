import { readFile } from 'node:fs/promises';
import { LockBackendError, noop, readPemOrFile } from '@lock/core';
import pg, { type ClientConfig } from 'pg';
import { sslModeOf, withoutSslParameters } from './connection-url.js';
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
  const passwordFile = settings.passwordFile;
  return async () => {
    // Read for each connection, so a rotated password file is picked up (a LockBackendError if unreadable).
    const password = passwordFile === undefined ? settings.password : await readPassword(passwordFile);
    const client = new pg.Client(password === undefined ? config : withPassword(config, password));
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

/**
 * pg's options from the settings: the caller's `connection`, with the JSON settings laid over it. The `ssl`
 * files are read here, when the provider is made: an unreadable one is an `InvalidArgumentError` naming it.
 */
function clientConfig(settings: ProviderSettings): ClientConfig {
  const config: ClientConfig = { ...(settings.connection ?? {}) } as ClientConfig;
  if (settings.url !== undefined)
    // pg lets the URL's TLS parameters replace its whole `ssl` option: with `ssl` settings they must go.
    config.connectionString = settings.ssl === undefined ? settings.url : withoutSslParameters(settings.url);
  if (settings.host !== undefined) config.host = settings.host;
  if (settings.port !== undefined) config.port = settings.port;
  if (settings.database !== undefined) config.database = settings.database;
  if (settings.user !== undefined) config.user = settings.user;
  if (settings.ssl !== undefined) config.ssl = sslConfig(settings.ssl, settings.url);
  config.connectionTimeoutMillis ??= settings.connectTimeoutMs;
  config.keepAlive ??= true;
  config.application_name ??= 'lock';
  return config;
}

/**
 * The config with the password of the settings. pg reads a URL's (empty) password over its `password` option,
 * so with a URL the password goes into the URL handed to pg (only pg sees it; messages show `settings.url`,
 * redacted).
 */
function withPassword(config: ClientConfig, password: string): ClientConfig {
  if (config.connectionString === undefined) return { ...config, password };
  const url = new URL(config.connectionString);
  url.password = encodeURIComponent(password);
  return { ...config, connectionString: url.toString() };
}

/**
 * pg's `ssl` option from the `ssl` settings: the server certificate is verified, chain and name, unless the
 * URL says `sslmode=verify-ca` (chain only, as libpq does) or `sslmode=no-verify`.
 */
function sslConfig(
  ssl: NonNullable<ProviderSettings['ssl']>,
  url: string | undefined,
): NonNullable<ClientConfig['ssl']> {
  const mode = url === undefined ? undefined : sslModeOf(url);
  return {
    ...(ssl.ca === undefined ? {} : { ca: readPemOrFile(ssl.ca, 'options.ssl.ca') }),
    ...(ssl.cert === undefined ? {} : { cert: readPemOrFile(ssl.cert, 'options.ssl.cert') }),
    ...(ssl.key === undefined ? {} : { key: readPemOrFile(ssl.key, 'options.ssl.key') }),
    ...(ssl.servername === undefined ? {} : { servername: ssl.servername }),
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    ...(mode === 'no-verify' ? { rejectUnauthorized: false } : {}),
  };
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
