import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport, LineChild, runClients, uniqueName } from '@lock/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, fixture, usePostgres } from './helpers.js';

const historyRoot = mkdtempSync(join(tmpdir(), 'lock-postgres-rw-history-'));
afterAll(() => rmSync(historyRoot, { recursive: true, force: true }));

const db = usePostgres();

async function serverWaiters(): Promise<number> {
  const { rows } = await db.admin.query(
    "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
  );
  return rows[0].n as number;
}

describe('read-write locks on shared advisory locks', () => {
  it('readers of different providers share; lock(name) is the write side; status shows the modes', async () => {
    const name = uniqueName('rw-share');
    const [a, b, c] = [db.provider(), db.provider(), db.provider()];
    const first = await a.readWriteLock(name).read.acquire();
    const second = await b.readWriteLock(name).read.acquire({ timeoutMs: 5_000 });
    expect(second.token > first.token).toBe(true);
    expect(await c.lock(name).tryAcquire()).toBeNull();
    expect(await c.readWriteLock(name).write.tryAcquire()).toBeNull();
    const status = await c.status(name);
    expect(status.holders.map((holder) => holder.mode)).toEqual(['shared', 'shared']);
    await first.release();
    await second.release();
    const writer = await c.lock(name).acquire({ timeoutMs: 5_000 });
    expect(await a.readWriteLock(name).read.tryAcquire()).toBeNull();
    await writer.release();
  });

  it("across providers, a writer queued at the server holds back a later reader (the server's FIFO)", {
    timeout: 30_000,
  }, async () => {
    const name = uniqueName('rw-server-fifo');
    const [holder, writerSide, lateReader] = [db.provider(), db.provider(), db.provider()];
    const reading = await holder.readWriteLock(name).read.acquire();
    const order: string[] = [];
    const writer = writerSide
      .readWriteLock(name)
      .write.acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('writer');
        return lease;
      });
    await eventually(async () => (await serverWaiters()) === 1, 10_000, 'the writer in the server queue');
    expect(await lateReader.readWriteLock(name).read.tryAcquire()).toBeNull();
    const reader = lateReader
      .readWriteLock(name)
      .read.acquire({ timeoutMs: 20_000 })
      .then((lease) => {
        order.push('reader');
        return lease;
      });
    await eventually(async () => (await serverWaiters()) === 2, 10_000, 'the reader behind the writer');
    await reading.release();
    const writeLease = await writer;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(['writer']);
    await writeLease.release();
    const readLease = await reader;
    expect(order).toEqual(['writer', 'reader']);
    expect(readLease.token > writeLease.token).toBe(true);
    await readLease.release();
  });

  it("a provider's second reader does not pass a writer another provider queued (no re-entrant shortcut)", {
    timeout: 30_000,
  }, async () => {
    const name = uniqueName('rw-reentrant');
    const [readers, writerSide] = [db.provider(), db.provider()];
    const first = await readers.readWriteLock(name).read.acquire();
    const writer = writerSide.readWriteLock(name).write.acquire({ timeoutMs: 20_000 });
    await eventually(async () => (await serverWaiters()) === 1, 10_000, 'the writer in the server queue');
    // The provider's main session holds the key shared: a grant there would skip the server's queue.
    expect(await readers.readWriteLock(name).read.tryAcquire()).toBeNull();
    const second = readers.readWriteLock(name).read.acquire({ timeoutMs: 20_000 });
    await eventually(
      async () => (await serverWaiters()) === 2,
      10_000,
      'the second reader behind the writer',
    );
    await first.release();
    const writeLease = await writer;
    await writeLease.release();
    const secondLease = await second;
    expect(secondLease.token > writeLease.token).toBe(true);
    await secondLease.release();
  });

  it('a reader killed with -9 gives its share back: the waiting writer is granted', {
    timeout: 30_000,
  }, async () => {
    const name = uniqueName('rw-kill');
    const reader = new LineChild(process.execPath, [fixture('reader.mjs'), db.server.url, name]);
    try {
      const held = JSON.parse(await reader.line()) as { token: string };
      const writing = db.provider().readWriteLock(name).write.acquire({ timeoutMs: 20_000 });
      await eventually(async () => (await serverWaiters()) === 1, 10_000, 'the writer in the queue');
      reader.signal('SIGKILL');
      const lease = await writing;
      expect(lease.token > BigInt(held.token)).toBe(true);
      await lease.release();
    } finally {
      await reader.stop();
    }
  });
});

describe('safety with read-write client processes', () => {
  it('4 processes, 1 write in 3: writers never overlap anyone, tokens strictly increase across modes', {
    timeout: 120_000,
  }, async () => {
    const run = await runClients({
      count: 4,
      module: fixture('rw-client.mjs'),
      args: { url: db.server.url, ttlMs: 5_000, name: uniqueName('rw-counter') },
      historyDir: join(historyRoot, 'rw'),
      operations: 30,
      writeRatio: 0.3,
      seed: 31,
      criticalSectionMs: 2,
    });
    expect(run.report.violations, formatReport(run.report)).toBe(0);
    expect(run.report.acquires.ok).toBe(120);
    const grants = run.history.filter((event) => event.f === 'acquire' && event.type === 'ok');
    const writers = grants.filter((event) => event.mode === 'exclusive').length;
    expect(writers).toBeGreaterThan(0);
    expect(writers).toBeLessThan(120);
    expect(run.resource.value).toBe(writers);
    expect(run.report.overlaps.count).toBe(0);
    expect(run.report.tokens.regressions + run.report.tokens.duplicates).toBe(0);
  });

  it("mutant 'write-as-read' goes red: writers overlap other holders", { timeout: 120_000 }, async () => {
    const run = await runClients({
      count: 4,
      module: fixture('rw-client.mjs'),
      args: { url: db.server.url, ttlMs: 5_000, name: uniqueName('rw-mutant') },
      historyDir: join(historyRoot, 'write-as-read'),
      operations: 30,
      writeRatio: 0.5,
      seed: 32,
      criticalSectionMs: 2,
      mutant: 'write-as-read',
    });
    expect(run.report.overlaps.count).toBeGreaterThan(0);
    expect(run.report.violations).toBeGreaterThan(0);
  });
});
