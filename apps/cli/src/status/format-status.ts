import type { LockStatus } from '@lock/core';
import type { CandidateReport, Explanation } from '@lock/selector';

/** Renders a backend's status of one lock as `lock status` prints it. */
export function formatStatus(status: LockStatus, chosen: CandidateReport, explanation: Explanation): string {
  const where =
    chosen.clusters > 1 && explanation.cluster !== undefined
      ? `, cluster ${explanation.cluster.index + 1} of ${chosen.clusters} (${explanation.cluster.id})`
      : '';
  const lines = [`lock ${JSON.stringify(status.name)} on ${chosen.backend} (${chosen.kind}${where})`];
  if (status.holders.length === 0) {
    lines.push(
      `state:   free${status.lastToken !== null ? ` (last token issued: ${status.lastToken})` : ''}`,
    );
  } else {
    const count = status.holders.length === 1 ? 'one holder' : `${status.holders.length} holders`;
    lines.push(`state:   held by ${count}`);
    for (const holder of status.holders)
      lines.push(`holder:  ${holder.id}`, `token:   ${holder.token ?? '?'}`);
  }
  lines.push(`waiters: ${status.waiterCount}`);
  for (const waiter of status.waiters) {
    lines.push(`  - ${waiter.id}${waiter.token !== null ? ` (token ${waiter.token})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
