import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  checkStaleWrites,
  type FencingMode,
  GuardedResourceServer,
  type HistoryEvent,
  type HistoryFunction,
  type HistoryType,
  type SafetyReport,
} from '../src/index.js';

/** One step of a scripted interleaving: `proc` reads or writes under its grant's token. */
interface Step {
  proc: number;
  op: 'read' | 'write';
}

/**
 * Plays read-modify-write sections against an in-process resource in exactly the order given, the way
 * the client processes do (a refused read skips the write; the write is the value read + 1), records the
 * history a run would have recorded, and checks it. Every holder is granted before the first step, so
 * the holders all believe they hold at once: the situation fencing exists for.
 */
function play(fencing: FencingMode, tokens: readonly bigint[], steps: readonly Step[]): SafetyReport {
  const resource = new GuardedResourceServer({ fencing });
  const history: HistoryEvent[] = [];
  let t = 0n;
  const record = (proc: number, type: HistoryType, f: HistoryFunction, value?: unknown): void => {
    t += 1_000_000n;
    history.push({ proc, type, f, t, token: tokens[proc]!, ...(value === undefined ? {} : { value }) });
  };
  const procs = tokens.map((_, proc) => proc);
  for (const proc of procs) record(proc, 'invoke', 'acquire');
  for (const proc of procs) record(proc, 'ok', 'acquire');
  const readValue = new Map<number, number>();
  for (const { proc, op } of steps) {
    const token = tokens[proc]!;
    if (op === 'read') {
      record(proc, 'invoke', 'read');
      const read = resource.fencedRead(token, `p${proc}`);
      if (read.accepted) readValue.set(proc, read.value);
      record(proc, read.accepted ? 'ok' : 'fail', 'read', read.accepted ? read.value : read.reason);
      continue;
    }
    const value = readValue.get(proc);
    if (value === undefined) continue; // its read was refused: the section writes nothing
    record(proc, 'invoke', 'write', value + 1);
    const result = resource.write(value + 1, token, `p${proc}`);
    record(proc, result.accepted ? 'ok' : 'fail', 'write', result.accepted ? value + 1 : result.reason);
  }
  for (const proc of procs) record(proc, 'invoke', 'release');
  return checkHistory(history, { resource: resource.state(), overlapsAreViolations: false });
}

/** Every order of the steps that keeps each section's read before its write. */
function interleavings(sections: number): Step[][] {
  const results: Step[][] = [];
  const walk = (done: Step[], next: number[]): void => {
    if (done.length === sections * 2) {
      results.push(done);
      return;
    }
    next.forEach((stage, proc) => {
      if (stage === 2) return;
      const advanced = [...next];
      advanced[proc] = stage + 1;
      walk([...done, { proc, op: stage === 0 ? 'read' : 'write' }], advanced);
    });
  };
  walk(
    [],
    Array.from({ length: sections }, () => 0),
  );
  return results;
}

// The older holder (token 1) reads, the newer (token 2) reads, the older writes, the newer writes: the
// newer overwrites, with the value it read before the older's write, an update both fences accepted.
const olderWritesInside: Step[] = [
  { proc: 0, op: 'read' },
  { proc: 1, op: 'read' },
  { proc: 0, op: 'write' },
  { proc: 1, op: 'write' },
];

describe('the read fence', () => {
  it('refuses a read under a token below the highest seen, and a read raises the fence like a write', () => {
    const resource = new GuardedResourceServer();
    expect(resource.fencedRead(2n, 'b')).toEqual({ accepted: true, value: 0 });
    expect(resource.state().maxSeen).toBe(2n);
    expect(resource.fencedRead(1n, 'a')).toEqual({ accepted: false, reason: 'stale token 1 < 2' });
    expect(resource.write(1, 1n, 'a')).toEqual({ accepted: false, reason: 'stale token 1 < 2' });
    expect(resource.fencedRead(2n, 'c')).toEqual({ accepted: false, reason: 'token 2 already used by b' });
    // The holder of the newest token reads and writes as often as it likes under its grant.
    expect(resource.write(1, 2n, 'b').accepted).toBe(true);
    expect(resource.fencedRead(2n, 'b')).toEqual({ accepted: true, value: 1 });
    expect(resource.state().reads.map((read) => read.accepted)).toEqual([true, false, false, true]);
  });

  it('with writes-only fencing, reads are neither checked nor raise the fence (the weaker fence)', () => {
    const resource = new GuardedResourceServer({ fencing: 'writes-only' });
    expect(resource.fencedRead(2n, 'b').accepted).toBe(true);
    expect(resource.state().maxSeen).toBeUndefined();
    expect(resource.fencedRead(1n, 'a').accepted).toBe(true);
    expect(resource.write(1, 1n, 'a').accepted).toBe(true);
    expect(resource.write(1, 0n, 'z').accepted).toBe(false);
  });

  it('fenced: the older holder writing between the newer one read and write is refused, nothing is lost', () => {
    const report = play('on', [1n, 2n], olderWritesInside);
    expect(report.writes).toEqual({ invoked: 2, ok: 1, fail: 1, info: 0 });
    expect(report.lostUpdates.lost).toBe(0);
    expect(report.stale.staleAccepted).toBe(0);
    expect(report.violations).toBe(0);
  });

  it('mutant writes-only: the same interleaving loses an update the fence accepted, and the checkers say so', () => {
    const report = play('writes-only', [1n, 2n], olderWritesInside);
    expect(report.writes).toEqual({ invoked: 2, ok: 2, fail: 0, info: 0 });
    expect(report.lostUpdates).toMatchObject({ acknowledged: 2, finalValue: 1, lost: 1 });
    // The older write came after the newer read: stale under the read-and-write rule.
    expect(report.stale).toMatchObject({ staleAccepted: 1, staleReads: 0 });
    expect(report.violations).toBe(2);
  });

  it('fenced: no interleaving of three read-modify-write sections loses an update (all 90 of them)', () => {
    const orders = interleavings(3);
    expect(orders).toHaveLength(90);
    for (const tokens of [
      [1n, 2n, 3n],
      [3n, 1n, 2n],
      // One token issued to two holders: the tie rule keeps the second out.
      [1n, 2n, 2n],
    ]) {
      for (const order of orders) {
        const report = play('on', tokens, order);
        expect(report.lostUpdates.lost, `tokens ${tokens.join(',')}, order ${JSON.stringify(order)}`).toBe(0);
        expect(report.stale.staleAccepted).toBe(0);
      }
    }
  });

  it('mutants: over the same interleavings, writes-only and fencing off both lose updates', () => {
    const lossy = (fencing: FencingMode) =>
      interleavings(3).filter((order) => play(fencing, [1n, 2n, 3n], order).lostUpdates.lost > 0).length;
    expect(lossy('writes-only')).toBeGreaterThan(0);
    expect(lossy('off')).toBeGreaterThan(lossy('writes-only'));
  });

  it('checkStaleWrites counts a write accepted after a newer read, and stale reads, in arrival order', () => {
    const at = (t: number, token: bigint, accepted = true) => ({
      token,
      holder: `h${token}`,
      accepted,
      t: BigInt(t),
    });
    const writes = [{ ...at(3, 1n), value: 1 }];
    expect(checkStaleWrites(writes).staleAccepted).toBe(0);
    expect(checkStaleWrites(writes, [at(1, 1n), at(2, 2n), at(4, 1n), at(5, 0n, false)])).toEqual({
      staleAccepted: 2,
      staleReads: 1,
      rejected: 0,
      accepted: 1,
      readsRejected: 1,
      readsAccepted: 3,
    });
  });
});
