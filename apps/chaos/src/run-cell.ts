import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatReport, mulberry32, type SafetyReport } from '@lock/testkit';
import { type Control, type Expectation, FAULTS, type Fault, Nemesis, workloadFor } from './faults.js';
import { runPool } from './pool.js';
import type { Backend, Topology } from './topology.js';

/**
 * The runs of a cell: the correct clients with the fault on, and the cell's control (see {@link Control})
 * with the fault off, where it must stay green, and on, where it must turn red.
 */
export type Run = 'correct' | 'control-off' | 'control-on';

/** One run of a cell of the matrix. */
export interface CellOptions {
  topology: Topology;
  fault: Fault;
  /** What the correct run must show. */
  expect: Expectation;
  /** Why `expect` differs from the fault table for this server, if it does. */
  because?: string | undefined;
  control: Control;
  run: Run;
  clients: number;
  operations: number;
  ttlMs: number;
  seed: number;
  /** 1 for the first run of this cell and run, 2 for the first rerun, and so on. Default 1. */
  attempt?: number;
  /** Keep the histories under DIR/<backend>-<fault>-<run>-seed<seed>/ (else a temp dir, removed if it passed). */
  keepHistory?: string | undefined;
}

/** What a run found, and whether that is what it had to show. */
export interface CellResult {
  backend: string;
  /** Servers of the topology (see {@link Topology.members}). */
  members: number;
  fault: Fault;
  run: Run;
  /** The control's name for control runs, `'none'` for the correct run. */
  mutant: string;
  /** What this run must show: the cell's class for the correct run, `GREEN` / `RED` for its control. */
  expect: Expectation | 'GREEN';
  /** Why the cell expects what it does on this server, when that differs from the fault table. */
  because: string | undefined;
  /** Set when the cell's control does not depend on its fault (see {@link Control.unverified}). */
  unverified: string | undefined;
  /** The server version as it reports it, where known. */
  serverVersion: string | undefined;
  /** Seed of this run (the given seed plus attempt - 1). */
  seed: number;
  /** See {@link CellOptions.attempt}. */
  attempt: number;
  passed: boolean;
  /** "N violations in X operations and Y faults (seed S)", the figures, and the history to read if any. */
  verdict: string;
  report: SafetyReport;
  faults: string[];
  /** Client processes started, replacements of killed clients included. */
  clientsStarted: number;
  /** Why the run was stopped early (a stuck control is stopped at its first waiter that gave up). */
  stopped: string | undefined;
  leftovers: number;
  /** The merged history, when it was kept (`--keep`, or a run that did not show what it must). */
  historyFile: string | undefined;
  seconds: number;
}

/** The lease TTL field of a backend's client config. */
function ttlConfig(backend: Backend, ttlMs: number): Record<string, number> {
  return backend === 'zk' ? { sessionTimeoutMs: ttlMs } : { ttlMs };
}

