import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { InvalidConfigError, type Lease, LockBackendError } from '@lock/core';
import { describe, expect, it } from 'vitest';
import {
  createProvider,
  defaultClientFactory,
  ZooKeeperError,
  type ZooKeeperProvider,
} from '../src/index.js';
import { ZK, ZooKeeperSession } from '../src/internal.js';
import { grantOf, lockNodes, useZooKeeper } from './support.js';

const zk = useZooKeeper();
const PASSWORD = 'digest-secret-pw';
const digest = (password = PASSWORD) => ({ scheme: 'digest' as const, username: 'locker', password });

/** The lock nodes under `parent`, read by a session with the credentials (the ACL denies others reading). */
async function queueOf(parent: string): Promise<string[]> {
  const client = await defaultClientFactory({ connect: zk.servers.connectionString, timeout: 10_000 });
  const session = new ZooKeeperSession(client, {
    scheme: 'digest',
    username: 'locker',
    secret: `locker:${PASSWORD}`,
  });
  try {
    await session.whenConnected(AbortSignal.timeout(20_000));
    return await lockNodes(session, parent);
  } finally {
    await session.close();
  }
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
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * What a client without the credentials can do to a held lock: delete the holder's node (and then a second,
 * authenticated provider can take the lock while the first still holds it), or queue a node of its own.
 */
async function attack(
  holderProvider: ZooKeeperProvider,
  contender: ZooKeeperProvider,
  name: string,
): Promise<{ deleteCode: number; createCode: number; holder: Lease; second: Lease | null }> {
  const holder = await holderProvider.lock(name).acquire();
  const node = grantOf(holder).path;
  const codeOf = (operation: Promise<unknown>) =>
    operation.then(
      () => ZK.OK,
      (error: unknown) => (error instanceof ZooKeeperError ? error.code : Number.NaN),
    );
  const deleteCode = await codeOf(zk.admin.delete(node));
  const second = await contender.lock(name).tryAcquire();
  const intruder = `${holderProvider.parentPath(name)}/intruder`;
  const createCode = await codeOf(zk.admin.create(intruder, ZK.PERSISTENT));
  if (createCode === ZK.OK) await zk.admin.delete(intruder);
  return { deleteCode, createCode, holder, second };
}

