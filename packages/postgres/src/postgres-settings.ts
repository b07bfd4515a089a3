import { MAX_TIMER_MS, millisecondsSetting, redactUrl } from '@lock/core';
import * as v from 'valibot';
import { sslModeOf, urlProblem } from './connection-url.js';
import { POSTGRES_MIN_TTL_MS } from './postgres-capabilities.js';

/** Default session TTL in ms: how long a holder that vanished without closing its connection blocks others. @internal */
export const DEFAULT_TTL_MS = 10_000;
/** Default bound on opening one connection, in ms. @internal */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Default sequence of fencing tokens. @internal */
export const DEFAULT_FENCE_SEQUENCE = 'lock_fence';

const PEM_EXPECTED = 'PEM text (-----BEGIN ...) or the path of a PEM file';

/** A sequence name: an identifier, optionally schema-qualified; quoted when used, so no SQL ever comes from it. */
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;
const NAME_EXPECTED = 'a sequence name such as "lock_fence" or "locks.fence" (letters, digits and _)';

/** The settings' fields, each checked on its own; {@link postgresSettings} adds the rules between them. */
const postgresEntries = v.strictObject(
  {
    url: v.optional(
      v.pipe(
        v.string('a postgres:// URL'),
        v.check(
          (url) => urlProblem(url) === undefined,
          (issue) => urlProblem(issue.input) ?? '',
        ),
        v.description(
          'Connection URL, postgres://user@host:5432/db (TLS through ?sslmode=require and the other libpq parameters pg reads). A password in it is used, never shown.',
        ),
      ),
    ),
    host: v.optional(
      v.pipe(
        v.string('a host name or address'),
        v.minLength(1, 'a host name or address'),
        v.description('Server host (instead of url).'),
      ),
    ),
    port: v.optional(
      v.pipe(
        v.number('a port from 1 to 65535'),
        v.integer('a port from 1 to 65535'),
        v.minValue(1, 'a port from 1 to 65535'),
        v.maxValue(65_535, 'a port from 1 to 65535'),
        v.description('Server port (instead of url); default 5432 or PGPORT.'),
      ),
    ),
    database: v.optional(
      v.pipe(
        v.string('a database name'),
        v.minLength(1, 'a database name'),
        v.description('Database (instead of url).'),
      ),
    ),
    user: v.optional(
      v.pipe(v.string('a user name'), v.minLength(1, 'a user name'), v.description('User (instead of url).')),
    ),
    password: v.optional(
      v.pipe(
        v.string('a password string'),
        v.minLength(1, 'a password string'),
        v.description(
          'Password (instead of one in the URL, passwordFile or PGPASSWORD); used, never shown. Prefer passwordFile in a configuration file.',
        ),
      ),
    ),
    passwordFile: v.optional(
      v.pipe(
        v.string('a file path'),
        v.minLength(1, 'a file path'),
        v.description(
          'File whose first line is the password, read when a connection opens (instead of a password in the URL or PGPASSWORD).',
        ),
      ),
    ),
    ssl: v.optional(
      v.pipe(
        v.strictObject(
          {
            ca: pemSetting('CA certificate(s) the server certificate must chain to; default: the system CAs'),
            cert: pemSetting('Client certificate, for a server whose pg_hba.conf says clientcert'),
            key: pemSetting("The client certificate's private key (never shown in messages)"),
            servername: v.optional(
              v.pipe(
                v.string('a host name'),
                v.minLength(1, 'a host name'),
                v.description('Name the server certificate must carry, when not the host connected to.'),
              ),
            ),
          },
          'an object such as { "ca": "/etc/lock/ca.crt" }',
        ),
        v.description(
          "Connect over TLS with these certificates, verifying the server's certificate and name (the URL's sslmode=verify-ca checks the chain only; sslmode=disable is refused with it).",
        ),
      ),
    ),
    namespace: v.optional(
      v.pipe(
        v.string('a string without NUL characters'),
        v.check((namespace) => !namespace.includes('\0'), 'a string without NUL characters'),
        v.description(
          'Hashed with every lock name into its advisory key: applications sharing a database pick distinct namespaces so their names never meet.',
        ),
      ),
      '',
    ),
    fenceSequence: v.optional(
      v.pipe(
        v.string(NAME_EXPECTED),
        v.regex(NAME_PATTERN, NAME_EXPECTED),
        v.description(
          'Sequence the fencing tokens are drawn from (one for every name), created on first use if missing.',
        ),
      ),
      DEFAULT_FENCE_SEQUENCE,
    ),
    ttlMs: v.optional(ttlSetting(), DEFAULT_TTL_MS),
    connectTimeoutMs: v.optional(
      v.pipe(millisecondsSetting(), v.description('Bound on opening one connection, in ms.')),
      DEFAULT_CONNECT_TIMEOUT_MS,
    ),
  },
  'an object such as { "url": "postgres://user@127.0.0.1:5432/db" }',
);

