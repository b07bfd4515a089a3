import { describe, expect, it } from 'vitest';
import {
  checkBelievedOverlaps,
  checkHistory,
  checkLiveness,
  checkLostUpdates,
  checkStaleWrites,
  checkTokenOrder,
  formatReport,
  type HistoryEvent,
  type HistoryFunction,
  type HistoryType,
  type ResourceState,
  type ResourceWrite,
} from '../src/index.js';

/** An event at `ms` milliseconds. */
function at(
  ms: number,
  proc: number | string,
  type: HistoryType,
  f: HistoryFunction,
  fields: { value?: unknown; token?: bigint } = {},
): HistoryEvent {
  return { proc, type, f, t: BigInt(Math.round(ms * 1e6)), ...fields };
}

/**
 * One critical section of `proc`: acquire invoked at `start`, granted 1 ms later with `token`, read `read`,
 * write `read + 1` accepted, release invoked at `end`.
 */
function section(proc: number, start: number, end: number, token: bigint, read: number): HistoryEvent[] {
  return [
    at(start, proc, 'invoke', 'acquire'),
    at(start + 1, proc, 'ok', 'acquire', { token }),
    at(start + 2, proc, 'invoke', 'read'),
    at(start + 3, proc, 'ok', 'read', { value: read }),
    at(end - 2, proc, 'invoke', 'write', { value: read + 1, token }),
    at(end - 1, proc, 'ok', 'write', { value: read + 1, token }),
    at(end, proc, 'invoke', 'release', { token }),
    at(end + 1, proc, 'ok', 'release', { value: true, token }),
  ];
}

function sorted(events: HistoryEvent[]): HistoryEvent[] {
  return [...events].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
}

/** Three clients taking turns: a correct history. */
const correct = sorted([
  ...section(0, 0, 10, 1n, 0),
  ...section(1, 5, 20, 2n, 1),
  ...section(2, 15, 30, 3n, 2),
]);
// Fix the timing so turns do not overlap: 1 is granted after 0 released, and so on.
const correctTurns = sorted([
  ...section(0, 0, 10, 1n, 0),
  ...section(1, 11, 20, 2n, 1).map((event) =>
    event.f === 'acquire' && event.type === 'invoke' ? { ...event, t: 5_000_000n } : event,
  ),
  ...section(2, 21, 30, 3n, 2),
]);

function writeLog(entries: Array<[token: bigint, holder: string, accepted: boolean]>): ResourceWrite[] {
  return entries.map(([token, holder, accepted], index) => ({
    value: index + 1,
    token,
    holder,
    accepted,
    t: BigInt(index),
  }));
}

describe('checkBelievedOverlaps', () => {
  it('is green when holders take turns', () => {
    expect(checkBelievedOverlaps(correctTurns)).toEqual({ count: 0, totalMs: 0, maxMs: 0 });
  });

  it('is red when two clients believe they hold at once, with the overlap measured', () => {
    // Client 1 is granted at 6 ms while client 0 holds until 10 ms: 4 ms of overlap.
    const report = checkBelievedOverlaps(correct);
    expect(report.count).toBe(2);
    expect(report.maxMs).toBeCloseTo(4, 5);
    expect(report.totalMs).toBeCloseTo(8, 5);
  });

  it('counts a holder that never released until its last event', () => {
    const history = sorted([
      at(0, 0, 'invoke', 'acquire'),
      at(1, 0, 'ok', 'acquire', { token: 1n }),
      at(50, 0, 'invoke', 'read'),
      ...section(1, 10, 20, 2n, 0),
    ]);
    expect(checkBelievedOverlaps(history).count).toBe(1);
  });
});

describe('checkStaleWrites', () => {
  it('is green when accepted tokens never go down (rejections are the fence working)', () => {
    const report = checkStaleWrites(
      writeLog([
        [1n, 'p0', true],
        [1n, 'p0', true],
        [3n, 'p1', true],
        [2n, 'p2', false],
      ]),
    );
    expect(report).toMatchObject({ staleAccepted: 0, rejected: 1, accepted: 3 });
  });

  it('is red when a lower token is accepted after a higher one', () => {
    const report = checkStaleWrites(
      writeLog([
        [1n, 'p0', true],
        [3n, 'p1', true],
        [2n, 'p2', true],
      ]),
    );
    expect(report.staleAccepted).toBe(1);
  });

  it('compares tokens as bigints, beyond 2^53', () => {
    const big = 2n ** 60n;
    const report = checkStaleWrites(
      writeLog([
        [big + 1n, 'p0', true],
        [big, 'p1', true],
      ]),
    );
    expect(report.staleAccepted).toBe(1);
  });
});

