import type { LockStatus } from '@lock/selector';

/** The part of a backend's status that every backend can fill in some way. */
export interface StatusSummary {
  /** True when someone holds the lock. */
  readonly held: boolean;
  /** The holder as the backend identifies it (owner id, etcd key, znode), or null when free. */
  readonly holder: string | null;
  /** The holder's fencing token; when free, the last token issued if the backend keeps one. */
  readonly token: bigint | null;
  /** Queued waiters, or null when the backend cannot tell. */
  readonly waiters: number | null;
  /** The waiters in grant order, when the backend lists them. */
  readonly queue: ReadonlyArray<{ readonly id: string; readonly token: bigint | null }>;
}

function entryId(entry: unknown): string | null {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return null;
  const record = entry as Record<string, unknown>;
  for (const field of ['key', 'node', 'id', 'owner']) {
    if (typeof record[field] === 'string') return record[field] as string;
  }
  return null;
}

function entryToken(entry: unknown): bigint | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const token = (entry as Record<string, unknown>).token;
  return typeof token === 'bigint' ? token : null;
}

/**
 * Reads the shapes the backends report (redis: `holder` id, `token`, `waiters` count; etcd: `owner` entry and
 * `waiters` list; zk: `holder` entry and `waiters` list) into one summary.
 */
export function summarizeStatus(status: LockStatus): StatusSummary {
  const holderEntry = status.holder ?? status.owner ?? null;
  const holder = entryId(holderEntry);
  const ownToken = typeof status.token === 'bigint' ? status.token : null;
  const token = entryToken(holderEntry) ?? ownToken;
  const waitersField = status.waiters;
  const list = Array.isArray(waitersField) ? waitersField : [];
  return {
    held: holderEntry !== null && holderEntry !== undefined,
    holder,
    token,
    waiters:
      typeof waitersField === 'number'
        ? waitersField
        : Array.isArray(waitersField)
          ? waitersField.length
          : null,
    queue: list.map((entry) => ({ id: entryId(entry) ?? '?', token: entryToken(entry) })),
  };
}
