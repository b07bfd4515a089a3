import { describe, expect, it } from 'vitest';
import { Phase, recoverThread } from '../src/internal.js';
import { runKills, SECTION, WAITING_FOR_LOCK } from './kill-harness.js';

// Every point between two atomic steps where a thread can be stopped, plus its critical section and its wait.
const PROTOCOL = [
  Phase.TICKET_CLAIMED,
  Phase.TICKET_TAKEN,
  Phase.OWNER_RECORDED,
  Phase.OWNER_CLEARED,
  Phase.TICKET_DONE,
  Phase.SERVING_MOVED,
  Phase.WAIT_FLAGGED,
  SECTION,
  WAITING_FOR_LOCK,
];

describe('SharedMutex: workers terminated anywhere in the protocol', () => {
  it('270 kills at random protocol points: never a stall, never two inside, no update lost', {
    timeout: 600_000,
  }, async () => {
    const result = await runKills({ kills: 270, targets: PROTOCOL, progress: 3, patienceMs: 20_000 });
    expect(result.stalledAfter).toBeUndefined();
    expect(result.overlaps).toBe(0);
    expect(result.counter).toBe(result.completed);
    expect(result.lockedAtEnd).toBe(true);
    expect(result.errors).toEqual([]);
    for (const target of PROTOCOL) expect(result.kills[target] ?? 0).toBeGreaterThanOrEqual(10);
  });

  it('150 kills while slots are renamed for new names (32 names, 16 slots), renamings included', {
    timeout: 600_000,
  }, async () => {
    const renaming = [Phase.RENAMING, Phase.RENAME_WRITTEN];
    const targets = [...PROTOCOL, ...renaming, ...renaming];
    const result = await runKills({
      kills: 120,
      targets,
      names: 32,
      capacity: 16,
      progress: 3,
      patienceMs: 20_000,
    });
    expect(result.stalledAfter).toBeUndefined();
    expect(result.overlaps).toBe(0);
    expect(result.counter).toBe(result.completed);
    expect(result.lockedAtEnd).toBe(true);
    expect(result.errors).toEqual([]);
    for (const target of renaming) expect(result.kills[target] ?? 0).toBeGreaterThanOrEqual(8);
  });

  it('the mutant: a recovery that does not finish a release the dead thread had begun stalls', {
    timeout: 300_000,
  }, async () => {
    // Kills only where the dead thread's ticket is already done: nothing of it is left to give up, the
    // queue must be moved on (or the next thread woken) for it.
    const result = await runKills({
      kills: 40,
      targets: [Phase.TICKET_DONE, Phase.SERVING_MOVED],
      progress: 3,
      patienceMs: 3_000,
      recover: (table, threadId) => recoverThread(table, threadId, { advance: false }),
    });
    expect(result.stalledAfter).toBeDefined();
  });
});
