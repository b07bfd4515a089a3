import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientRunControl, type HistoryEvent, runClients, type ZooKeeperEnsemble } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockParentPath, type ZooKeeperSession } from '../src/internal.js';
import { adminSession, lockNodes, startServers } from './support.js';

const clientModule = fileURLToPath(new URL('./fixtures/zk-client.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lock-zk-safety-'));
let servers: ZooKeeperEnsemble;
let admin: ZooKeeperSession;

beforeAll(async () => {
  servers = await startServers();
  admin = await adminSession(servers.connectionString);
});

afterAll(async () => {
  await admin?.close();
  await servers?.close();
  rmSync(dir, { recursive: true, force: true });
});

function orphans(name: string) {
  return async () => ({ znodes: (await lockNodes(admin, lockParentPath('/locks', name))).length });
}

/**
 * Stops the next `times` holders right after they read the resource, for longer than their session
 * timeout: each wakes up as a stale writer whose session (and lock) is gone and whose successor wrote.
 */
function pauseHolders(times: number, pauseMs: number) {
  let remaining = times;
  let pausing = false;
  const hook = (event: HistoryEvent, control: ClientRunControl): void => {
    if (pausing || remaining === 0 || event.type !== 'ok' || event.f !== 'read') return;
    const proc = event.proc as number;
    pausing = true;
    remaining -= 1;
    hook.pauses += 1;
    control.pause(proc);
    setTimeout(() => {
      control.resume(proc);
      pausing = false;
    }, pauseMs);
  };
  hook.pauses = 0;
  return hook;
}

describe('safety with client processes', () => {
  it('5 processes keep a read-sleep-write counter exact; tokens strictly increase; no orphan nodes', async () => {
    const name = `counter-${process.pid}`;
    const result = await runClients({
      count: 5,
      module: clientModule,
      args: { connectionString: servers.connectionString, name },
      historyDir: join(dir, 'counter'),
      operations: 20,
      seed: 11,
      criticalSectionMs: 3,
      countOrphans: orphans(name),
    });
    expect(result.report.acquires.ok).toBe(100);
    expect(result.resource.value).toBe(100);
    expect(result.report.violations).toBe(0);
    expect(result.report.overlaps.count).toBe(0);
    expect(result.report.tokens).toEqual({ grants: 100, regressions: 0, duplicates: 0 });
    expect(result.report.orphans).toEqual({ znodes: 0 });
  });

  it("mutant 'no-lock' loses updates (the check can fail)", async () => {
    const name = `counter-mutant-${process.pid}`;
    const result = await runClients({
      count: 5,
      module: clientModule,
      args: { connectionString: servers.connectionString, name },
      historyDir: join(dir, 'no-lock'),
      operations: 20,
      seed: 12,
      criticalSectionMs: 3,
      mutant: 'no-lock',
    });
    expect(result.report.lostUpdates.lost).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
  });

  for (const mutant of ['none', 'fencing-off'] as const) {
    it(mutant === 'none'
      ? 'a holder paused past its session timeout is fenced out at the resource: 0 stale accepted, 0 lost'
      : 'mutant fencing-off: the same pauses lose updates', { timeout: 120_000 }, async () => {
      const name = `paused-${mutant}-${process.pid}`;
      const pause = pauseHolders(3, 3_500);
      const result = await runClients({
        count: 3,
        module: clientModule,
        args: {
          connectionString: servers.connectionString,
          name,
          sessionTimeoutMs: 2_000,
          blindToLoss: true,
        },
        historyDir: join(dir, `paused-${mutant}`),
        operations: 8,
        seed: 13,
        criticalSectionMs: 10,
        mutant,
        acquireOptions: { timeoutMs: 60_000 },
        overlapsAreViolations: false,
        onEvent: pause,
        timeoutMs: 110_000,
      });
      expect(pause.pauses).toBe(3);
      expect(result.report.overlaps.count).toBeGreaterThan(0);
      if (mutant === 'none') {
        expect(result.report.writes.fail).toBeGreaterThan(0);
        expect(result.report.stale.staleAccepted).toBe(0);
        expect(result.report.lostUpdates.lost).toBe(0);
        expect(result.report.violations).toBe(0);
      } else {
        expect(result.report.lostUpdates.lost).toBeGreaterThan(0);
      }
    });
  }
});