/**
 * The settings of one PostgreSQL server, as a `lock.config.json` entry or `createProvider(config)` holds them:
 * one definition gives the TypeScript type, the validation (every problem with its JSON path) and the JSON
 * Schema. Unknown keys are errors. Anything left out (host, user, password, database) comes from pg's own
 * defaults, the standard `PGHOST`, `PGUSER`, `PGPASSWORD`, `PGDATABASE` ... environment variables.
 */
export const postgresSettings = Object.assign(withSecurityRules(postgresEntries), {
  entries: postgresEntries.entries,
});

/**
 * The rules between the security settings: one source of the password, a client certificate with its key,
 * and no `ssl` with a URL that turns TLS off. @internal
 */
export function withSecurityRules<TInput, TOutput extends SecurityValues>(
  schema: v.GenericSchema<TInput, TOutput>,
) {
  return v.pipe(
    schema,
    securityRule<TOutput>('passwordFile', ({ password, passwordFile }) =>
      password !== undefined && passwordFile !== undefined ? 'absent when password is given' : undefined,
    ),
    securityRule<TOutput>('ssl', ({ ssl }) =>
      ssl !== undefined && (ssl.cert === undefined) !== (ssl.key === undefined)
        ? 'both ssl.cert and ssl.key, or neither'
        : undefined,
    ),
    securityRule<TOutput>('ssl', ({ ssl, url }) =>
      ssl !== undefined && url !== undefined && sslModeOf(url) === 'disable'
        ? 'absent when the url says sslmode=disable'
        : undefined,
    ),
  );
}

/** A rule reported at `key` (with its value), checked once the fields themselves passed. */
function securityRule<T extends SecurityValues>(
  key: keyof SecurityValues,
  problem: (settings: T) => string | undefined,
): v.RawCheckAction<T> {
  return v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const expected = problem(dataset.value);
    if (expected === undefined) return;
    const settings = dataset.value as unknown as Record<string, unknown>;
    const value = settings[key];
    addIssue({
      message: expected,
      input: value,
      path: [{ type: 'object', origin: 'value', input: settings, key, value }],
    });
  });
}

interface SecurityValues {
  readonly url?: string | undefined;
  readonly password?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly ssl?: { readonly cert?: string | undefined; readonly key?: string | undefined } | undefined;
}

/** What a configuration holds for a PostgreSQL server: every setting is optional (pg's defaults fill in). */
export type PostgresProviderConfig = v.InferInput<typeof postgresSettings>;
/** Validated settings, defaults filled in: what `postgresKind.createProvider` and `postgresCapabilities` take. */
export type PostgresSettings = v.InferOutput<typeof postgresSettings>;

/** A PEM setting: PEM text, or the path of a file holding it (read when the provider is made). */
function pemSetting(what: string) {
  return v.optional(
    v.pipe(v.string(PEM_EXPECTED), v.minLength(1, PEM_EXPECTED), v.description(`${what}: ${PEM_EXPECTED}.`)),
  );
}

/** The session TTL: the server ends a session idle this long, and with it its locks. */
function ttlSetting() {
  const expected = `an integer number of milliseconds from ${POSTGRES_MIN_TTL_MS} to ${MAX_TIMER_MS}`;
  return v.config(
    v.pipe(
      v.number(expected),
      v.integer(expected),
      v.minValue(POSTGRES_MIN_TTL_MS, expected),
      v.maxValue(MAX_TIMER_MS, expected),
      v.description(
        'Session TTL in ms: each session is confirmed every third of it, and the server ends a session idle this long (idle_session_timeout), freeing its locks; also the lease length of every lock of the provider.',
      ),
    ),
    { abortPipeEarly: true },
  );
}

/** The address of the settings, for messages and rendezvous hashing: the URL without its password. @internal */
export function settingsAddress(settings: PostgresProviderConfig): string {
  if (settings.url !== undefined) return redactUrl(settings.url);
  const host = settings.host ?? process.env.PGHOST ?? 'localhost';
  const port = settings.port ?? (Number(process.env.PGPORT) || 5432);
  const database = settings.database ?? process.env.PGDATABASE ?? '';
  return `postgres://${host.includes(':') ? `[${host}]` : host}:${port}/${database}`;
}
