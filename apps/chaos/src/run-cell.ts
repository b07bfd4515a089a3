import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientMutant, formatReport, mulberry32, runClients, type SafetyReport } from '@lock/testkit';
import { type Expectation, type Fault, Nemesis, workloadFor } from './faults.js';
import type { Topology } from './topology.js';

/** One cell of the matrix: a backend, a fault, and whether the run is a mutant. */
export interface CellOptions {
  topology: Topology;
  fault: Fault;
  /** What the fenced run must show; the mutant of the cell must then turn red. */
  expect: Expectation;
  /** Why `expect` differs from the fault table for this server, if it does. */
  because?: string | undefined;
  mutant: ClientMutant;
  clients: number;
  operations: number;
  ttlMs: number;
  seed: number;
  /** 1 for the first run of this cell and mutant, 2 for the first rerun, and so on. Default 1. */
  attempt?: number;
  keepHistory?: string | undefined;
}

/** What a cell found, and whether that is what it had to show. */
export interface CellResult {
  backend: string;
  fault: Fault;
  mutant: ClientMutant;
  expect: Expectation;
  /** Why the cell expects what it does on this server, when that differs from the fault table. */
  because: string | undefined;
  /** The server version as it reports it, where known. */
  serverVersion: string | undefined;
  /** Seed of this run (the given seed plus attempt - 1). */
  seed: number;
  /** See {@link CellOptions.attempt}. */
  attempt: number;
  passed: boolean;
  verdict: string;
  report: SafetyReport;
  faults: string[];
  leftovers: number;
  seconds: number;
}

let cellSequence = 0;

/** Runs one cell: clients in child processes against a guarded resource, with the fault schedule on. */
export async function runCell(options: CellOptions): Promise<CellResult> {
  const { topology, fault, mutant } = options;
  const expect: Expectation = mutant === 'none' ? options.expect : 'RED';
  cellSequence += 1;
  const name = `chaos-${topology.backend}-${fault}-${mutant}-${process.pid}-${cellSequence}`;
  const historyDir = options.keepHistory ?? mkdtempSync(join(tmpdir(), 'lock-chaos-'));
  const nemesis = new Nemesis(fault, topology, options.ttlMs, mulberry32(options.seed), options.clients);
  const started = performance.now();
  try {
    const result = await runClients({
      count: options.clients,
      module: topology.clientModule,
      args: { config: topology.config, name, ttlMs: options.ttlMs },
      historyDir,
      operations: options.operations,
      mutant,
      seed: options.seed,
      ...workloadFor(fault, topology.backend),
      acquireOptions: { timeoutMs: 60_000 },
      overlapsAreViolations: expect === 'SAFE',
      onStart: (control) => nemesis.start(control),
      onEvent: (event, control) => nemesis.onEvent(event, control),
      timeoutMs: 600_000,
    }).finally(() => nemesis.stop());
    // Entries of killed clients live until their lease or session expires.
    await new Promise((resolve) => setTimeout(resolve, options.ttlMs * 2));
    const leftovers = await topology.leftovers(name);
    const report = result.report;
    const passed = meets(expect, report) && (expect === 'RED' || leftovers === 0);
    return {
      backend: topology.backend,
      fault,
      mutant,
      expect,
      because: mutant === 'none' ? options.because : undefined,
      serverVersion: topology.serverVersion,
      seed: options.seed,
      attempt: options.attempt ?? 1,
      passed,
      verdict: formatReport(report),
      report,
      faults: nemesis.injected,
      leftovers,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    if (options.keepHistory === undefined) rmSync(historyDir, { recursive: true, force: true });
  }
}

/**
 * Why a run is worth repeating with the next seed, if it is: a mutant that stayed green, or a FENCED run
 * in which the fault never gave two clients the lock at once (it passed without testing the fence). A run
 * that found a violation is never repeated: that is a finding.
 */
export function rerunReason(
  result: Pick<CellResult, 'mutant' | 'expect' | 'passed' | 'report'>,
): string | undefined {
  if (result.mutant !== 'none') {
    if (result.passed) return undefined;
    // A fenced mutant can only go red once two clients held at once; without the lock there is no overlap.
    return result.mutant === 'fencing-off' && result.report.overlaps.count === 0
      ? 'not red, the fault did not bite (no believed overlap)'
      : 'not red';
  }
  if (result.expect === 'FENCED' && result.passed && result.report.overlaps.count === 0) {
    return 'the fault did not bite (no believed overlap)';
  }
  return undefined;
}

/** Whether a report shows what its class must show (see {@link Expectation}). */
export function meets(expect: Expectation, report: SafetyReport): boolean {
  const unsafe = report.lostUpdates.lost + report.stale.staleAccepted;
  if (expect === 'RED') return unsafe > 0;
  if (expect === 'FENCED') return unsafe === 0;
  return report.violations === 0;
}
