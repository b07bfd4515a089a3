import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientRunControl,
  formatReport,
  type HistoryEvent,
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

/**
 * Makes the interleaving a write fence alone gets wrong, `scenarios` times: a holder is paused right after
 * its read until its lease has expired and the next holder has read too; that newer holder is then paused
 * while the older one's late write goes out, and resumed once the resource answered it. Returns the hook
 * and the (older, newer) pairs it staged.
 */
function olderWritesInside(scenarios: number) {
  let phase: 'idle' | 'older-paused' | 'older-writing' = 'idle';
  let older = -1;
  let newer = -1;
  const staged: Array<{ older: number; newer: number }> = [];
  const hook = (event: HistoryEvent, control: ClientRunControl): void => {
    if (typeof event.proc !== 'number') return;
    const proc = event.proc;
    if (phase === 'idle' && staged.length < scenarios && event.f === 'read' && event.type === 'ok') {
      phase = 'older-paused';
      older = proc;
      control.pause(proc);
      // Never strand a paused client if nobody reads again (the run would hang instead of failing).
      const mine = staged.length;
      setTimeout(() => {
        if (phase === 'older-paused' && staged.length === mine) {
          phase = 'idle';
          control.resume(older);
        }
      }, 3_000);
    } else if (phase === 'older-paused' && proc !== older && event.f === 'read' && event.type === 'ok') {
      phase = 'older-writing';
      newer = proc;
      staged.push({ older, newer });
      control.pause(newer);
      control.resume(older);
    } else if (
      phase === 'older-writing' &&
      proc === older &&
      event.f === 'write' &&
      event.type !== 'invoke'
    ) {
      phase = 'idle';
      control.resume(newer);
    }
  };
  return { hook, staged };
}

/** How many staged pairs really interleaved so: newer read, then the older write answered, then newer write. */
function interleavedInside(
  history: readonly HistoryEvent[],
  staged: ReadonlyArray<{ older: number; newer: number }>,
): number {
  const next = (proc: number, f: 'read' | 'write', done: boolean, after: bigint) =>
    history.find(
      (event) =>
        event.proc === proc &&
        event.f === f &&
        (done ? event.type !== 'invoke' : event.type === 'invoke') &&
        event.t > after,
    )?.t;
  let count = 0;
  let after = 0n;
  for (const { older, newer } of staged) {
    const newerRead = next(newer, 'read', true, after);
    if (newerRead === undefined) break;
    const olderWrote = next(older, 'write', true, newerRead);
    const newerWrite = next(newer, 'write', false, newerRead);
    if (olderWrote !== undefined && newerWrite !== undefined && olderWrote < newerWrite) count += 1;
    after = newerRead;
  }
  return count;
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

  it('reads carry the token: an older holder writing between a newer read and write is refused, nothing lost', async () => {
    const { hook, staged } = olderWritesInside(3);
    const result = await runClients({
      count: 3,
      module: lockModule,
      args: { port: lockPort },
      acquireOptions: { ttlMs: 150 },
      historyDir: join(dir, 'older-inside'),
      operations: 8,
      seed: 5,
      criticalSectionMs: 100,
      overlapsAreViolations: false,
      onStart: (control) => {
        for (const pid of control.pids) spawned.add(pid);
      },
      onEvent: hook,
    });
    expect(interleavedInside(result.history, staged)).toBeGreaterThan(0);
    const readsWithToken = result.history.filter((event) => event.f === 'read' && event.type === 'invoke');
    expect(readsWithToken.every((event) => typeof event.token === 'bigint')).toBe(true);
    expect(result.resource.reads.length).toBe(readsWithToken.length);
    expect(result.report.writes.fail).toBeGreaterThan(0);
    expect(result.report.lostUpdates.lost).toBe(0);
    expect(result.report.violations, formatReport(result.report)).toBe(0);
  });

  it("goes red with mutant 'reads-unfenced': the same interleaving loses updates a write fence accepted", async () => {
    const { hook, staged } = olderWritesInside(3);
    const result = await runClients({
      count: 3,
      module: lockModule,
      args: { port: lockPort },
      acquireOptions: { ttlMs: 150 },
      historyDir: join(dir, 'older-inside-mutant'),
      operations: 8,
      mutant: 'reads-unfenced',
      seed: 5,
      criticalSectionMs: 100,
      overlapsAreViolations: false,
      onStart: (control) => {
        for (const pid of control.pids) spawned.add(pid);
      },
      onEvent: hook,
    });
    expect(result.resource.fencing).toBe('writes-only');
    const inside = interleavedInside(result.history, staged);
    expect(inside).toBeGreaterThan(0);
    expect(result.report.lostUpdates.lost).toBeGreaterThanOrEqual(inside);
    expect(result.report.stale.staleAccepted).toBeGreaterThan(0);
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
