import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientRunControl,
  formatReport,
  readHistory,
  runClients,
  startGuardedResource,
} from '../src/index.js';
import { TcpLockServer } from './fixtures/tcp-lock-server.js';
import { expectAllGone } from './pid-assertions.js';

const lockModule = fileURLToPath(new URL('./fixtures/tcp-lock-client.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lock-testkit-run-'));
const spawned = new Set<number>();
let lockServer: TcpLockServer;
let lockPort: number;

beforeAll(async () => {
  lockServer = new TcpLockServer();
  lockPort = await lockServer.listen();
});

afterAll(async () => {
  await lockServer.close();
  rmSync(dir, { recursive: true, force: true });
  expectAllGone(spawned);
});

/**
 * Pauses the next `times` holders right after their grant for longer than the lease TTL, so that each
 * wakes up as a stale writer: it read the counter before the pause and writes after others moved on.
 */
function pauseHolders(times: number, pauseMs: number) {
  let remaining = times;
  let pausing = false;
  const hook = (
    event: { proc: number | string; type: string; f: string },
    control: ClientRunControl,
  ): void => {
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

describe('runClients', () => {
  it('finds 0 violations with a correct lock, and records everything', async () => {
    const started: number[] = [];
    const result = await runClients({
      count: 5,
      module: lockModule,
      args: { port: lockPort, ttlMs: 10_000 },
      historyDir: join(dir, 'correct'),
      operations: 10,
      seed: 1,
      onStart: (control) => {
        started.push(...control.pids);
        for (const pid of control.pids) spawned.add(pid);
      },
    });
    expect(started).toHaveLength(5);
    expect(result.report.violations).toBe(0);
    expect(result.report.acquires.ok).toBe(50);
    expect(result.report.writes.ok).toBe(50);
    expect(result.resource.value).toBe(50);
    expect(result.report.tokens).toEqual({ grants: 50, regressions: 0, duplicates: 0 });
    // Four operations per critical section: acquire, read, write, release.
    expect(formatReport(result.report).split('\n')[0]).toBe(
      '0 violations in 200 operations and 0 faults (seed 1)',
    );
    // The merged history on disk is the one that was checked, and checks again from the file.
    expect(readHistory(result.historyFile)).toEqual(result.history);
    expect(readFileSync(join(dir, 'correct', 'proc-0.ndjson'), 'utf8').split('\n')[0]).toContain(
      '"f":"acquire"',
    );
  });

  it("goes red with mutant 'no-lock': lost updates", async () => {
    const result = await runClients({
      count: 4,
      module: lockModule,
      args: { port: lockPort },
      historyDir: join(dir, 'no-lock'),
      operations: 15,
      mutant: 'no-lock',
      seed: 2,
      criticalSectionMs: 5,
      onStart: (control) => {
        for (const pid of control.pids) spawned.add(pid);
      },
    });
    expect(result.report.lostUpdates.lost).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
    expect(result.resource.fencing).toBe('off');
  });

  it('keeps the resource safe when a paused holder wakes up as a stale writer: the fence rejects it', async () => {
    const pause = pauseHolders(3, 500);
    const result = await runClients({
      count: 3,
      module: lockModule,
      args: { port: lockPort },
      acquireOptions: { ttlMs: 150 },
      historyDir: join(dir, 'fenced'),
      operations: 12,
      seed: 3,
      criticalSectionMs: 20,
      overlapsAreViolations: false,
      onStart: (control) => {
        for (const pid of control.pids) spawned.add(pid);
      },
      onEvent: (event, control) => {
        // The hook sees the holder the parent tracks from the event stream.
        if (event.type === 'ok' && event.f === 'read') expect(control.holders()).toContain(event.proc);
        pause(event, control);
      },
    });
    // Each pause is two fault events (SIGSTOP, SIGCONT).
    expect(pause.pauses).toBeGreaterThan(0);
    expect(result.report.faults).toBe(2 * pause.pauses);
    // The paused holders believed they held while others did.
    expect(result.report.overlaps.count).toBeGreaterThan(0);
    expect(result.report.writes.fail).toBeGreaterThan(0);
    expect(result.report.stale.staleAccepted).toBe(0);
    expect(result.report.lostUpdates.lost).toBe(0);
    expect(result.report.violations).toBe(0);
  });

  it("goes red with mutant 'fencing-off': the resource accepts the stale writes", async () => {
    const resource = await startGuardedResource({ fencing: 'off' });
    spawned.add(resource.pid);
    try {
      const result = await runClients({
        count: 3,
        module: lockModule,
        args: { port: lockPort },
        resourceUrl: resource.url,
        acquireOptions: { ttlMs: 150 },
        historyDir: join(dir, 'fencing-off'),
        operations: 12,
        mutant: 'fencing-off',
        seed: 3,
        criticalSectionMs: 20,
        overlapsAreViolations: false,
        onStart: (control) => {
          for (const pid of control.pids) spawned.add(pid);
        },
        onEvent: pauseHolders(3, 500),
      });
      expect(result.report.stale.staleAccepted).toBeGreaterThan(0);
      expect(result.report.lostUpdates.lost).toBeGreaterThan(0);
      expect(result.report.violations).toBeGreaterThan(0);
    } finally {
      await resource.close();
    }
  });

  it('refuses the fencing-off mutant on a fenced resource', async () => {
    const resource = await startGuardedResource();
    spawned.add(resource.pid);
    try {
      await expect(
        runClients({
          count: 1,
          module: lockModule,
          args: { port: lockPort },
          resourceUrl: resource.url,
          historyDir: join(dir, 'refused'),
          operations: 1,
          mutant: 'fencing-off',
        }),
      ).rejects.toThrow(/needs a resource with fencing off/);
    } finally {
      await resource.close();
    }
  });

  it('reports a client module that fails to load, with its error', async () => {
    await expect(
      runClients({
        count: 1,
        module: lockModule,
        exportName: 'missing',
        args: { port: lockPort },
        historyDir: join(dir, 'broken'),
        operations: 1,
      }),
    ).rejects.toThrow(/has no function export "missing"/);
  });
});
