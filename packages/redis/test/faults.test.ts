import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockLostError, sleep } from '@lock/core';
import {
  FaultProxy,
  formatReport,
  type RedisServer,
  runClients,
  startGuardedResource,
  startRedis,
} from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';
import { lockKeys } from '../src/internal.js';

const fixture = join(import.meta.dirname, 'fixtures', 'redis-client.mjs');

let server: RedisServer;
let dir: string;
beforeAll(async () => {
  server = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'lock-redis-faults-'));
});
afterAll(async () => {
  await server?.close();
  // LOCK_KEEP_HISTORY=1 keeps the NDJSON histories for a look with the checkers.
  if (dir === undefined) return;
  if (process.env.LOCK_KEEP_HISTORY === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`histories kept in ${dir}`);
});

async function leftovers(name: string): Promise<Record<string, number>> {
  const provider = new RedisProvider({ connection: server.url });
  try {
    return { keys: (await provider.leftoverKeys(name)).length };
  } finally {
    await provider.close();
  }
}

describe('a shared counter with clients in child processes', () => {
  it('stays exact with the lock, and loses increments without it', async () => {
    const args = { url: server.url, ttlMs: 5000, name: 'counter' };
    const locked = await runClients({
      count: 5,
      module: fixture,
      args,
      historyDir: join(dir, 'counter'),
      operations: 30,
      criticalSectionMs: 2,
      countOrphans: () => leftovers('counter'),
    });
    expect(locked.report.violations, formatReport(locked.report)).toBe(0);
    expect(locked.resource.value).toBe(150);
    expect(locked.report.writes.ok).toBe(150);
    expect(locked.report.tokens).toMatchObject({ regressions: 0, duplicates: 0 });

    const mutant = await runClients({
      count: 5,
      module: fixture,
      args,
      historyDir: join(dir, 'counter-mutant'),
      operations: 30,
      criticalSectionMs: 2,
      mutant: 'no-lock',
    });
    expect(mutant.report.lostUpdates.lost).toBeGreaterThan(0);
  }, 90_000);
});

describe('a holder paused past its TTL (SIGSTOP)', () => {
  async function pausedRun(mutant: 'none' | 'fencing-off', label: string) {
    // The pause must land inside a critical section; a SIGSTOP that arrives after a short one ended missed it,
    // and the run is repeated (at most three times) rather than counted.
    for (let attempt = 1; ; attempt += 1) {
      const run = await pausedAttempt(mutant, `${label}-${attempt}`);
      if (run.pausedNote !== undefined || attempt === 3) return run;
    }
  }

  async function pausedAttempt(mutant: 'none' | 'fencing-off', label: string) {
    const notes = join(dir, `${label}-notes.ndjson`);
    rmSync(notes, { force: true });
    const resource = await startGuardedResource({ fencing: mutant === 'none' ? 'on' : 'off' });
    let paused: number | undefined;
    let pausedToken: string | undefined;
    const lastToken = new Map<number, string>();
    try {
      const result = await runClients({
        count: 3,
        module: fixture,
        args: { url: server.url, ttlMs: 1000, name: `paused-${label}`, notes, ignoreSignal: true },
        resourceUrl: resource.url,
        historyDir: join(dir, label),
        operations: 8,
        criticalSectionMs: 200,
        mutant,
        overlapsAreViolations: false,
        onEvent: (event, control) => {
          if (typeof event.proc !== 'number') return;
          if (event.f === 'acquire' && event.type === 'ok') lastToken.set(event.proc, String(event.token));
          // Pause a holder between its read and its write: on resume its write is late and stale.
          if (paused !== undefined || event.f !== 'read' || event.type !== 'ok') return;
          paused = event.proc;
          pausedToken = lastToken.get(paused);
          control.pause(paused);
          setTimeout(() => control.resume(paused!), 2500);
        },
      });
      const pausedNote = readFileSync(notes, 'utf8')
        .trim()
        .split('\n')
        .map(
          (line) => JSON.parse(line) as { token: string; abortedBeforeRelease: boolean; released: boolean },
        )
        .find((note) => note.token === pausedToken && !note.released);
      return { ...result, pausedNote };
    } finally {
      await resource.close();
    }
  }

  it('finds lease.signal aborted on resume, its release keeps the next holder key, its late write is rejected', async () => {
    const fenced = await pausedRun('none', 'paused');
    expect(fenced.pausedNote).toMatchObject({ abortedBeforeRelease: true, released: false });
    expect(fenced.report.stale.staleAccepted).toBe(0);
    expect(fenced.report.stale.rejected).toBeGreaterThanOrEqual(1);
    expect(fenced.report.violations, formatReport(fenced.report)).toBe(0);
    expect(fenced.report.writes.fail).toBeGreaterThanOrEqual(1);
    expect(fenced.resource.value).toBe(fenced.report.writes.ok);

    const mutant = await pausedRun('fencing-off', 'paused-mutant');
    expect(mutant.report.violations, formatReport(mutant.report)).toBeGreaterThan(0);
  }, 90_000);
});

