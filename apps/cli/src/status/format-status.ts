import type { LockParticipant, LockStatus } from '@lock/core';
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
    const modes = modeCounts(status.holders);
    lines.push(`state:   held by ${count}${modes}`);
    for (const holder of status.holders)
      lines.push(`holder:  ${holder.id}${modeOf(holder)}`, `token:   ${holder.token ?? '?'}`);
  }
  if (status.permits !== undefined) {
    lines.push(`permits: ${status.holders.length} of ${status.permits} taken`);
  }
  lines.push(`waiters: ${status.waiterCount}`);
  for (const waiter of status.waiters) {
    lines.push(`  - ${waiter.id}${modeOf(waiter)}${waiter.token !== null ? ` (token ${waiter.token})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** ` (shared)` / ` (exclusive)` for entries of a read-write lock; nothing for a plain lock. */
function modeOf(participant: LockParticipant): string {
  return participant.mode === undefined ? '' : ` (${participant.mode === 'shared' ? 'reader' : 'writer'})`;
}

/** `: 2 readers` / `: a writer` when the holders say their modes. */
function modeCounts(holders: readonly LockParticipant[]): string {
  if (holders.every((holder) => holder.mode === undefined)) return '';
  const readers = holders.filter((holder) => holder.mode === 'shared').length;
  const writers = holders.filter((holder) => holder.mode === 'exclusive').length;
  const parts = [];
  if (writers > 0) parts.push(writers === 1 ? 'a writer' : `${writers} writers`);
  if (readers > 0) parts.push(readers === 1 ? 'a reader' : `${readers} readers`);
  return ` (${parts.join(', ')})`;
}
