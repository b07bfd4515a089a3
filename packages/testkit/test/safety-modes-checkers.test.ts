import { describe, expect, it } from 'vitest';
import {
  checkBelievedOverlaps,
  checkHistory,
  checkPermitHolders,
  checkStaleWrites,
  GuardedResourceServer,
  type HistoryEvent,
  parseEvent,
  type ResourceOperation,
  type ResourceWrite,
  serializeEvent,
} from '../src/index.js';

/** A holder of `mode` believed held from `start` to `end` ms (ok(acquire) to invoke(release)). */
function held(proc: number, start: number, end: number, mode?: 'shared' | 'exclusive'): HistoryEvent[] {
  const ns = (ms: number) => BigInt(Math.round(ms * 1e6));
  const token = BigInt(proc + 1);
  return [
    { proc, type: 'invoke', f: 'acquire', t: ns(start - 1), ...(mode && { mode }) },
    { proc, type: 'ok', f: 'acquire', t: ns(start), token, ...(mode && { mode }) },
    { proc, type: 'invoke', f: 'release', t: ns(end), token },
    { proc, type: 'ok', f: 'release', t: ns(end + 1), token, value: true },
  ];
}

const history = (...holders: HistoryEvent[][]) =>
  holders.flat().sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));

describe('checkBelievedOverlaps with modes', () => {
  it('readers held together are not an overlap', () => {
    expect(checkBelievedOverlaps(history(held(0, 10, 30, 'shared'), held(1, 20, 40, 'shared'))).count).toBe(
      0,
    );
  });

  it('a writer beside a reader is one, in either order, and its time is counted', () => {
    const report = checkBelievedOverlaps(history(held(0, 10, 30, 'shared'), held(1, 20, 40, 'exclusive')));
    expect(report.count).toBe(1);
    expect(report.totalMs).toBeCloseTo(10);
    expect(
      checkBelievedOverlaps(history(held(0, 10, 30, 'exclusive'), held(1, 20, 40, 'shared'))).count,
    ).toBe(1);
  });

  it('time when only readers overlap is not counted beside a writer that overlaps one of them', () => {
    // Readers 10-50 and 20-60 together; a writer 55-70 overlaps the second reader for 5 ms only.
    const report = checkBelievedOverlaps(
      history(held(0, 10, 50, 'shared'), held(1, 20, 60, 'shared'), held(2, 55, 70, 'exclusive')),
    );
    expect(report.count).toBe(1);
    expect(report.totalMs).toBeCloseTo(5);
  });

  it('events without a mode are exclusive, as before', () => {
    expect(checkBelievedOverlaps(history(held(0, 10, 30), held(1, 20, 40))).count).toBe(1);
  });
});

describe('checkPermitHolders', () => {
  it('counts the holders exactly and the grants beyond the permits', () => {
    const three = history(held(0, 10, 50, 'shared'), held(1, 20, 60, 'shared'), held(2, 30, 40, 'shared'));
    expect(checkPermitHolders(three, 3)).toEqual({ permits: 3, maxHolders: 3, excessGrants: 0, excessMs: 0 });
    const report = checkPermitHolders(three, 2);
    expect(report.maxHolders).toBe(3);
    expect(report.excessGrants).toBe(1);
    expect(report.excessMs).toBeCloseTo(10);
  });

  it('a permit handed over at the same instant is not an excess', () => {
    const handOver = history(held(0, 10, 20, 'shared'), held(1, 20, 30, 'shared'));
    expect(checkPermitHolders(handOver, 1).excessGrants).toBe(0);
  });

  it('checkHistory counts the excess as violations permitExcess, and only with permits', () => {
    const three = history(held(0, 10, 50, 'shared'), held(1, 20, 60, 'shared'), held(2, 30, 40, 'shared'));
    const report = checkHistory(three, { permits: 2 });
    expect(report.violationsByKind.permitExcess).toBe(1);
    expect(report.violations).toBe(1);
    expect(checkHistory(three).permits).toBeUndefined();
    expect(checkHistory(three).violations).toBe(0);
    expect(checkHistory(three, { permits: 2, overlapsAreViolations: false }).violations).toBe(0);
  });
});

describe('the guarded resource with shared reads', () => {
  it('never refuses a read for being older than another read', () => {
    const resource = new GuardedResourceServer();
    expect(resource.fencedRead(6n, 'r6', 'shared').accepted).toBe(true);
    expect(resource.fencedRead(5n, 'r5', 'shared').accepted).toBe(true);
    // An exclusive read is fenced as before: older than the read of token 6, it is refused.
    expect(resource.fencedRead(5n, 'w5', 'exclusive').accepted).toBe(false);
  });

  it('refuses a writer older than an accepted read, and a reader older than an accepted write', () => {
    const resource = new GuardedResourceServer();
    expect(resource.fencedRead(6n, 'r6', 'shared').accepted).toBe(true);
    expect(resource.write(1, 4n, 'w4').accepted).toBe(false);
    expect(resource.write(1, 7n, 'w7').accepted).toBe(true);
    expect(resource.fencedRead(6n, 'r6', 'shared')).toEqual({
      accepted: false,
      reason: 'stale token 6 < 7 of an exclusive holder',
    });
    expect(resource.fencedRead(7n, 'other', 'shared').accepted).toBe(false);
    expect(resource.fencedRead(8n, 'r8', 'shared').accepted).toBe(true);
    expect(resource.state().reads.map((read) => read.mode)).toEqual(['shared', 'shared', 'shared', 'shared']);
  });

  it('checkStaleWrites: a shared read is stale only below an accepted exclusive token', () => {
    const operation = (token: bigint, t: number, mode?: 'shared'): ResourceOperation => ({
      token,
      holder: `h${token}`,
      accepted: true,
      t: BigInt(t),
      ...(mode && { mode }),
    });
    const reads = [operation(6n, 1, 'shared'), operation(5n, 2, 'shared'), operation(3n, 4, 'shared')];
    const write: ResourceWrite = { ...operation(4n, 3), value: 1 };
    const report = checkStaleWrites([write], reads);
    expect(report.staleAccepted).toBe(2);
    expect(report.staleReads).toBe(1);
  });
});

it('a history event keeps its mode through NDJSON', () => {
  const event: HistoryEvent = { proc: 0, type: 'ok', f: 'acquire', t: 5n, token: 3n, mode: 'shared' };
  expect(parseEvent(serializeEvent(event))).toEqual(event);
});
