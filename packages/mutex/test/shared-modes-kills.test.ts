import { describe, expect, it } from 'vitest';
import { Phase, recoverThread } from '../src/internal.js';
import { runKills, SECTION, WAITING_FOR_LOCK } from './kill-harness.js';

// Every point where a reader, writer or permit holder can be stopped: the queue's steps, the share steps,
// the writer's wait at the head for readers to leave, inside the section, and waiting in line.
const PROTOCOL = [
  Phase.TICKET_CLAIMED,
  Phase.TICKET_TAKEN,
  Phase.OWNER_RECORDED,
  Phase.OWNER_CLEARED,
  Phase.TICKET_DONE,
  Phase.SERVING_MOVED,
  Phase.WAIT_FLAGGED,
  Phase.SHARE_COUNTED,
  Phase.SHARE_RETURNED,
  SECTION,
  WAITING_FOR_LOCK,
];

describe('SharedMutexProvider read-write locks and semaphores: workers terminated anywhere', () => {
  it('read-write: 200 kills at random points, readers among the dead: never a stall, no writer beside anyone', {
    timeout: 600_000,
  }, async () => {
    const result = await runKills({
      kind: 'read-write',
      kills: 200,
      targets: [...PROTOCOL, Phase.DRAIN_FLAGGED],
      progress: 3,
      patienceMs: 20_000,
    });
    expect(result.stalledAfter).toBeUndefined();
    expect(result.overlaps).toBe(0);
    expect(result.counter).toBe(result.writes);
    expect(result.writes).toBeGreaterThan(0);
    expect(result.maxShared).toBeGreaterThan(1); // readers did share
    expect(result.lockedAtEnd).toBe(true);
    expect(result.errors).toEqual([]);
    for (const target of [Phase.SHARE_COUNTED, Phase.SHARE_RETURNED, SECTION]) {
      expect(result.kills[target] ?? 0).toBeGreaterThanOrEqual(5);
    }
  });

  it('semaphore of 2: 150 kills at random points, permit holders among the dead: never a stall, never 3 inside', {
    timeout: 600_000,
  }, async () => {
    const result = await runKills({
      kind: 'semaphore',
      permits: 2,
      kills: 150,
      targets: PROTOCOL,
      progress: 3,
      patienceMs: 20_000,
    });
    expect(result.stalledAfter).toBeUndefined();
    expect(result.overlaps).toBe(0);
    expect(result.maxShared).toBe(2);
    expect(result.lockedAtEnd).toBe(true);
    expect(result.errors).toEqual([]);
    for (const target of [Phase.SHARE_COUNTED, Phase.SHARE_RETURNED, SECTION]) {
      expect(result.kills[target] ?? 0).toBeGreaterThanOrEqual(5);
    }
  });

  it("the mutant: a recovery that ignores a dead reader's share leaves the next writer waiting forever", {
    timeout: 300_000,
  }, async () => {
    const result = await runKills({
      kind: 'read-write',
      kills: 30,
      targets: [SECTION, Phase.SHARE_COUNTED],
      progress: 3,
      patienceMs: 3_000,
      recover: (table, threadId) => recoverThread(table, threadId, { shares: false }),
    });
    expect(result.stalledAfter).toBeDefined();
  });

  it('the mutants: writers that take the read lock overlap; a semaphore that admits one more has 3 inside', {
    timeout: 300_000,
  }, async () => {
    const asReaders = await runKills({
      kind: 'read-write',
      mutant: 'write-as-read',
      kills: 0,
      targets: [],
      progress: 2_000,
      patienceMs: 20_000,
    });
    expect(asReaders.overlaps).toBeGreaterThan(0);
    const plusOne = await runKills({
      kind: 'semaphore',
      permits: 2,
      mutant: 'permits-plus-one',
      kills: 0,
      targets: [],
      progress: 2_000,
      patienceMs: 20_000,
    });
    expect(plusOne.maxShared).toBe(3);
    expect(plusOne.overlaps).toBeGreaterThan(0);
  });
});