describe('checkLostUpdates', () => {
  it('is green when the final value holds every acknowledged increment', () => {
    expect(checkLostUpdates(correctTurns, 3)).toMatchObject({ acknowledged: 3, lost: 0, percent: 0 });
  });

  it('is red when two critical sections read the same value', () => {
    // Both 0 and 1 read 0 and write 1: two acknowledged increments, final value 1.
    const history = sorted([...section(0, 0, 10, 1n, 0), ...section(1, 5, 12, 2n, 0)]);
    const report = checkLostUpdates(history, 1);
    expect(report.lost).toBe(1);
    expect(report.percent).toBe(50);
  });

  it('takes the initial value into account', () => {
    expect(checkLostUpdates(correctTurns, 13, 10).lost).toBe(0);
  });
});

describe('checkTokenOrder', () => {
  it('is green when later grants carry larger tokens', () => {
    expect(checkTokenOrder(correctTurns)).toEqual({ grants: 3, regressions: 0, duplicates: 0 });
  });

  it('is red on a regression: a grant invoked after another completed has a smaller token', () => {
    const history = sorted([...section(0, 0, 10, 5n, 0), ...section(1, 11, 20, 4n, 1)]);
    expect(checkTokenOrder(history).regressions).toBe(1);
  });

  it('is red on a duplicate token across holders', () => {
    const history = sorted([...section(0, 0, 10, 7n, 0), ...section(1, 11, 20, 7n, 1)]);
    const report = checkTokenOrder(history);
    expect(report.duplicates).toBe(1);
    expect(report.regressions).toBe(0);
  });

  it('puts no order on grants that overlap in real time', () => {
    // 1 invoked before 0 was granted: either order of tokens is fine.
    const history = sorted([
      at(0, 0, 'invoke', 'acquire'),
      at(1, 1, 'invoke', 'acquire'),
      at(2, 0, 'ok', 'acquire', { token: 9n }),
      at(3, 1, 'ok', 'acquire', { token: 8n }),
    ]);
    expect(checkTokenOrder(history).regressions).toBe(0);
  });
});

describe('checkLiveness', () => {
  it('counts outcomes and measures acquire latency', () => {
    const history = sorted([
      at(0, 0, 'invoke', 'acquire'),
      at(2, 0, 'ok', 'acquire', { token: 1n }),
      at(0, 1, 'invoke', 'acquire'),
      at(10, 1, 'ok', 'acquire', { token: 2n }),
      at(0, 2, 'invoke', 'acquire'),
      at(50, 2, 'fail', 'acquire', { value: 'LockTimeoutError' }),
      at(0, 3, 'invoke', 'acquire'),
      at(1, 4, 'invoke', 'acquire'),
      at(3, 4, 'info', 'acquire'),
    ]);
    expect(checkLiveness(history)).toEqual({
      invoked: 5,
      ok: 2,
      fail: 1,
      info: 2,
      p50Ms: 2,
      p99Ms: 10,
      maxMs: 10,
    });
  });
});

describe('checkHistory and formatReport', () => {
  const resource = (value: number, writes: ResourceWrite[]): ResourceState => ({
    fencing: 'on',
    value,
    maxSeen: undefined,
    maxHolder: undefined,
    writes,
    reads: [],
  });

  it('reports 0 violations on a correct history, in the verdict wording', () => {
    const history = [
      ...correctTurns,
      at(40, 'nemesis', 'info', 'fault', { value: { kind: 'pause', proc: 1 } }),
    ];
    const report = checkHistory(history, {
      resource: resource(
        3,
        writeLog([
          [1n, 'p0', true],
          [2n, 'p1', true],
          [3n, 'p2', true],
        ]),
      ),
      orphans: { keys: 0 },
      seed: 42,
    });
    expect(report.violations).toBe(0);
    expect(report.operations).toBe(12);
    expect(report.faults).toBe(1);
    expect(report.writes).toEqual({ invoked: 3, ok: 3, fail: 0, info: 0 });
    const text = formatReport(report);
    expect(text.split('\n')[0]).toBe('0 violations in 12 operations and 1 faults (seed 42)');
    expect(text).toContain('leftovers: keys 0');
  });

  it('sums every kind of violation and names them in the verdict', () => {
    const history = sorted([...section(0, 0, 10, 2n, 0), ...section(1, 5, 12, 1n, 0)]);
    const report = checkHistory(history, {
      resource: resource(
        1,
        writeLog([
          [2n, 'p0', true],
          [1n, 'p1', true],
        ]),
      ),
      orphans: { znodes: 2 },
      seed: 'abc',
    });
    expect(report.violationsByKind).toEqual({
      staleAccepted: 1,
      lostUpdates: 1,
      // Client 1 was invoked after client 0's grant completed, yet got a smaller token.
      tokenRegressions: 1,
      tokenDuplicates: 0,
      believedOverlaps: 1,
      'orphan znodes': 2,
    });
    expect(report.violations).toBe(6);
    expect(formatReport(report).split('\n')[0]).toMatch(
      /^6 violations in 8 operations and 0 faults \(seed abc\): /,
    );
  });

  it('can leave believed overlaps out of the violations (leases under pause faults)', () => {
    const report = checkHistory(correct, { overlapsAreViolations: false });
    expect(report.overlaps.count).toBe(2);
    expect(report.violations).toBe(0);
  });
});
