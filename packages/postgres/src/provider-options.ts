import { InvalidArgumentError, parseSettings } from '@lock/core';
import * as v from 'valibot';
import type { PgConnectionOptions, PgPool } from './pg-client.js';
import {
  type PostgresProviderConfig,
  type PostgresSettings,
  postgresSettings,
  withSecurityRules,
} from './postgres-settings.js';

/**
 * Options of a {@link PostgresProvider}: the settings of a configuration ({@link PostgresProviderConfig}),
 * with, if you like, a `pg.Pool` you built or pg's own connection options (TLS, auth, anything `pg.Client`
 * takes) in place of `url`, `host`, ....
 */
export type PostgresProviderOptions = PostgresProviderConfig & {
  /**
   * A `pg.Pool`: each session of the provider is one client checked out of it for the session's whole life
   * (at least one, plus one per name waited for at once), destroyed afterwards rather than returned, since it
   * may carry session state. Never ended by the provider.
   */
  pool?: PgPool | undefined;
  /**
   * pg's connection options (`new pg.Client(connection)`): a connection string or a `ClientConfig` with
   * `ssl`, `password` (a string or a function), `host`, ... The settings' `url`, `host`, `port`, `database`,
   * `user`, `password`, `passwordFile` and `ssl` are laid over it.
   */
  connection?: string | PgConnectionOptions | undefined;
};

/** The options, checked, with defaults filled in. @internal */
export type ProviderSettings = PostgresSettings & {
  readonly pool: PgPool | undefined;
  readonly connection: PgConnectionOptions | undefined;
};

const optionsSchema = withSecurityRules(
  v.strictObject(
    {
      ...postgresSettings.entries,
      pool: v.optional(v.unknown()),
      connection: v.optional(v.unknown()),
    },
    'an options object such as { url: "postgres://user@127.0.0.1:5432/db" } or { pool }',
  ),
);

/**
 * Checks a provider's options before any I/O: the JSON settings by the schema every configuration is checked
 * by (the same words, under `options`), the pool and connection by their shape.
 * @internal
 */
export function parseProviderOptions(options: PostgresProviderOptions): ProviderSettings {
  const { pool, connection, ...settings } = parseSettings(optionsSchema, options, 'options');
  if (pool !== undefined && !isPool(pool)) {
    throw new InvalidArgumentError('options.pool', pool, 'a pg Pool (new pg.Pool({ ... }))');
  }
  if (
    connection !== undefined &&
    typeof connection !== 'string' &&
    (typeof connection !== 'object' || connection === null || Array.isArray(connection))
  ) {
    throw new InvalidArgumentError(
      'options.connection',
      connection,
      "pg's connection options: a string or an object",
    );
  }
  if (pool !== undefined && (connection !== undefined || hasConnectionSettings(settings))) {
    throw new InvalidArgumentError(
      'options.pool',
      pool,
      'either a pool or connection settings (url, host, port, database, user, password, passwordFile, ssl, connection), not both',
    );
  }
  return {
    ...settings,
    pool: pool as PgPool | undefined,
    connection:
      typeof connection === 'string'
        ? { connectionString: connection }
        : (connection as PgConnectionOptions | undefined),
  };
}

function hasConnectionSettings(settings: PostgresSettings): boolean {
  return (
    settings.url !== undefined ||
    settings.host !== undefined ||
    settings.port !== undefined ||
    settings.database !== undefined ||
    settings.user !== undefined ||
    settings.password !== undefined ||
    settings.passwordFile !== undefined ||
    settings.ssl !== undefined
  );
}

function isPool(pool: unknown): pool is PgPool {
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof (pool as { connect?: unknown }).connect === 'function' &&
    typeof (pool as { query?: unknown }).query === 'function' &&
    'totalCount' in pool
  );
}
