import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { InvalidArgumentError, InvalidConfigError, LockBackendError } from '@lock/core';
import { type EtcdCluster, startEtcd } from '@lock/testkit';
import { Etcd3, Range } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, EtcdAccessError, EtcdProvider, etcdClientOptions } from '../src/index.js';

const ROOT_PASSWORD = 'root-secret-pw';
const PASSWORD = 'locker-secret-pw';
const PREFIX = 'app/';

let cluster: EtcdCluster;
let root: Etcd3;
const providers: EtcdProvider[] = [];
const clients: Etcd3[] = [];

/** A provider on the cluster with `auth` (or none), closed after the file. */
function provider(auth?: { username: string; password?: string; passwordFile?: string }): EtcdProvider {
  const created = new EtcdProvider({
    endpoints: cluster.endpoints,
    prefix: PREFIX,
    ...(auth ? { auth } : {}),
  });
  providers.push(created);
  return created;
}

/** Every string an error carries (message, cause chain, stack), for "never contains the password". */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    parts.push(current.message, current.stack ?? '', JSON.stringify(current));
  }
  return parts.join('\n');
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  const outcome = await Promise.race([
    promise.then(
      () => ({ error: new Error('expected a rejection') }),
      (error: unknown) => ({ error, rejected: true }),
    ),
    new Promise<{ error: Error }>((resolve) =>
      setTimeout(() => resolve({ error: new Error('still waiting after 20 s') }), 20_000).unref(),
    ),
  ]);
  if (!('rejected' in outcome)) throw outcome.error;
  return outcome.error;
}

beforeAll(async () => {
  cluster = await startEtcd({ members: 1 });
  const setup = new Etcd3(etcdClientOptions(cluster.endpoints));
  try {
    await setup.user('root').create(ROOT_PASSWORD);
    await setup.user('root').addRole('root');
    await setup.role('locker').create();
    await setup.role('locker').grant({ permission: 'Readwrite', range: Range.prefix(PREFIX) });
    await setup.user('locker').create(PASSWORD);
    await setup.user('locker').addRole('locker');
    await setup.auth.authEnable();
  } finally {
    setup.close();
  }
  root = new Etcd3({
    ...etcdClientOptions(cluster.endpoints),
    auth: { username: 'root', password: ROOT_PASSWORD },
  });
});

afterAll(async () => {
  await Promise.allSettled(providers.map((each) => each.close()));
  for (const client of clients) client.close();
  root?.close();
  await cluster?.close();
});

