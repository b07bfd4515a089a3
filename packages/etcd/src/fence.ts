import { InvalidArgumentError, type Lease } from '@lock/core';
import type { ComparatorBuilder, Etcd3, ICompare } from 'etcd3';
import type { EtcdGrant } from './etcd-grant.js';

function grantOf(lease: Lease): EtcdGrant {
  const grant = (lease as { grant?: Partial<EtcdGrant> }).grant;
  if (grant === undefined || typeof grant.key !== 'string' || typeof grant.token !== 'bigint') {
    throw new InvalidArgumentError('lease', lease, 'a lease from an @lock/etcd lock');
  }
  return grant as EtcdGrant;
}

/** The etcd key that holds `lease`'s grant (`<prefix><name>/<lease hex>`; a reader's `<name>/read/...`, a permit's `<name>/sem/...`). */
export function lockKey(lease: Lease): string {
  return grantOf(lease).key;
}

/**
 * The txn comparison that is true only while `lease` still holds its lock: `create_revision(key) == token`.
 * Add it to your own etcd transactions so a write from a holder that lost the lock (paused, partitioned,
 * expired) is refused by etcd itself.
 */
export function fenceCompare(lease: Lease): ICompare {
  const grant = grantOf(lease);
  return {
    key: Buffer.from(grant.key),
    target: 'Create',
    result: 'Equal',
    create_revision: grant.token.toString(),
  };
}

/**
 * Starts an etcd3 transaction guarded by `lease`: `guardedTxn(client, lease).then(client.put('k').value('v')).commit()`
 * applies the writes only if the lease's key still exists with the lease's create revision. Check `succeeded`
 * on the result: `false` means the lock was lost and nothing was written.
 */
export function guardedTxn(client: Pick<Etcd3, 'if'>, lease: Lease): ComparatorBuilder {
  const grant = grantOf(lease);
  return client.if(grant.key, 'Create', '==', grant.token.toString());
}
