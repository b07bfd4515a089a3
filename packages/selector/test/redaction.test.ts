import { describe, expect, it } from 'vitest';
import { createSelector } from '../src/index.js';

// `explain` (what `lock explain` prints) and configuration errors, given a secret in every place a redis or
// postgres entry takes one: none of them shows it.
const SECRETS = ['URLSECRET', 'PWSECRET', 'KEYSECRET'];
const PEM = '-----BEGIN PRIVATE KEY-----\nKEYSECRET\n-----END PRIVATE KEY-----\n';

function shown(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? String(item) : item));
}

describe('secrets in the configuration never reach explain or its errors', () => {
  it('the leak check finds them in the configuration itself (mutant: no redaction)', () => {
    expect(
      SECRETS.filter((secret) =>
        shown({ url: 'redis://u:URLSECRET@h', PEM, p: 'PWSECRET' }).includes(secret),
      ),
    ).toEqual(SECRETS);
  });

  it('explain names the backends by addresses without passwords', async () => {
    const selector = await createSelector({
      backends: {
        cache: {
          kind: 'redis',
          clusters: [
            { url: 'rediss://locker:URLSECRET@10.0.0.1:6380' },
            { url: 'rediss://locker:URLSECRET@10.0.0.2:6380' },
          ],
          tls: { key: PEM, cert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n' },
          password: 'PWSECRET',
        },
        db: { kind: 'postgres', url: 'postgres://app:URLSECRET@10.0.0.3:5432/app', password: 'PWSECRET' },
      },
      policies: { 'cache:*': { backend: 'cache' }, 'db:*': { backend: 'db' } },
    });
    try {
      const explained = shown([selector.explain('cache:1'), selector.explain('db:1')]);
      expect(explained).toContain('10.0.0.1');
      expect(explained).toContain('10.0.0.3');
      for (const secret of SECRETS) expect(explained).not.toContain(secret);
    } finally {
      await selector.close();
    }
  });

  it('a configuration error names a wrongly given secret without showing it', async () => {
    const error = await createSelector({
      backends: {
        cache: { kind: 'redis', url: 'http://u:URLSECRET@h:1', password: 12_345_678, tls: { key: 7 } },
      },
    }).then(
      () => undefined,
      (caught: unknown) => caught as Error & { issues?: unknown },
    );
    expect(error).toBeDefined();
    const text = `${error?.message}\n${shown(error?.issues)}`;
    expect(text).toContain('backends.cache.password');
    for (const secret of [...SECRETS, '12345678']) expect(text).not.toContain(secret);
  });
});