describe('user and password authentication', () => {
  it('a provider with auth locks; a client without credentials cannot delete the held key, and the holder keeps its lock', async () => {
    const locker = provider({ username: 'locker', password: PASSWORD });
    expect(locker.authUser).toBe('locker');
    const name = `held-${process.pid}`;
    const holder = await locker.lock(name).acquire();
    const anonymous = new Etcd3(etcdClientOptions(cluster.endpoints));
    clients.push(anonymous);
    const refused = await anonymous
      .delete()
      .prefix(`${PREFIX}${name}/`)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    // etcd 3.4 answers a request without a token "user name is empty"; later ones "permission denied".
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/user name is empty|permission denied/);
    expect(await root.getAll().prefix(`${PREFIX}${name}/`).count()).toBe(1);
    expect(holder.held).toBe(true);
    // A second provider with the same credentials queues behind the holder as usual.
    const other = provider({ username: 'locker', password: PASSWORD });
    expect(await other.lock(name).tryAcquire()).toBeNull();
    await holder.release();
    const next = await other.lock(name).acquire({ timeoutMs: 10_000 });
    expect(next.token).toBeGreaterThan(holder.token);
    await next.release();
  });

  it('mutant: with authentication disabled the same anonymous delete removes the held key', async () => {
    const locker = provider({ username: 'locker', password: PASSWORD });
    const name = `mutant-${process.pid}`;
    const holder = await locker.lock(name).acquire();
    await root.auth.authDisable();
    try {
      const anonymous = new Etcd3(etcdClientOptions(cluster.endpoints));
      clients.push(anonymous);
      const deleted = await anonymous.delete().prefix(`${PREFIX}${name}/`).exec();
      expect(Number(deleted.deleted)).toBe(1);
    } finally {
      const setup = new Etcd3(etcdClientOptions(cluster.endpoints));
      await setup.auth.authEnable();
      setup.close();
    }
    await holder.release();
  });

  it('a wrong password rejects acquire (no wait) with a LockBackendError naming the user, never either password', async () => {
    const wrong = 'not-the-password-42';
    const error = await failureOf(provider({ username: 'locker', password: wrong }).lock('x').acquire());
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as LockBackendError).lockName).toBe('x');
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(EtcdAccessError);
    expect((cause as EtcdAccessError).problem).toBe('authentication-failed');
    expect((error as Error).message).toContain('etcd rejected the user name or password of user "locker"');
    const text = errorText(error);
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(PASSWORD);
  });

  it('no auth setting against an etcd with authentication enabled: a LockBackendError saying so', async () => {
    const error = await failureOf(provider().lock('y').acquire());
    expect(LockBackendError.isInstance(error)).toBe(true);
    const cause = (error as Error).cause as EtcdAccessError;
    expect(cause).toBeInstanceOf(EtcdAccessError);
    expect(cause.problem).toBe('authentication-required');
    expect((error as Error).message).toContain('this provider has no auth setting');
  });

  it('passwordFile is read when the provider is made; an unreadable one is named before any I/O', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'etcd-auth-'));
    try {
      const file = join(dir, 'password');
      await writeFile(file, `${PASSWORD}\n`, { mode: 0o600 });
      const fromFile = provider({ username: 'locker', passwordFile: file });
      const lease = await fromFile.lock(`file-${process.pid}`).acquire();
      await lease.release();
      const missing = join(dir, 'absent');
      let thrown: unknown;
      try {
        createProvider({ endpoints: cluster.endpoints, auth: { username: 'locker', passwordFile: missing } });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as InvalidArgumentError).parameter).toBe('options.auth.passwordFile');
      expect((thrown as Error).message).toContain('ENOENT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the auth setting is checked by the schema; no message, description or capability carries the password', async () => {
    const problems = (auth: unknown): string => {
      try {
        createProvider({ endpoints: cluster.endpoints, auth } as never);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        return `${(error as Error).message}\n${inspect(error, { depth: 8 })}`;
      }
      throw new Error('expected InvalidConfigError');
    };
    const both = problems({ username: 'locker', password: PASSWORD, passwordFile: '/run/secret' });
    expect(both).toContain(
      'config.auth.passwordFile: expected no passwordFile beside a password (one of them), received "/run/secret"',
    );
    expect(both).not.toContain(PASSWORD);
    expect(problems({ password: PASSWORD })).toContain('config.auth.username');
    expect(problems({ username: 'locker' })).toContain(
      'config.auth.passwordFile: expected a passwordFile, or a password, received undefined',
    );
    expect(problems({ username: 'locker', pasword: PASSWORD })).toContain('config.auth.pasword');

    const locker = provider({ username: 'locker', password: PASSWORD });
    const described = JSON.stringify(await locker.describe().catch((error: unknown) => errorText(error)));
    expect(described).not.toContain(PASSWORD);
    expect(JSON.stringify(locker.capabilities)).not.toContain(PASSWORD);
    expect(inspect(await locker.status(`st-${process.pid}`), { depth: 8 })).not.toContain(PASSWORD);
  });

  it('auth tokens that expire (--auth-token-ttl 1) while a lock is held and awaited: the holder keeps it, the waiter is granted', {
    timeout: 60_000,
  }, async () => {
    const short = await startEtcd({ members: 1, args: ['--auth-token-ttl', '1'] });
    const created: EtcdProvider[] = [];
    try {
      const setup = new Etcd3(etcdClientOptions(short.endpoints));
      await setup.user('root').create(ROOT_PASSWORD);
      await setup.user('root').addRole('root');
      await setup.role('locker').create();
      await setup.role('locker').grant({ permission: 'Readwrite', range: Range.prefix(PREFIX) });
      await setup.user('locker').create(PASSWORD);
      await setup.user('locker').addRole('locker');
      await setup.auth.authEnable();
      setup.close();
      const make = () => {
        const made = new EtcdProvider({
          endpoints: short.endpoints,
          prefix: PREFIX,
          ttlMs: 2_000,
          auth: { username: 'locker', password: PASSWORD },
        });
        created.push(made);
        return made;
      };
      const [first, second] = [make(), make()];
      const holder = await first.lock('ttl').acquire();
      const waiting = second.lock('ttl').acquire({ timeoutMs: 20_000 });
      // Several token lifetimes: keepalives, the waiter's watch and new requests all outlive their first token.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(holder.held).toBe(true);
      expect(holder.signal.aborted).toBe(false);
      await holder.release();
      const next = await waiting;
      expect(next.token).toBeGreaterThan(holder.token);
      await next.release();
      await (await first.lock('ttl').acquire({ timeoutMs: 10_000 })).release();
    } finally {
      await Promise.allSettled(created.map((each) => each.close()));
      await short.close();
    }
  });

  it('a caller-built client excludes the auth setting (it would be silently ignored)', () => {
    const client = new Etcd3(etcdClientOptions(cluster.endpoints));
    clients.push(client);
    let thrown: unknown;
    try {
      new EtcdProvider({ client, auth: { username: 'locker', password: PASSWORD } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).parameter).toBe('options.auth');
    expect((thrown as Error).message).not.toContain(PASSWORD);
  });
});