describe('digest authentication and ACLs', () => {
  it('a client without the credentials can neither delete a held lock node nor queue one: the holder keeps its lock', async () => {
    const name = zk.uniqueName('acl');
    const holderProvider = zk.provider({ root: '/secure', auth: digest() });
    const contender = zk.provider({ root: '/secure', auth: digest() });
    const { deleteCode, createCode, holder, second } = await attack(holderProvider, contender, name);
    expect(deleteCode).toBe(ZK.NOAUTH);
    expect(createCode).toBe(ZK.NOAUTH);
    expect(second).toBeNull();
    expect(holder.held).toBe(true);
    expect(holder.signal.aborted).toBe(false);
    // The holder's node is still there, alone in the queue, and a second session with the same credentials
    // (another process of the same application) is admitted once the holder lets go.
    expect(await queueOf(holderProvider.parentPath(name))).toHaveLength(1);
    expect(await holder.release()).toBe(true);
    const next = await contender.lock(name).acquire({ timeoutMs: 10_000 });
    expect(next.token).toBeGreaterThan(holder.token);
    await next.release();
  });

  it('semaphores and read-write locks work the same under the ACL (grants announce themselves on their own nodes)', async () => {
    const name = zk.uniqueName('acl-sem');
    const first = zk.provider({ root: '/secure', auth: digest() });
    const second = zk.provider({ root: '/secure', auth: digest() });
    const a = await first.semaphore(name, 2).acquire();
    const b = await second.semaphore(name, 2).acquire();
    expect(await first.semaphore(name, 2).tryAcquire()).toBeNull();
    const c = second.semaphore(name, 2).acquire({ timeoutMs: 10_000 });
    await a.release();
    await (await c).release();
    await b.release();
    const rw = zk.uniqueName('acl-rw');
    const reader = await first.readWriteLock(rw).read.acquire();
    const writer = second.readWriteLock(rw).write.acquire({ timeoutMs: 10_000 });
    await reader.release();
    await (await writer).release();
  });

  it('mutant: without the auth setting the same attack deletes the node and a second holder is granted', async () => {
    const name = zk.uniqueName('acl-mutant');
    const holderProvider = zk.provider({ root: '/open' });
    const contender = zk.provider({ root: '/open' });
    const { deleteCode, createCode, holder, second } = await attack(holderProvider, contender, name);
    expect(deleteCode).toBe(ZK.OK);
    expect(createCode).toBe(ZK.OK);
    // Two believed holders at once: what the ACL prevents.
    expect(second).not.toBeNull();
    expect(holder.held).toBe(true);
    await second?.release();
    await holder.release();
  });

  it('a provider without credentials is refused with a LockBackendError saying the ACL requires them', async () => {
    const name = zk.uniqueName('no-creds');
    const owner = zk.provider({ root: '/secure', auth: digest() });
    const holder = await owner.lock(name).acquire();
    const stranger = zk.provider({ root: '/secure' });
    const error = await failureOf(stranger.lock(name).acquire({ timeoutMs: 10_000 }));
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as LockBackendError).lockName).toBe(name);
    expect((error as Error).message).toMatch(/NOAUTH/);
    expect((error as Error).message).toMatch(/requires credentials and this provider has no auth setting/);
    expect(holder.held).toBe(true);
    await holder.release();
  });

  it('a wrong password is refused with a LockBackendError naming the user, never either password', async () => {
    const name = zk.uniqueName('wrong-pw');
    const owner = zk.provider({ root: '/secure', auth: digest() });
    const holder = await owner.lock(name).acquire();
    const wrong = 'not-the-password-42';
    const intruder = zk.provider({ root: '/secure', auth: digest(wrong) });
    const error = await failureOf(intruder.lock(name).acquire({ timeoutMs: 10_000 }));
    expect(LockBackendError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/NOAUTH/);
    expect((error as Error).message).toContain('digest user "locker"');
    expect((error as Error).cause).toBeInstanceOf(ZooKeeperError);
    const text = errorText(error);
    expect(text).not.toContain(wrong);
    expect(text).not.toContain(PASSWORD);
    // Nothing of the intruder's was left in the queue, and the holder is untouched.
    expect(await queueOf(owner.parentPath(name))).toHaveLength(1);
    // Without the credentials not even reading the queue is allowed.
    await expect(lockNodes(zk.admin, owner.parentPath(name))).rejects.toMatchObject({ code: ZK.NOAUTH });
    expect(holder.held).toBe(true);
    await holder.release();
  });

  it('passwordFile: the password is read from the file when a session opens; an unreadable file is named, not read out', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zk-auth-'));
    try {
      const file = join(dir, 'password');
      await writeFile(file, `${PASSWORD}\n`, { mode: 0o600 });
      const name = zk.uniqueName('pw-file');
      const inline = zk.provider({ root: '/secure', auth: digest() });
      const fromFile = zk.provider({
        root: '/secure',
        auth: { scheme: 'digest', username: 'locker', passwordFile: file },
      });
      // Same identity: the file's provider passes the ACL the inline one's nodes carry.
      const first = await inline.lock(name).acquire();
      const waiting = fromFile.lock(name).acquire({ timeoutMs: 10_000 });
      await first.release();
      await (await waiting).release();

      const missing = zk.provider({
        root: '/secure',
        auth: { scheme: 'digest', username: 'locker', passwordFile: join(dir, 'absent') },
      });
      const error = await failureOf(missing.lock(name).acquire({ timeoutMs: 10_000 }));
      expect(LockBackendError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('auth.passwordFile');
      expect((error as Error).message).toContain('ENOENT');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the auth setting is checked before any I/O, and no message or description carries the password', async () => {
    const connectionString = zk.servers.connectionString;
    const problems = (auth: unknown): string => {
      try {
        createProvider({ connectionString, auth } as never);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        return `${(error as Error).message}\n${inspect(error, { depth: 8 })}`;
      }
      throw new Error('expected InvalidConfigError');
    };
    const both = problems({ ...digest(), passwordFile: '/run/secret' });
    expect(both).toContain(
      'config.auth.passwordFile: expected no passwordFile beside a password (one of them), received "/run/secret"',
    );
    expect(both).not.toContain(PASSWORD);
    expect(problems({ scheme: 'digest', username: 'locker' })).toContain(
      'config.auth.passwordFile: expected a passwordFile, or a password, received undefined',
    );
    expect(problems({ scheme: 'digest', username: 'a:b', password: PASSWORD })).toContain(
      'config.auth.username: expected a user name without ":"',
    );
    expect(problems({ scheme: 'sasl', username: 'locker', password: PASSWORD })).toContain(
      'config.auth.scheme',
    );
    expect(problems({ scheme: 'digest', username: 'locker', password: PASSWORD, pasword: 1 })).toContain(
      'config.auth.pasword',
    );

    const provider = zk.provider({ root: '/secure', auth: digest() });
    expect(provider.authUser).toBe('locker');
    const described = JSON.stringify(await provider.describe());
    expect(described).not.toContain(PASSWORD);
    expect(JSON.stringify(provider.capabilities)).not.toContain(PASSWORD);
  });
});
