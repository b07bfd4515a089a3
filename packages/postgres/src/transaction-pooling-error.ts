import { LockBackendError } from '@lock/core';

const marker = Symbol.for('@lock/postgres.TransactionPoolingError');

/**
 * Statements of one connection reached different server backends: a proxy that pools by transaction or by
 * statement (PgBouncer's `pool_mode = transaction`, for one) is between this provider and PostgreSQL. A
 * session-level advisory lock lives on one backend and would stay there, held for nobody, while the next
 * statement ran elsewhere. Connect to PostgreSQL directly, or through a session-pooling port.
 */
export class TransactionPoolingError extends LockBackendError {
  /** @internal */
  readonly [marker] = true;
  /** The backend the session opened on, and the one that answered later. */
  readonly expectedPid: number;
  readonly answeredPid: number;

  constructor(lockName: string | undefined, expectedPid: number, answeredPid: number) {
    super('postgres', 'acquire', {
      lockName,
      detail:
        `the session opened on server backend ${expectedPid} but backend ${answeredPid} answered: a transaction-pooling ` +
        'proxy (PgBouncer pool_mode=transaction or statement) cannot hold session-level advisory locks; connect directly or in session pooling mode',
    });
    this.name = 'TransactionPoolingError';
    this.expectedPid = expectedPid;
    this.answeredPid = answeredPid;
  }

  static override isInstance(value: unknown): value is TransactionPoolingError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
