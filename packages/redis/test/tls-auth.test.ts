import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, InvalidConfigError, LockBackendError } from '@lock/core';
import { createTestCertificates, type RedisServer, startRedis, type TestCertificates } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, RedisProvider, RedlockProvider, redisKind, redlockKind } from '../src/index.js';

// One TLS-only server that wants a client certificate and lets in the ACL user `locker` only.
const PASSWORD = 'p4ss-Word-never-shown';
let certificates: TestCertificates;
let server: RedisServer;
let passwordFile: string;

beforeAll(async () => {
  certificates = createTestCertificates();
  passwordFile = join(certificates.dir, 'redis-password');
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  server = await startRedis({
    tls: certificates,
    users: [
      ['default', 'off'],
      ['locker', 'on', `>${PASSWORD}`, '~*', '&*', '+@all'],
    ],
  });
});

afterAll(async () => {
  await server?.close();
  certificates?.close();
});

/** The settings that let a client in: CA and client certificate (files and PEM both work), user, password file. */
function secure() {
  return {
    url: server.url,
    tls: {
      ca: certificates.ca.certFile,
      cert: certificates.client.certFile,
      key: certificates.client.keyPem,
    },
    username: 'locker',
    passwordFile,
    commandTimeoutMs: 2000,
  };
}

/** What `call` rejected with (fails the test if it resolves). */
async function rejection(call: () => Promise<unknown>): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** Every message down the cause chain. */
function messages(error: unknown): string {
  const lines: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) lines.push(current.message);
  return lines.join('\n');
}

/** A failed acquire over a misconfigured connection: a LockBackendError that says why, without the password. */
async function refusedAcquire(settings: Parameters<typeof createProvider>[0]): Promise<string> {
  const provider = createProvider(settings);
  try {
    const error = await rejection(() => provider.lock('tls-refused').acquire({ timeoutMs: 5000 }));
    expect(LockBackendError.isInstance(error), messages(error)).toBe(true);
    const text = messages(error);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('PRIVATE KEY');
    return text;
  } finally {
    await provider.close();
  }
}

describe('redis over TLS with an ACL user', () => {
  it('locks over rediss:// with CA, client certificate and password file; waiters (their own connections) too', async () => {
    const provider = createProvider(secure());
    try {
      const first = await provider.lock('tls-a').acquire();
      // The second caller waits on a blocking connection of the pool: it is let in the same way.
      const second = provider.lock('tls-a').acquire({ timeoutMs: 10_000 });
      await first.release();
      const lease = await second;
      expect(lease.token).toBeGreaterThan(first.token);
      expect(await lease.release()).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it("the settings win over the URL's user info (a placeholder password in the URL)", async () => {
    const url = server.url.replace('rediss://', 'rediss://nobody:placeholder@');
    const provider = createProvider({ ...secure(), url });
    try {
      const lease = await provider.lock('tls-url').acquire();
      expect(await lease.release()).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it('the provider options take the same settings, with a password given directly', async () => {
    const { url, passwordFile: _file, ...rest } = secure();
    const provider = new RedisProvider({ connection: url, ...rest, password: PASSWORD });
    try {
      const lease = await provider.lock('tls-b').acquire();
      expect(await lease.release()).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it('Redlock connects to every instance with them', async () => {
    const { url, commandTimeoutMs: _timeout, ...rest } = secure();
    const provider = new RedlockProvider({ endpoints: [url], ...rest });
    try {
      const lease = await provider.lock('tls-c').acquire({ timeoutMs: 5000 });
      expect(await lease.release()).toBe(true);
    } finally {
      await provider.close();
    }
  });

  it('mutant: the same server refuses a client without the settings (the happy path is not a plain server)', async () => {
    const text = await refusedAcquire({ url: server.url, commandTimeoutMs: 2000 });
    // rediss:// alone trusts the system CAs only, which never signed the test CA.
    expect(text).toMatch(/certificate/i);
  });

  it('a wrong password: LockBackendError naming the refused authentication (WRONGPASS)', async () => {
    const text = await refusedAcquire({ ...secure(), passwordFile: undefined, password: 'not-the-password' });
    expect(text).toContain('WRONGPASS');
    expect(text).not.toContain('not-the-password');
  });

  it('an untrusted server certificate: LockBackendError naming the certificate problem', async () => {
    const settings = secure();
    const text = await refusedAcquire({
      ...settings,
      tls: { ...settings.tls, ca: certificates.untrustedCa.certPem },
    });
    expect(text).toMatch(/certificate/i);
  });

  it('no client certificate: LockBackendError naming the refused connection', async () => {
    const settings = secure();
    const text = await refusedAcquire({ ...settings, tls: { ca: settings.tls.ca } });
    expect(text).toMatch(/certificate required/i);
  });

  it('refuses bad security settings before connecting, naming them and never showing a secret', () => {
    const bothPasswords = (() => {
      try {
        createProvider({ ...secure(), password: PASSWORD });
      } catch (error) {
        return error;
      }
    })();
    expect(InvalidConfigError.isInstance(bothPasswords)).toBe(true);
    expect(String((bothPasswords as Error).message)).toContain('passwordFile');

    const certWithoutKey = (() => {
      try {
        createProvider({ url: server.url, tls: { cert: certificates.client.certFile } });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(InvalidConfigError.isInstance(certWithoutKey)).toBe(true);
    expect(certWithoutKey?.message).toContain('tls.cert and tls.key');

    const missingFile = (() => {
      try {
        createProvider({ url: server.url, passwordFile: join(certificates.dir, 'absent') });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(InvalidArgumentError.isInstance(missingFile)).toBe(true);
    expect(missingFile?.message).toContain('passwordFile');
    expect(missingFile?.message).toContain('ENOENT');
  });

  it('addresses (what lock explain and messages show) carry no password', () => {
    const url = `rediss://locker:${PASSWORD}@127.0.0.1:6380`;
    expect(redisKind.address?.({ url })).toBe('rediss://locker:***@127.0.0.1:6380');
    expect(redlockKind.address?.({ endpoints: [url, 'redis://b:1', 'redis://c:1'] })).not.toContain(PASSWORD);
  });
});
