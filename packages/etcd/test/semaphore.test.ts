import { join } from 'node:path';
import { InvalidArgumentError, type Lease, type Lock, PermitsMismatchError, sleep } from '@lock/core';
import { formatReport, runClients } from '@lock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type EtcdProvider, lockKey } from '../src/index.js';
import type { KeyMode } from '../src/internal.js';
import { Child, eventually, fixture, queueLength, useEtcd } from './helpers.js';
import { MutantProvider, waitsOutRevokedHolder, watchesPermitsAhead } from './mode-support.js';

const etcd = useEtcd();
const histories = join(process.env.TMPDIR ?? '/tmp', `lock-etcd-sem-${process.pid}`);
const children: Child[] = [];
afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
});

let names = 0;
function uniqueName(label: string): string {
  names += 1;
  return `sem-${label}-${process.pid}-${names}`;
}

/** A provider of its own (its own session), on the admin client. */
function session(ttlMs = 10_000): MutantProvider {
  return etcd.track(new MutantProvider({ client: etcd.admin, ttlMs })) as MutantProvider;
}

function semaphore(name: string, permits: number, mode?: KeyMode): Lock {
  return mode === undefined ? session().semaphore(name, permits) : session().lockIn(name, mode);
}

describe('semaphore on etcd', () => {
  it('keys are NAME/sem/<lease hex>-<n> holding the permits; status shows permits, holders and waiters', async () => {
    const provider = session();
    const name = uniqueName('keys');
    const held = [await provider.semaphore(name, 2).acquire(), await provider.semaphore(name, 2).acquire()];
    const id = ((await provider.sessionLeaseId()) as bigint).toString(16);
    for (const lease of held) expect(lockKey(lease)).toMatch(new RegExp(`^${name}/sem/${id}-\\d+$`));
    const stored = await etcd.admin.kv.range({ key: Buffer.from(lockKey(held[0]!)) });
    expect(stored.kvs[0]!.value.toString()).toBe('2');
    const waiting = provider.semaphore(name, 2).acquire();
    await eventually(async () => (await queueLength(provider, name)) === 3);
    const status = await provider.status(name);
    expect(status.permits).toBe(2);
    expect(status.holders.map((entry) => entry.token)).toEqual(held.map((lease) => lease.token));
    expect(status.waiterCount).toBe(1);
    await held[0]!.release();
    const third = await waiting;
    expect(third.token).toBeGreaterThan(held[1]!.token);
    for (const lease of [held[1]!, third]) await lease.release();
    expect(await queueLength(provider, name)).toBe(0);
  });

  /**
   * Holders A and B, waiters C and D (four sessions); B, the later holder, releases first. Is C granted
   * (and D after it once A goes), with no fallback read needed?
   */
  async function laterHolderLeavesFirst(mode?: KeyMode): Promise<{ cGranted: boolean; dGranted: boolean }> {
    const name = uniqueName('out-of-order');
    const first = await semaphore(name, 2, mode).acquire();
    const second = await semaphore(name, 2, mode).acquire();
    const settle = (lease: Promise<Lease>) => lease.catch((error: unknown) => error);
    const c = settle(semaphore(name, 2, mode).acquire({ timeoutMs: 4_000 }));
    await eventually(async () => (await queueLength(session(), name)) === 3);
    const d = settle(semaphore(name, 2, mode).acquire({ timeoutMs: 8_000 }));
    await eventually(async () => (await queueLength(session(), name)) === 4);
    // Time for both waiters to have read the queue and set their watches.
    await sleep(200);
    await second.release();
    const cOutcome = await c;
    await first.release();
    const dOutcome = await d;
    for (const outcome of [cOutcome, dOutcome])
      if (!(outcome instanceof Error)) await (outcome as Lease).release();
    expect(await queueLength(session(), name)).toBe(0);
    return { cGranted: !(cOutcome instanceof Error), dGranted: !(dOutcome instanceof Error) };
  }

  it("a later holder's release grants the first waiter, and that grant hands the next one on", async () => {
    expect(await laterHolderLeavesFirst()).toEqual({ cGranted: true, dGranted: true });
  });

  it('mutant: a waiter watching the key `permits` ahead misses a later holder leaving (an idle permit)', async () => {
    expect((await laterHolderLeavesFirst(watchesPermitsAhead(2))).cGranted).toBe(false);
  });

  it('one release wakes one waiter: the first waiter; the others are woken only by the grant before them', async () => {
    const name = uniqueName('herd');
    const holders = [await semaphore(name, 2).acquire(), await semaphore(name, 2).acquire()];
    const waiters = Array.from({ length: 4 }, () => session());
    const leases: Promise<Lease>[] = [];
    for (const waiter of waiters) {
      leases.push(waiter.semaphore(name, 2).acquire());
      await eventually(async () => (await queueLength(session(), name)) === 2 + leases.length);
    }
    await sleep(300);
    // A wake-up by the watch event, or by the read that follows a watch set after the event.
    const woken = (waiter: MutantProvider) => waiter.stats.wakeups + waiter.stats.fallbackWakeups;
    const before = waiters.map(woken);
    await holders[0]!.release();
    const granted = await leases[0]!;
    await eventually(() => woken(waiters[1]!) - before[1]! === 1);
    await sleep(300);
    // The release woke the first waiter; its grant (announced on its key) woke the second, and nobody else.
    expect(waiters.map((waiter, index) => woken(waiter) - before[index]!)).toEqual([1, 1, 0, 0]);
    await granted.release();
    await holders[1]!.release();
    for (const lease of leases.slice(1)) await (await lease).release();
    expect(await queueLength(session(), name)).toBe(0);
  });

  it('other permits than the oldest key holds reject with PermitsMismatchError (at once and queued), leaving no key', async () => {
    const name = uniqueName('mismatch');
    const held = [await semaphore(name, 1).acquire()];
    for (const attempt of [
      () => semaphore(name, 3).acquire({ timeoutMs: 5_000 }),
      () => semaphore(name, 3).tryAcquire(),
    ]) {
      const error = await attempt().catch((refusal: unknown) => refusal);
      expect(PermitsMismatchError.isInstance(error), String(error)).toBe(true);
      expect((error as PermitsMismatchError).permits).toBe(3);
      expect((error as PermitsMismatchError).existingPermits).toBe(1);
    }
    expect(await queueLength(session(), name)).toBe(1);
    await held[0]!.release();
    const agreed = await semaphore(name, 3).acquire();
    await agreed.release();
    expect(await queueLength(session(), name)).toBe(0);
  });

  it('one name is a lock or a semaphore: a semaphore on a locked name is refused and leaves no key', async () => {
    const name = uniqueName('in-use');
    const locked = await session().lock(name).acquire();
    const refused = await semaphore(name, 2)
      .acquire()
      .catch((error: unknown) => error);
    expect(InvalidArgumentError.isInstance(refused), String(refused)).toBe(true);
    expect(await queueLength(session(), name)).toBe(1);
    await locked.release();
  });

  it('kill -9 of a permit holder: its permit comes back with its session', { timeout: 30_000 }, async () => {
    const name = uniqueName('kill');
    const holder = new Child(process.execPath, [
      fixture('mode-holder.mjs'),
      etcd.cluster.endpoints.join(','),
      name,
      'semaphore',
      '1',
      '2000',
    ]);
    children.push(holder);
    const held = JSON.parse(await holder.line()) as { token: string; key: string };
    const waiting = semaphore(name, 1).acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await queueLength(session(), name)) === 2);
    holder.signal('SIGKILL');
    await holder.exited;
    const lease = await waiting;
    expect(lease.token).toBeGreaterThan(BigInt(held.token));
    await lease.release();
    expect(await queueLength(session(), name)).toBe(0);
  });

  it('waitOutRevokedHolders applies to permits: a holder gone with its lease is waited out, a release is not', async () => {
    for (const revoke of [true, false]) {
      const name = uniqueName(revoke ? 'revoked' : 'released');
      const permit = (provider: EtcdProvider) => provider.semaphore(name, 1);
      const seen = await waitsOutRevokedHolder(
        etcd.admin,
        (provider) => etcd.track(provider),
        name,
        permit,
        permit,
        revoke,
      );
      expect(seen, revoke ? 'revoked' : 'released').toEqual({ waits: revoke ? 1 : 0, holderHeld: false });
    }
  });
});

