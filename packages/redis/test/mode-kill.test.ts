import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Lock, LockTimeoutError } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { deadHoldersStay, MutantProvider, type Mutation } from './mode-support.js';

const fixture = join(import.meta.dirname, 'fixtures', 'mode-holder.mjs');
const TTL_MS = 1000;

let server: RedisServer;
const providers: RedisProvider[] = [];
const children: ChildProcess[] = [];
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(providers.map((provider) => provider.close()));
  await server?.close();
});

function provider(mutation?: Mutation): RedisProvider {
  const options = { connection: server.url, ttlMs: TTL_MS };
  const made = mutation === undefined ? new RedisProvider(options) : new MutantProvider(options, mutation);
  providers.push(made);
  return made;
}

/** Starts a holder process and resolves with its token once it holds. */
function startHolder(
  name: string,
  primitive: 'read' | 'permit',
  permits = 1,
  mutant = 'none',
): Promise<{ child: ChildProcess; token: bigint }> {
  const child = spawn(
    process.execPath,
    [fixture, server.url, name, primitive, String(permits), String(TTL_MS), mutant],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /held (\d+)/.exec(output);
      if (match) resolve({ child, token: BigInt(match[1]!) });
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code} before holding`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    process.kill(child.pid!, 'SIGKILL');
  });
}

/** Whether `lock` is granted within `timeoutMs` after a holder of `name` was killed with -9. */
async function grantedAfterKill(
  lock: Lock,
  holder: { child: ChildProcess; token: bigint },
  timeoutMs: number,
) {
  const waiting = lock.acquire({ timeoutMs });
  await killed(holder.child);
  try {
    const lease = await waiting;
    const token = lease.token;
    await lease.release();
    return { granted: true, token };
  } catch (error) {
    if (LockTimeoutError.isInstance(error)) return { granted: false, token: undefined };
    throw error;
  }
}

describe('a holder killed with -9', () => {
  it('gives its read grant back by TTL: a writer waiting for it is granted; red when dead holders stay', async () => {
    const name = 'kill-read';
    const holder = await startHolder(name, 'read');
    const made = provider();
    expect(await made.readWriteLock(name).write.tryAcquire()).toBeNull();
    const outcome = await grantedAfterKill(made.readWriteLock(name).write, holder, 8 * TTL_MS);
    expect(outcome.granted).toBe(true);
    expect(outcome.token).toBeGreaterThan(holder.token);
    expect(await made.leftoverKeys(name)).toEqual([]);

    const mutantName = 'kill-read-mutant';
    const mutantHolder = await startHolder(mutantName, 'read', 1, 'dead-holders-stay');
    const mutant = await grantedAfterKill(
      provider(deadHoldersStay).readWriteLock(mutantName).write,
      mutantHolder,
      4 * TTL_MS,
    );
    expect(mutant.granted).toBe(false);
  }, 40_000);

  it('gives its permit back by TTL: the waiter for the last permit is granted; red when dead holders stay', async () => {
    const name = 'kill-permit';
    const holder = await startHolder(name, 'permit', 2);
    const made = provider();
    const semaphore = made.semaphore(name, 2);
    const mine = await semaphore.acquire();
    const outcome = await grantedAfterKill(semaphore, holder, 8 * TTL_MS);
    expect(outcome.granted).toBe(true);
    expect((await made.status(name)).holders.map((entry) => entry.token)).toEqual([mine.token]);
    await mine.release();
    expect(await made.leftoverKeys(name)).toEqual([]);

    const mutantName = 'kill-permit-mutant';
    const mutantHolder = await startHolder(mutantName, 'permit', 2, 'dead-holders-stay');
    const mutantSemaphore = provider(deadHoldersStay).semaphore(mutantName, 2);
    const mutantMine = await mutantSemaphore.acquire();
    const mutant = await grantedAfterKill(mutantSemaphore, mutantHolder, 4 * TTL_MS);
    expect(mutant.granted).toBe(false);
    await mutantMine.release();
  }, 40_000);
});
