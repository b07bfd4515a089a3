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
    for (const holder of status.holders) {
      lines.push(`holder:  ${holder.id}${modeOf(holder)}`, `token:   ${holder.token ?? '?'}`);
      if (holder.ageMs !== undefined) lines.push(`age:     held ${formatAge(holder.ageMs)}`);
    }
  }
  if (status.permits !== undefined) {
    lines.push(`permits: ${status.holders.length} of ${status.permits} taken`);
  }
  lines.push(`waiters: ${status.waiterCount}`);
  for (const waiter of status.waiters) {
    const token = waiter.token !== null ? ` (token ${waiter.token})` : '';
    const age = waiter.ageMs !== undefined ? `, waiting ${formatAge(waiter.ageMs)}` : '';
    lines.push(`  - ${waiter.id}${modeOf(waiter)}${token}${age}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * An age for people: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 07 min`. Ages come from the backend (its README
 * says on whose clock), so they are rounded, never shown finer than they are worth.
 */
export function formatAge(ageMs: number): string {
  if (!Number.isFinite(ageMs) || ageMs < 0) return '?';
  if (ageMs < 1_000) return `${Math.round(ageMs)} ms`;
  if (ageMs < 60_000) return `${(Math.floor(ageMs / 100) / 10).toFixed(1)} s`;
  const seconds = Math.floor(ageMs / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
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
