import { readPasswordFile, readPemOrFile } from '@lock/core';
import * as v from 'valibot';
import { settingRule } from './setting-rule.js';

/**
 * What every connection a provider opens (commands, blocking waits, each Redlock instance) is given to be
 * let in: TLS material and an ACL user. Files are read once, when the provider is made, so a missing or
 * unreadable file is an `InvalidArgumentError` naming the setting before any connection is attempted.
 */
export function connectionSecurity(settings: RedisSecuritySettings, parameter: string): RedisSecurityOptions {
  const security: RedisSecurityOptions = {};
  if (settings.username !== undefined) security.username = settings.username;
  if (settings.password !== undefined) security.password = settings.password;
  if (settings.passwordFile !== undefined)
    security.password = readPasswordFile(settings.passwordFile, `${parameter}.passwordFile`);
  if (settings.tls !== undefined) {
    const { ca, cert, key, servername, rejectUnauthorized } = settings.tls;
    security.tls = {
      ...(ca === undefined ? {} : { ca: readPemOrFile(ca, `${parameter}.tls.ca`) }),
      ...(cert === undefined ? {} : { cert: readPemOrFile(cert, `${parameter}.tls.cert`) }),
      ...(key === undefined ? {} : { key: readPemOrFile(key, `${parameter}.tls.key`) }),
      ...(servername === undefined ? {} : { servername }),
      ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
    };
  }
  return security;
}

/**
 * The URL without the user info that the settings give: ioredis reads a URL's user and password over its
 * `username` and `password` options, and the settings are meant to win (a URL with a placeholder password
 * and the real one in `passwordFile`, say).
 */
export function urlForSecurity(url: string, security: RedisSecurityOptions): string {
  if (security.password === undefined && security.username === undefined) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (security.password !== undefined) parsed.password = '';
  if (security.username !== undefined) parsed.username = '';
  return parsed.toString();
}

/** The security settings as a configuration or a provider's options hold them. */
export interface RedisSecuritySettings {
  readonly tls?:
    | {
        readonly ca?: string | undefined;
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
        readonly servername?: string | undefined;
        readonly rejectUnauthorized?: boolean | undefined;
      }
    | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly passwordFile?: string | undefined;
}

/** What ioredis takes for them (`RedisOptions`' `tls`, `username`, `password`). */
export interface RedisSecurityOptions {
  tls?: { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean };
  username?: string;
  password?: string;
}

/** True when any security setting is given. */
export function hasSecurity(settings: RedisSecuritySettings): boolean {
  return (
    settings.tls !== undefined ||
    settings.username !== undefined ||
    settings.password !== undefined ||
    settings.passwordFile !== undefined
  );
}

const PEM_EXPECTED = 'PEM text (-----BEGIN ...) or the path of a PEM file';

/** A PEM setting: PEM text, or the path of a file holding it. */
const pemSetting = (what: string) =>
  v.optional(
    v.pipe(v.string(PEM_EXPECTED), v.nonEmpty(PEM_EXPECTED), v.description(`${what}: ${PEM_EXPECTED}.`)),
  );

/** The security fields of the `redis` and `redlock` kinds (and of their providers' options). */
export function securityFields() {
  return {
    tls: v.optional(
      v.pipe(
        v.strictObject(
          {
            ca: pemSetting('CA certificate(s) the server certificate must chain to; default: the system CAs'),
            cert: pemSetting('Client certificate, for a server with tls-auth-clients'),
            key: pemSetting("The client certificate's private key (never shown in messages)"),
            servername: v.optional(
              v.pipe(
                v.string('a host name'),
                v.nonEmpty('a host name'),
                v.description('Name the server certificate must carry, when not the host connected to.'),
              ),
            ),
            rejectUnauthorized: v.optional(
              v.pipe(
                v.boolean('true or false'),
                v.description('false accepts any server certificate (tests only); default true.'),
              ),
            ),
          },
          'an object such as { "ca": "/etc/redis/ca.crt" }',
        ),
        v.description('Connect over TLS (as a rediss:// URL does) with these certificates.'),
      ),
    ),
    username: v.optional(
      v.pipe(
        v.string('an ACL user name'),
        v.nonEmpty('an ACL user name'),
        v.description("ACL user (AUTH username password); default Redis's 'default' user."),
      ),
    ),
    password: v.optional(
      v.pipe(
        v.string('a password string'),
        v.nonEmpty('a password string'),
        v.description(
          'Password (AUTH); never shown in messages. Prefer passwordFile in a configuration file.',
        ),
      ),
    ),
    passwordFile: v.optional(
      v.pipe(
        v.string('a file path'),
        v.nonEmpty('a file path'),
        v.description('File whose first line is the password, read when the provider is made.'),
      ),
    ),
  };
}

/** One source of the password: `password` or `passwordFile`, not both. */
export function passwordSourceRule<T extends RedisSecuritySettings>(): v.RawCheckAction<T> {
  return settingRule<T>('passwordFile', ['password'], ({ password, passwordFile }) =>
    password !== undefined && passwordFile !== undefined ? 'absent when password is given' : undefined,
  );
}

/** A client certificate comes with its key. */
export function clientCertificateRule<T extends RedisSecuritySettings>(): v.RawCheckAction<T> {
  return settingRule<T>('tls', [], ({ tls }) =>
    tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined)
      ? 'both tls.cert and tls.key, or neither'
      : undefined,
  );
}
