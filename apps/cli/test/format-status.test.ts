import type { LockStatus } from '@lock/core';
import type { CandidateReport, Explanation } from '@lock/selector';
import { describe, expect, it } from 'vitest';
import { formatAge, formatStatus } from '../src/status/format-status.js';

const chosen = { backend: 'zoo', kind: 'zk', clusters: 1, chosen: true } as unknown as CandidateReport;
const explanation = { candidates: [chosen] } as unknown as Explanation;

describe('lock status text: ages', () => {
  it('shows a holder age line and a waiting time per waiter where the backend knows them', () => {
    const status: LockStatus = {
      name: 'job',
      holders: [{ id: 'node-1', token: 7n, mode: 'exclusive', ageMs: 12_345 }],
      waiters: [
        { id: 'node-2', token: 8n, ageMs: 850 },
        { id: 'node-3', token: 9n },
      ],
      waiterCount: 2,
      lastToken: null,
    };
    expect(formatStatus(status, chosen, explanation)).toBe(
      [
        'lock "job" on zoo (zk)',
        'state:   held by one holder (a writer)',
        'holder:  node-1 (writer)',
        'token:   7',
        'age:     held 12.3 s',
        'waiters: 2',
        '  - node-2 (token 8), waiting 850 ms',
        '  - node-3 (token 9)',
        '',
      ].join('\n'),
    );
  });

  it('prints no age line for a holder whose backend records no time', () => {
    const status: LockStatus = {
      name: 'job',
      holders: [{ id: 'owner-a', token: 3n }],
      waiters: [],
      waiterCount: 0,
      lastToken: 3n,
    };
    expect(formatStatus(status, chosen, explanation)).not.toMatch(/^age:/m);
  });

  it.each([
    [0, '0 ms'],
    [999.4, '999 ms'],
    [1_000, '1.0 s'],
    [59_999, '59.9 s'],
    [60_000, '1 min 00 s'],
    [245_000, '4 min 05 s'],
    [3_600_000, '1 h 00 min'],
    [7_620_000, '2 h 07 min'],
    [-5, '?'],
    [Number.NaN, '?'],
  ])('formatAge(%s) is %s', (ageMs, text) => {
    expect(formatAge(ageMs)).toBe(text);
  });
});