/** Runs one run of a cell: clients in child processes against a guarded resource, the fault on or off. */
export async function runCell(options: CellOptions): Promise<CellResult> {
  const { topology, fault, control, run } = options;
  const backend = topology.backend;
  const isControl = run !== 'correct';
  // The no-lock control's "fault" is contention: with it off, one client runs, and the cell's fault is off too.
  const faultOn = run !== 'control-off';
  const slots = run === 'control-off' && control.off === 'one client' ? 1 : options.clients;
  const ttlMs = isControl && control.ttlMs !== undefined ? control.ttlMs : options.ttlMs;
  const workload = workloadFor(fault, backend, options.ttlMs);
  const single = backend !== 'redis' && topology.members === 1 ? '-1member' : '';
  const dirName = `${backend}${single}-${fault}-${run}-seed${options.seed}`;
  const historyDir =
    options.keepHistory === undefined
      ? mkdtempSync(join(tmpdir(), `lock-chaos-${dirName}-`))
      : join(options.keepHistory, dirName);
  // A fresh lock name per run: a control's never-expiring entries must not reach the next run.
  const name = `chaos-${dirName}-${options.attempt ?? 1}-${process.pid}`;
  const nemesis = new Nemesis(
    faultOn ? fault : 'F0',
    topology,
    options.ttlMs,
    mulberry32(options.seed),
    slots,
  );
  const started = performance.now();
  let keep = options.keepHistory !== undefined;
  try {
    const result = await runPool({
      slots,
      module: topology.clientModule,
      argsFor: (slot) => ({
        config: { ...topology.configFor(slot), ...ttlConfig(backend, ttlMs) },
        name,
        ttlMs,
      }),
      historyDir,
      operations: workload.operations ?? options.operations,
      mutant: isControl ? control.mutant : 'none',
      seed: options.seed,
      criticalSectionMs: workload.criticalSectionMs,
      checkLeaseBeforeWrite: workload.checkLeaseBeforeWrite && !(isControl && control.ignoresSignal),
      acquireOptions: { timeoutMs: workload.acquireTimeoutMs },
      overlapsAreViolations: options.expect === 'SAFE' && !isControl,
      replaceKilled: true,
      onStart: (pool) => nemesis.start(pool),
      onEvent: (event, pool) => {
        nemesis.onEvent(event, pool);
        // A stuck control has shown what it must at its first waiter that gave up; the others would each
        // wait out their timeout for every section left.
        if (run === 'control-on' && control.red === 'stuck' && event.f === 'acquire' && event.type === 'fail')
          pool.stop('red: a waiter gave up (the lock never came free)');
      },
      maxMs: 540_000,
    }).finally(() => nemesis.stop());
    // Entries of killed clients live until their lease or session expires.
    await new Promise((resolve) => setTimeout(resolve, options.ttlMs * 2));
    const leftovers = await topology.leftovers(name);
    // Y in the verdict is the faults injected (the history also holds each fault's start and end marks).
    const report = { ...result.report, faults: nemesis.injected.length };
    const expect: CellResult['expect'] =
      run === 'correct' ? options.expect : run === 'control-on' ? 'RED' : 'GREEN';
    const passed = judge(run, options.expect, control, report, leftovers, isLive(fault));
    if (!passed) keep = true;
    const violations = report.violations > 0 || (isControl && unsafeCount(report) > 0);
    const verdict =
      formatReport(report) +
      (result.stopped === undefined ? '' : `\n  stopped: ${result.stopped}`) +
      (violations || !passed
        ? `\n  history: ${keep ? result.historyFile : '(removed; run with --keep DIR to read it)'}`
        : '');
    return {
      backend,
      members: topology.members,
      fault,
      run,
      mutant: isControl ? control.name : 'none',
      expect,
      because: run === 'correct' ? options.because : undefined,
      unverified: control.unverified,
      serverVersion: topology.serverVersion,
      seed: options.seed,
      attempt: options.attempt ?? 1,
      passed,
      verdict,
      report,
      faults: nemesis.injected,
      clientsStarted: result.clients,
      stopped: result.stopped,
      leftovers,
      historyFile: keep ? result.historyFile : undefined,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (!keep) rmSync(historyDir, { recursive: true, force: true });
  }
}

/** Stale operations accepted plus lost updates: what a fence exists to keep at 0. */
function unsafeCount(report: SafetyReport): number {
  return report.lostUpdates.lost + report.stale.staleAccepted;
}

/**
 * Whether a run shows what it must: the correct run its class (and, in a `live` cell, no waiter that gave
 * up, and nothing left on the server); the control green with the fault off and red with it on.
 */
export function judge(
  run: Run,
  expect: Expectation,
  control: Pick<Control, 'red'>,
  report: SafetyReport,
  leftovers: number,
  live = false,
): boolean {
  const stuck = report.acquires.fail > 0;
  if (run === 'control-on') return control.red === 'stuck' ? stuck : unsafeCount(report) > 0;
  if (run === 'control-off') return unsafeCount(report) === 0 && !stuck;
  return meets(expect, report) && leftovers === 0 && !(live && stuck);
}

/**
 * Why a run is worth repeating with the next seed, if it is: a control that stayed green with its fault
 * on, or a FENCED run in which the fault never gave two clients the lock at once (it passed without
 * testing the fence). A run that found a violation is never repeated: that is a finding, and so is a
 * control that was red with its fault off.
 */
export function rerunReason(
  result: Pick<CellResult, 'run' | 'mutant' | 'expect' | 'passed' | 'report'>,
): string | undefined {
  if (result.run === 'control-on') {
    if (result.passed) return undefined;
    return result.report.overlaps.count === 0 &&
      result.mutant !== 'no-lock' &&
      result.mutant !== 'never-expires'
      ? 'not red, the fault did not bite (no believed overlap)'
      : 'not red';
  }
  if (
    result.run === 'correct' &&
    result.expect === 'FENCED' &&
    result.passed &&
    result.report.overlaps.count === 0
  )
    return 'the fault did not bite (no believed overlap)';
  return undefined;
}

/** Whether a report shows what its class must show (see {@link Expectation}). */
export function meets(expect: Expectation, report: SafetyReport): boolean {
  const unsafe = unsafeCount(report);
  if (expect === 'RED') return unsafe > 0;
  if (expect === 'FENCED') return unsafe === 0;
  return report.violations === 0;
}

/** Whether `fault` makes a waiter that gave up a failure of the correct run. */
export function isLive(fault: Fault): boolean {
  return FAULTS[fault].live === true;
}
