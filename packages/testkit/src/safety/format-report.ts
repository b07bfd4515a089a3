import type { SafetyReport } from './check-history.js';

/**
 * Renders a report. The first line is the verdict in Jepsen's wording: "N violations in X operations and
 * Y faults (seed S)", never "safe": a run only fails to find a violation.
 */
export function formatReport(report: SafetyReport): string {
  const ms = (value: number): string => `${value.toFixed(1)} ms`;
  const kinds = Object.entries(report.violationsByKind)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${kind} ${count}`);
  const lines = [
    `${report.violations} violations in ${report.operations} operations and ${report.faults} faults (seed ${report.seed})` +
      (kinds.length > 0 ? `: ${kinds.join(', ')}` : ''),
    `  acquires: ${report.acquires.invoked} invoked, ${report.acquires.ok} ok, ${report.acquires.fail} fail, ` +
      `${report.acquires.info} info; latency p50 ${ms(report.acquires.p50Ms)}, p99 ${ms(report.acquires.p99Ms)}, ` +
      `max ${ms(report.acquires.maxMs)}`,
    `  reads: ${report.reads.invoked} invoked, ${report.reads.ok} accepted, ${report.reads.fail} rejected by the fence, ` +
      `${report.reads.info} indeterminate`,
    `  writes: ${report.writes.invoked} invoked, ${report.writes.ok} accepted, ${report.writes.fail} rejected by the fence, ` +
      `${report.writes.info} indeterminate`,
    `  believed overlaps: ${report.overlaps.count}, total ${ms(report.overlaps.totalMs)}, max ${ms(report.overlaps.maxMs)}`,
    `  stale accepted: ${report.stale.staleAccepted} (${report.stale.staleReads} of them reads)`,
    `  lost updates: ${report.lostUpdates.lost} of ${report.lostUpdates.acknowledged} acknowledged ` +
      `(${report.lostUpdates.percent.toFixed(1)}%), final value ${report.lostUpdates.finalValue}`,
    `  tokens: ${report.tokens.grants} grants, ${report.tokens.regressions} regressions, ${report.tokens.duplicates} duplicates`,
  ];
  if (report.permits !== undefined) {
    lines.push(
      `  permits: ${report.permits.maxHolders} of ${report.permits.permits} held at most, ` +
        `${report.permits.excessGrants} grants beyond them, total ${ms(report.permits.excessMs)}`,
    );
  }
  const orphanEntries = Object.entries(report.orphans);
  if (orphanEntries.length > 0) {
    lines.push(`  leftovers: ${orphanEntries.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  }
  return lines.join('\n');
}
