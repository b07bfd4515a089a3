import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientRunControl,
  formatReport,
  type HistoryEvent,
  runClients,
  uniqueName,
} from '@lock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, usePostgres } from './helpers.js';

const historyRoot = mkdtempSync(join(tmpdir(), 'lock-postgres-history-'));
afterAll(() => rmSync(historyRoot, { recursive: true, force: true }));

const pg = usePostgres();

/** How many advisory locks and lock waits are left on the server (all names). */
async function advisoryEntries(): Promise<number> {
  const { rows } = await pg.admin.query(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'",
  );
  return rows[0].n as number;
}

describe('safety checker, client processes on one server', () => {
  it('keeps the counter exact with 5 client processes; the no-lock mutant loses updates', {
    timeout: 120_000,
  }, async () => {
    const name = uniqueName('processes');
    const run = await runClients({
      count: 5,
      module: fixture('client.mjs'),
      args: { url: pg.server.url, ttlMs: 5_000, name },
      historyDir: join(historyRoot, 'processes'),
      operations: 20,
      countOrphans: async () => ({ advisory: await advisoryEntries() }),
    });
    expect(run.report.violations, formatReport(run.report)).toBe(0);
    expect(run.report.writes.ok).toBe(100);
    expect(run.resource.value).toBe(100);
    expect(run.report.tokens.regressions + run.report.tokens.duplicates).toBe(0);

    const mutant = await runClients({
      count: 5,
      module: fixture('client.mjs'),
      args: { url: pg.server.url, ttlMs: 5_000, name },
      historyDir: join(historyRoot, 'processes-mutant'),
      operations: 20,
      mutant: 'no-lock',
    });
    expect(mutant.report.lostUpdates.lost, formatReport(mutant.report)).toBeGreaterThan(0);
  });

  // A holder paused (SIGSTOP) past the session TTL: the server ends its idle session (idle_session_timeout),
  // which frees its lock for the next client; on SIGCONT the careless holder writes with its old token.
  for (const mutant of ['none', 'fencing-off'] as const) {
    it(mutant === 'none'
      ? 'holders paused past the session TTL are fenced out: 0 stale accepted, 0 lost'
      : 'mutant fencing-off: the same pauses lose updates', { timeout: 120_000 }, async () => {
      const name = uniqueName(`paused-${mutant}`);
      const pause = pauseHolders(3, 2_500);
      const run = await runClients({
        count: 3,
        module: fixture('client.mjs'),
        args: { url: pg.server.url, ttlMs: 1_000, name },
        historyDir: join(historyRoot, `paused-${mutant}`),
        operations: 8,
        seed: 7,
        criticalSectionMs: 10,
        mutant,
        checkLeaseBeforeWrite: false,
        acquireOptions: { timeoutMs: 60_000 },
        overlapsAreViolations: false,
        onEvent: pause,
        timeoutMs: 110_000,
      });
      expect(pause.pauses).toBe(3);
      expect(run.report.overlaps.count, formatReport(run.report)).toBeGreaterThan(0);
      if (mutant === 'none') {
        expect(run.report.writes.fail).toBeGreaterThan(0);
        expect(run.report.stale.staleAccepted).toBe(0);
        expect(run.report.lostUpdates.lost).toBe(0);
        expect(run.report.violations, formatReport(run.report)).toBe(0);
      } else {
        expect(run.report.lostUpdates.lost, formatReport(run.report)).toBeGreaterThan(0);
      }
    });
  }
});

/** Pauses the holder that just read, `count` times, each for `pauseMs`, one at a time. */
function pauseHolders(count: number, pauseMs: number) {
  let pausing = false;
  const handler = (event: HistoryEvent, control: ClientRunControl) => {
    if (pausing || handler.pauses >= count || event.f !== 'read' || event.type !== 'ok') return;
    if (typeof event.proc !== 'number') return;
    pausing = true;
    handler.pauses += 1;
    const proc = event.proc;
    control.pause(proc);
    setTimeout(() => {
      control.resume(proc);
      pausing = false;
    }, pauseMs);
  };
  handler.pauses = 0;
  return handler;
}