describe('server faults', () => {
  it('a restart without persistence loses the lock but not the token order: a late write of the old holder is refused', async () => {
    const own = await startRedis();
    const resource = await startGuardedResource({ fencing: 'on' });
    const a = new RedisProvider({ connection: own.url, ttlMs: 2000 });
    const b = new RedisProvider({ connection: own.url, ttlMs: 2000 });
    try {
      let held = await a.lock('restart').acquire();
      for (let i = 0; i < 4; i += 1) {
        expect((await resource.client.write(i + 1, held.token, 'a')).accepted).toBe(true);
        await held.release();
        held = await a.lock('restart').acquire();
      }
      await own.restart();
      const lost = new Promise((resolve) =>
        held.signal.addEventListener('abort', () => resolve(held.signal.reason)),
      );
      // The lock was lost with the data; the new counter starts from the server clock, above the old tokens.
      const fresh = await b.lock('restart').acquire({ timeoutMs: 5000 });
      expect(fresh.token).toBeGreaterThan(held.token);
      expect((await resource.client.write(99, fresh.token, 'b')).accepted).toBe(true);
      // The old holder, not yet aware, writes late: the fence refuses it.
      expect((await resource.client.write(5, held.token, 'a')).accepted).toBe(false);
      // Broken variant: a resource without fencing takes the stale write.
      const unfenced = await startGuardedResource({ fencing: 'off' });
      try {
        expect((await unfenced.client.write(1, fresh.token, 'b')).accepted).toBe(true);
        expect((await unfenced.client.write(2, held.token, 'a')).accepted).toBe(true);
      } finally {
        await unfenced.close();
      }
      expect(LockLostError.isInstance(await lost)).toBe(true);
      await fresh.release();
    } finally {
      await Promise.all([a.close(), b.close()]);
      await resource.close();
      await own.close();
    }
  }, 30_000);

  it('a blackholed connection makes the holder declare the lock lost by its own deadline, before the server expires it', async () => {
    const proxy = await FaultProxy.start({ targetPort: server.port });
    const provider = new RedisProvider({ connection: `redis://127.0.0.1:${proxy.port}`, ttlMs: 1500 });
    try {
      const lease = await provider.lock('blackhole').acquire();
      const acquiredAt = performance.now();
      proxy.blackhole();
      const reason = await new Promise<unknown>((resolve) =>
        lease.signal.addEventListener('abort', () => resolve(lease.signal.reason), { once: true }),
      );
      const detectedAfterMs = performance.now() - acquiredAt;
      const pttl = Number(await server.command('PTTL', lockKeys('lock:', 'blackhole').lock));
      expect(LockLostError.isInstance(reason)).toBe(true);
      expect((reason as LockLostError).reason).toBe('unconfirmed');
      expect(detectedAfterMs).toBeLessThan(1500);
      expect(pttl).toBeGreaterThan(0); // the server still holds it: the client gave up first
    } finally {
      // Bytes swallowed by the blackhole are gone (a real network would retransmit them), so the stream is out
      // of step: reset it, and ioredis reconnects and resends what is unanswered.
      proxy.pass();
      proxy.reset();
      await provider.close();
      await proxy.close();
      await sleep(10);
    }
  }, 30_000);
});
