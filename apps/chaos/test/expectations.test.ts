import { describe, expect, it } from 'vitest';
import { revokesLiveLeasesAfterLeaderPause } from '../src/etcd-server-version.js';
import { controlFor, expectationFor, FAULTS, type Fault } from '../src/faults.js';
import { type CellResult, judge, rerunReason } from '../src/run-cell.js';
import type { Backend } from '../src/topology.js';

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

  it('etcd F10 is FENCED on an affected or unknown server, with the fencing-off control, and SAFE on a fixed one', () => {
    const affected = expectationFor('F10', 'etcd', '3.4.23');
    expect(affected.expect).toBe('FENCED');
    expect(affected.because).toContain('3.4.23');
    expect(controlFor('F10', 'etcd', affected.expect, 2000).name).toBe('fencing-off');
    expect(expectationFor('F10', 'etcd', undefined).expect).toBe('FENCED');
    expect(expectationFor('F10', 'etcd', '3.5.11')).toEqual({ expect: 'SAFE' });
    // On a fixed server no control here depends on the leader pause: the cell says it is unverified.
    expect(controlFor('F10', 'etcd', 'SAFE', 2000).unverified).toBeDefined();
  });

  it('gives every cell a control that depends on its fault, or says that none does', () => {
    const expected: Record<string, string> = {
      F0: 'no-lock',
      F1: 'short-ttl',
      F2: 'fencing-off',
      F3: 'never-expires',
      F4: 'never-expires',
      F5: 'no-watchdog',
      F8: 'no-watchdog',
    };
    for (const [fault, { expect: cells }] of Object.entries(FAULTS) as Array<
      [Fault, (typeof FAULTS)[Fault]]
    >) {
      for (const [backend, expectation] of Object.entries(cells) as Array<[Backend, 'SAFE' | 'FENCED']>) {
        const control = controlFor(fault, backend, expectation, 2000);
        if (fault in expected) expect(control.name, `${backend} ${fault}`).toBe(expected[fault]);
        // The no-lock control's "fault" is contention: with the fault off it runs one client.
        expect(control.off, `${backend} ${fault}`).toBe(
          control.name === 'no-lock' ? 'one client' : 'no fault',
        );
        if (control.name === 'no-lock' && fault !== 'F0')
          expect(control.unverified, `${backend} ${fault}`).toBeDefined();
        else expect(control.unverified, `${backend} ${fault}`).toBeUndefined();
      }
    }
    expect(controlFor('F10', 'redis', 'FENCED', 2000).name).toBe('no-watchdog');
    expect(controlFor('F1', 'redis', 'SAFE', 2000).ttlMs).toBeLessThan(0.4 * 2000);
  });

  it('judges a control green with its fault off and red with it on, and a live cell on waiters that gave up', () => {
    const report = (lost: number, fail: number) =>
      ({
        violations: lost,
        lostUpdates: { lost },
        stale: { staleAccepted: 0 },
        acquires: { fail },
      }) as unknown as CellResult['report'];
    expect(judge('control-off', 'SAFE', { red: 'unsafe' }, report(0, 0), 0)).toBe(true);
    expect(judge('control-off', 'SAFE', { red: 'unsafe' }, report(3, 0), 0)).toBe(false);
    expect(judge('control-on', 'SAFE', { red: 'unsafe' }, report(3, 0), 0)).toBe(true);
    expect(judge('control-on', 'SAFE', { red: 'unsafe' }, report(0, 0), 0)).toBe(false);
    expect(judge('control-on', 'SAFE', { red: 'stuck' }, report(0, 1), 0)).toBe(true);
    expect(judge('control-off', 'SAFE', { red: 'stuck' }, report(0, 1), 0)).toBe(false);
    expect(judge('correct', 'SAFE', { red: 'stuck' }, report(0, 1), 0, true)).toBe(false);
    expect(judge('correct', 'SAFE', { red: 'stuck' }, report(0, 0), 1, true)).toBe(false);
    expect(judge('correct', 'SAFE', { red: 'stuck' }, report(0, 0), 0, true)).toBe(true);
  });

  it('leaves every other cell as the fault table says', () => {
    expect(expectationFor('F9', 'etcd', '3.4.23')).toEqual({ expect: 'SAFE' });
    expect(expectationFor('F2', 'etcd', '3.4.23')).toEqual({ expect: 'FENCED' });
    expect(expectationFor('F10', 'zk', '3.4.23')).toEqual({ expect: 'SAFE' });
    expect(() => expectationFor('F8', 'etcd', '3.4.23')).toThrow(/does not apply/);
  });

  it('runs again a control that stayed green with its fault on and a FENCED run the fault did not bite, never a finding', () => {
    const run = (
      mutant: CellResult['mutant'],
      expect: CellResult['expect'],
      passed: boolean,
      overlaps: number,
    ) =>
      rerunReason({
        run: mutant === 'none' ? 'correct' : expect === 'GREEN' ? 'control-off' : 'control-on',
        mutant,
        expect,
        passed,
        report: { overlaps: { count: overlaps } } as CellResult['report'],
      });
    expect(run('fencing-off', 'RED', false, 3)).toBe('not red');
    expect(run('fencing-off', 'RED', false, 0)).toMatch(/did not bite/);
    expect(run('no-lock', 'RED', false, 0)).toBe('not red');
    expect(run('never-expires', 'RED', false, 0)).toBe('not red');
    expect(run('fencing-off', 'RED', true, 3)).toBeUndefined();
    // A control red with its fault off is a finding, never rerun.
    expect(run('fencing-off', 'GREEN', false, 3)).toBeUndefined();
    expect(run('none', 'FENCED', true, 0)).toMatch(/did not bite/);
    expect(run('none', 'FENCED', true, 2)).toBeUndefined();
    expect(run('none', 'FENCED', false, 0)).toBeUndefined();
    expect(run('none', 'SAFE', true, 0)).toBeUndefined();
  });
});
