import { describe, expect, it } from 'vitest';
import { revokesLiveLeasesAfterLeaderPause } from '../src/etcd-server-version.js';
import { expectationFor, mutantFor } from '../src/faults.js';
import { type CellResult, rerunReason } from '../src/run-cell.js';

describe('what a cell expects from the server that runs it', () => {
  it('knows which etcd versions revoke live leases after a leader pause', () => {
    for (const affected of ['3.4.23', '3.4.27', '3.5.0', '3.5.10', '3.3.27', 'v3.4.23', '2.3.8']) {
      expect(revokesLiveLeasesAfterLeaderPause(affected), affected).toBe(true);
    }
    for (const fixed of ['3.4.28', '3.4.30', '3.5.11', '3.5.17', '3.6.0', '3.10.1', '4.0.0']) {
      expect(revokesLiveLeasesAfterLeaderPause(fixed), fixed).toBe(false);
    }
    expect(revokesLiveLeasesAfterLeaderPause('')).toBeUndefined();
    expect(revokesLiveLeasesAfterLeaderPause('not-a-version')).toBeUndefined();
  });

  it('etcd F10 is FENCED on an affected or unknown server, with the fencing-off mutant, and SAFE on a fixed one', () => {
    const affected = expectationFor('F10', 'etcd', '3.4.23');
    expect(affected.expect).toBe('FENCED');
    expect(affected.because).toContain('3.4.23');
    expect(mutantFor(affected.expect)).toBe('fencing-off');
    expect(expectationFor('F10', 'etcd', undefined).expect).toBe('FENCED');
    expect(expectationFor('F10', 'etcd', '3.5.11')).toEqual({ expect: 'SAFE' });
    expect(mutantFor('SAFE')).toBe('no-lock');
  });

  it('leaves every other cell as the fault table says', () => {
    expect(expectationFor('F9', 'etcd', '3.4.23')).toEqual({ expect: 'SAFE' });
    expect(expectationFor('F2', 'etcd', '3.4.23')).toEqual({ expect: 'FENCED' });
    expect(expectationFor('F10', 'zk', '3.4.23')).toEqual({ expect: 'SAFE' });
    expect(() => expectationFor('F8', 'etcd', '3.4.23')).toThrow(/does not apply/);
  });

  it('runs again a mutant that stayed green and a FENCED run the fault did not bite, never a finding', () => {
    const run = (
      mutant: CellResult['mutant'],
      expect: CellResult['expect'],
      passed: boolean,
      overlaps: number,
    ) =>
      rerunReason({
        mutant,
        expect,
        passed,
        report: { overlaps: { count: overlaps } } as CellResult['report'],
      });
    expect(run('fencing-off', 'RED', false, 3)).toBe('not red');
    expect(run('fencing-off', 'RED', false, 0)).toMatch(/did not bite/);
    expect(run('no-lock', 'RED', false, 0)).toBe('not red');
    expect(run('fencing-off', 'RED', true, 3)).toBeUndefined();
    expect(run('none', 'FENCED', true, 0)).toMatch(/did not bite/);
    expect(run('none', 'FENCED', true, 2)).toBeUndefined();
    expect(run('none', 'FENCED', false, 0)).toBeUndefined();
    expect(run('none', 'SAFE', true, 0)).toBeUndefined();
  });
});
