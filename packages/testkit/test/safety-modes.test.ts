import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientRunControl, formatReport, runClients } from '../src/index.js';
import { TcpModesServer } from './fixtures/tcp-modes-server.js';
import { expectAllGone } from './pid-assertions.js';

// The safety runner with read-write and semaphore clients, on a correct server (0 violations) and on the
// two mutants that must turn it red because of their fault.

const modesModule = fileURLToPath(new URL('./fixtures/tcp-modes-client.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'lock-testkit-modes-'));
const spawned = new Set<number>();
const track = (control: ClientRunControl) => {
  for (const pid of control.pids) spawned.add(pid);
};
let server: TcpModesServer;
let port: number;

beforeAll(async () => {
  server = new TcpModesServer();
  port = await server.listen();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  expectAllGone(spawned);
});

describe('runClients with read-write clients', () => {
  it('finds 0 violations on a correct read-write lock: readers share, writers are exclusive and fenced', async () => {
    const result = await runClients({
      count: 5,
      module: modesModule,
      args: { port },
      historyDir: join(dir, 'rw-correct'),
      operations: 20,
      writeRatio: 0.3,
      seed: 7,
      onStart: track,
    });
    expect(result.report.violations, formatReport(result.report)).toBe(0);
    const grants = result.history.filter((event) => event.f === 'acquire' && event.type === 'ok');
    const writers = grants.filter((event) => event.mode === 'exclusive').length;
    expect(writers).toBeGreaterThan(0);
    expect(grants.length - writers).toBeGreaterThan(0);
    expect(grants.every((event) => event.mode !== undefined)).toBe(true);
    // Every increment of a writer is kept, and no read was refused for being older than another read.
    expect(result.resource.value).toBe(result.report.writes.ok);
    expect(result.report.writes.ok).toBe(writers);
    expect(result.report.reads.fail).toBe(0);
    // Readers held together: some shared read came after a shared read with a higher token, and was accepted.
    const sharedReads = result.resource.reads.filter((read) => read.mode === 'shared');
    const olderAfterNewer = sharedReads.filter((read, index) =>
      sharedReads.slice(0, index).some((earlier) => earlier.token > read.token),
    );
    expect(olderAfterNewer.length).toBeGreaterThan(0);
    expect(olderAfterNewer.every((read) => read.accepted)).toBe(true);
    expect(result.report.tokens.regressions + result.report.tokens.duplicates).toBe(0);
  });

  it("goes red with mutant 'write-as-read': writers overlap other holders", async () => {
    const result = await runClients({
      count: 5,
      module: modesModule,
      args: { port },
      historyDir: join(dir, 'rw-mutant'),
      operations: 20,
      writeRatio: 0.5,
      mutant: 'write-as-read',
      seed: 8,
      onStart: track,
    });
    expect(result.report.overlaps.count).toBeGreaterThan(0);
    expect(result.report.violationsByKind.believedOverlaps).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
    // The fence still keeps the counter: it refuses the older of two overlapping writers.
    expect(result.report.stale.staleAccepted).toBe(0);
  });
});

describe('runClients with semaphore clients', () => {
  it('finds 0 violations on a correct semaphore: never more than N holders, and N reached', async () => {
    const result = await runClients({
      count: 5,
      module: modesModule,
      args: { port },
      historyDir: join(dir, 'sem-correct'),
      operations: 20,
      permits: 2,
      seed: 9,
      onStart: track,
    });
    expect(result.report.violations, formatReport(result.report)).toBe(0);
    expect(result.report.permits).toEqual({ permits: 2, maxHolders: 2, excessGrants: 0, excessMs: 0 });
    expect(result.report.overlaps.count).toBe(0);
    expect(result.report.acquires.ok).toBe(100);
    expect(formatReport(result.report)).toContain('permits: 2 of 2 held at most, 0 grants beyond them');
  });

  it("goes red with mutant 'permits-plus-one': N+1 holders at once", async () => {
    const result = await runClients({
      count: 5,
      module: modesModule,
      args: { port },
      historyDir: join(dir, 'sem-mutant'),
      operations: 20,
      permits: 2,
      mutant: 'permits-plus-one',
      seed: 10,
      onStart: track,
    });
    expect(result.report.permits?.maxHolders).toBe(3);
    expect(result.report.violationsByKind.permitExcess).toBeGreaterThan(0);
    expect(result.report.violations).toBeGreaterThan(0);
  });
});

describe('runClients refuses settings of modes it cannot run', () => {
  const base = { count: 2, module: modesModule, historyDir: join(dir, 'refused'), operations: 1 };
  it.each([
    [{ writeRatio: 1.5 }, /writeRatio must be a number from 0 to 1/],
    [{ writeRatio: Number.NaN }, /writeRatio must be a number from 0 to 1/],
    [{ permits: 0 }, /permits must be a positive integer/],
    [{ permits: 1.5 }, /permits must be a positive integer/],
    [{ permits: 2, writeRatio: 0.5 }, /exclude each other/],
    [{ mutant: 'write-as-read' as const }, /needs read-write clients/],
    [{ mutant: 'permits-plus-one' as const, writeRatio: 0.5 }, /needs semaphore clients/],
  ])('%j', async (settings, message) => {
    await expect(runClients({ ...base, ...settings })).rejects.toThrow(message);
  });

  it('a factory that returns no read and write lock for read-write clients fails the run, saying so', async () => {
    const lockModule = fileURLToPath(new URL('./fixtures/tcp-lock-client.mjs', import.meta.url));
    await expect(
      runClients({ ...base, module: lockModule, args: { port }, writeRatio: 0.5, onStart: track }),
    ).rejects.toThrow(/returned no read lock/);
  });
});
