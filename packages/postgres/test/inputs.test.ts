import { InvalidArgumentError, InvalidConfigError, LockBackendError, redactUrl } from '@lock/core';
import { describe, expect, it } from 'vitest';
import { createProvider, PostgresProvider } from '../src/index.js';
import { settingsAddress } from '../src/internal.js';

describe('config validation before any I/O', () => {
  it('reports every problem with its JSON path, an unknown key with the closest known one', () => {
    let caught: unknown;
    try {
      createProvider({ url: 'http://db:5432/app', ttlMs: 500, port: 70_000, namespce: 'x' } as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidConfigError);
    const message = (caught as Error).message;
    expect(message).toContain('config.url');
    expect(message).toContain('postgres://');
    expect(message).toContain('config.ttlMs');
    expect(message).toContain('from 1000');
    expect(message).toContain('config.port');
    expect(message).toContain('config.namespce');
    expect(message).toContain('namespace');
  });

  it('rejects a bad fence table name (no SQL comes from settings)', () => {
    expect(() => createProvider({ fenceSequence: 'fences; DROP TABLE x' })).toThrow(/config\.fenceSequence/);
    expect(() => createProvider({ fenceSequence: 'locks.fence' })).not.toThrow();
  });

  it('checks provider options in code with the same words, under options', () => {
    expect(() => new PostgresProvider({ ttlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => new PostgresProvider({ ttlMs: 0 })).toThrow(/options\.ttlMs/);
    expect(() => new PostgresProvider({ pool: {} as never })).toThrow(/options\.pool/);
    expect(() => new PostgresProvider({ connection: 42 as never })).toThrow(/options\.connection/);
  });

  it('refuses a lease length other than the session TTL before any I/O', async () => {
    const provider = new PostgresProvider({ url: 'postgres://nobody@127.0.0.1:1/none', ttlMs: 5_000 });
    expect(() => provider.lock('a', { ttlMs: 1_000 })).toThrow(/ttlMs/);
    await expect(provider.lock('a').acquire({ ttlMs: 2_000 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await provider.close();
  });
});

describe('passwords are used, never shown', () => {
  it('redacts a password in the URL wherever the address is shown', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/app')).toBe('postgres://app:***@db:5432/app');
    expect(redactUrl('postgres://app@db/app?password=s3cret')).not.toContain('s3cret');
    expect(settingsAddress({ url: 'postgres://app:s3cret@db:5432/app' })).not.toContain('s3cret');
    const provider = new PostgresProvider({ url: 'postgres://app:s3cret@127.0.0.1:1/app' });
    expect(provider.address).not.toContain('s3cret');
  });

  it('a failed connection names the server without the password', async () => {
    const provider = new PostgresProvider({
      url: 'postgres://app:s3cret@127.0.0.1:1/app',
      connectTimeoutMs: 1_000,
    });
    const error = await provider
      .lock('x')
      .acquire()
      .catch((caught: unknown) => caught);
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('127.0.0.1:1');
    expect((error as Error).message).not.toContain('s3cret');
    await provider.close();
  });
});