describe('safety with client processes (semaphore)', () => {
  const client = fixture('mode-client.mjs');
  const run = (label: string, mutant?: 'permits-plus-one') =>
    runClients({
      count: 5,
      module: client,
      args: {
        endpoints: etcd.cluster.endpoints,
        ttlMs: 5_000,
        name: uniqueName(label),
        primitive: 'semaphore',
      },
      historyDir: join(histories, label),
      operations: 16,
      permits: 2,
      seed: 43,
      criticalSectionMs: 3,
      ...(mutant === undefined ? {} : { mutant }),
    });

  it('5 processes, 2 permits: never more than 2 holders, every grant made, tokens distinct', {
    timeout: 120_000,
  }, async () => {
    const result = await run('safety');
    expect(result.report.violations, formatReport(result.report)).toBe(0);
    expect(result.report.acquires.ok).toBe(80);
    expect(result.report.permits?.maxHolders).toBe(2);
    expect(result.report.permits?.excessGrants).toBe(0);
    expect(result.report.tokens.duplicates).toBe(0);
  });

  it("mutant 'permits-plus-one' goes red: a third holder is counted", { timeout: 120_000 }, async () => {
    const result = await run('plus-one', 'permits-plus-one');
    expect(result.report.permits?.maxHolders).toBe(3);
    expect(result.report.permits?.excessGrants).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
  });
});
