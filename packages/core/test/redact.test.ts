import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidConfigError,
  isSecretName,
  LockBackendError,
  parseSettings,
  REDACTED,
  redactSettings,
  redactText,
  redactUrl,
  settingsObject,
} from '../src/index.js';

const SECRETS = ['URLSECRET', 'PWSECRET', 'KEYSECRET', 'QSECRET'];
const PEM = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAKEYSECRET\n-----END PRIVATE KEY-----\n';

/** The secrets found in `text`: the checker every case below relies on. */
function leaks(text: string): string[] {
  return SECRETS.filter((secret) => text.includes(secret));
}

describe('redaction', () => {
  it('the leak check itself finds secrets in unredacted text (the mutant: no redaction)', () => {
    const raw = `redis://u:URLSECRET@h:1 ${PEM} ?password=QSECRET ${JSON.stringify({ password: 'PWSECRET' })}`;
    expect(leaks(raw)).toEqual(SECRETS);
    expect(leaks(redactText(raw))).toEqual([]);
    expect(leaks(JSON.stringify(redactSettings({ raw, password: 'PWSECRET' })))).toEqual([]);
  });

  it('URLs: the user info password and secret query parameters, users and hosts kept', () => {
    expect(redactUrl('rediss://locker:URLSECRET@db:6380/0')).toBe(`rediss://locker:${REDACTED}@db:6380/0`);
    expect(redactUrl('postgres://app@db/app?password=QSECRET&sslmode=require')).toBe(
      `postgres://app@db/app?password=${encodeURIComponent(REDACTED)}&sslmode=require`,
    );
    expect(redactUrl('redis://db:6379')).toBe('redis://db:6379');
    expect(leaks(redactUrl('not a url: http://u:URLSECRET@'))).toEqual([]);
    expect(redactText('connect to redis://u:URLSECRET@127.0.0.1:1 failed')).toBe(
      `connect to redis://u:${REDACTED}@127.0.0.1:1 failed`,
    );
  });

  it('settings: secret-named values, URLs and PEM keys at any depth; paths, tokens and other values kept', () => {
    const settings = {
      url: 'rediss://u:URLSECRET@h:1',
      password: 'PWSECRET',
      passwordFile: '/run/secrets/pw',
      tls: { ca: '/etc/ca.crt', key: PEM, cert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' },
      endpoints: ['redis://:URLSECRET@a:1'],
      sasl: { apiKey: 'KEYSECRET' },
      lastToken: 42n,
      ttlMs: 1000,
    };
    const redacted = redactSettings(settings);
    expect(
      leaks(JSON.stringify(redacted, (_k, value) => (typeof value === 'bigint' ? String(value) : value))),
    ).toEqual([]);
    expect(redacted).toMatchObject({
      password: REDACTED,
      passwordFile: '/run/secrets/pw',
      tls: { ca: '/etc/ca.crt', key: REDACTED },
      sasl: { apiKey: REDACTED },
      lastToken: 42n,
      ttlMs: 1000,
    });
    expect(redacted.tls.cert).toContain('BEGIN CERTIFICATE');
    expect(settings.password).toBe('PWSECRET'); // a copy: the settings in use are untouched
    expect(['password', 'tls.key', 'sasl.apiKey', 'clientSecret'].every(isSecretName)).toBe(true);
    expect(['passwordFile', 'keyFile', 'token', 'lastToken', 'ttlMs'].some(isSecretName)).toBe(false);
  });

  it('errors: a secret given wrongly is named but not shown, in the message or the fields', () => {
    const schema = settingsObject({
      url: v.optional(v.pipe(v.string(), v.startsWith('redis://', 'a redis:// URL'))),
      password: v.optional(v.string('a password string')),
      tls: v.optional(v.object({ key: v.optional(v.string('PEM text')) })),
    });
    let refusal: unknown;
    try {
      parseSettings(
        schema,
        { url: 'http://u:URLSECRET@h', password: 12_345, tls: { key: 7 }, passwd: 'PWSECRET' },
        'config',
      );
    } catch (error) {
      refusal = error;
    }
    expect(InvalidConfigError.isInstance(refusal)).toBe(true);
    const config = refusal as InvalidConfigError;
    const shown = `${config.message}\n${JSON.stringify(config.issues)}\n${JSON.stringify(config.value ?? null)}`;
    expect(leaks(shown)).toEqual([]);
    expect(shown).not.toContain('12345');
    expect(config.message).toContain('config.password');
    expect(config.message).toContain('http://u:***@h');

    const argument = new InvalidArgumentError('options.password', 'PWSECRET', 'a non-empty string');
    expect(leaks(`${argument.message} ${String(argument.value)}`)).toEqual([]);
    const backend = new LockBackendError('postgres', 'connect', {
      detail: 'postgres://a:URLSECRET@h/db: refused',
    });
    expect(leaks(backend.message)).toEqual([]);
  });
});

describe('secret files', () => {
  it('PEM text is taken as is; a path is read; an unreadable file is an InvalidArgumentError naming the setting and path', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { readPasswordFile, readPemOrFile } = await import('../src/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'lock-core-secret-files-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), 'CA PEM');
      writeFileSync(join(dir, 'password'), 'PWSECRET\nsecond line\n');
      expect(readPemOrFile(PEM, 'tls.key')).toBe(PEM);
      expect(readPemOrFile(join(dir, 'ca.crt'), 'tls.ca')).toBe('CA PEM');
      expect(readPasswordFile(join(dir, 'password'), 'passwordFile')).toBe('PWSECRET');
      const missing = (() => {
        try {
          readPemOrFile(join(dir, 'absent'), 'options.tls.ca');
        } catch (error) {
          return error as InvalidArgumentError;
        }
      })();
      expect(InvalidArgumentError.isInstance(missing)).toBe(true);
      expect(missing?.message).toContain('options.tls.ca');
      expect(missing?.message).toContain('ENOENT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
