import { forLock, LockError } from './lock-error.js';

const marker = Symbol.for('@lock/core.NoBackendSatisfiesError');

/** One candidate's verdict, as reported by a selector. */
export interface CandidateVerdict {
  /** The backend entry's name in the configuration. */
  backend: string;
  /** Whether it was taken. */
  accepted: boolean;
  /** Why it was taken or refused, e.g. "durability single-node < consensus required". */
  reasons: string[];
}

/**
 * No configured backend meets the declared needs. Thrown at startup, never answered by a silent fallback to a
 * weaker lock. `unmet` names each need that no candidate met; `candidates` says why each one was refused.
 */
export class NoBackendSatisfiesError extends LockError {
  /** @internal */
  readonly [marker] = true;
  /** The needs no candidate met. */
  readonly unmet: readonly string[];
  /** Every candidate with the reasons it was refused. */
  readonly candidates: readonly CandidateVerdict[];
  /** What would fix it, e.g. "a backend of kind etcd (npm install @lock/etcd etcd3) would satisfy them". */
  readonly hint: string | undefined;

  constructor(
    lockName: string | undefined,
    unmet: readonly string[],
    candidates: readonly CandidateVerdict[],
    hint?: string,
  ) {
    const refused = candidates
      .map((candidate) => `  ${candidate.backend}: ${candidate.reasons.join('; ')}`)
      .join('\n');
    super(
      'NO_BACKEND_SATISFIES',
      `No configured backend satisfies the needs${forLock(lockName)}: ${unmet.join(', ') || 'none configured'}${refused ? `\n${refused}` : ''}${hint ? `\n  ${hint}` : ''}`,
      { lockName },
    );
    this.name = 'NoBackendSatisfiesError';
    this.unmet = unmet;
    this.candidates = candidates;
    this.hint = hint;
  }

  static override isInstance(value: unknown): value is NoBackendSatisfiesError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
