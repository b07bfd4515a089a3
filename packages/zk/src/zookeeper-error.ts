import { ZK } from './zookeeper-codes.js';

const NAMES: Record<number, string> = {
  [ZK.CONNECTIONLOSS]: 'CONNECTIONLOSS',
  [ZK.OPERATIONTIMEOUT]: 'OPERATIONTIMEOUT',
  [ZK.BADARGUMENTS]: 'BADARGUMENTS',
  [ZK.INVALIDSTATE]: 'INVALIDSTATE',
  [ZK.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [ZK.NONODE]: 'NONODE',
  [ZK.NOAUTH]: 'NOAUTH',
  [ZK.NODEEXISTS]: 'NODEEXISTS',
  [ZK.NOTEMPTY]: 'NOTEMPTY',
  [ZK.SESSIONEXPIRED]: 'SESSIONEXPIRED',
  [ZK.INVALIDACL]: 'INVALIDACL',
  [ZK.AUTHFAILED]: 'AUTHFAILED',
  [ZK.CLOSING]: 'CLOSING',
};

/**
 * A ZooKeeper request failed with a return code. It travels as the `cause` of a `LockBackendError`, so
 * callers can tell a connection loss (`code` -4) from a missing node (-101) or an expired session (-112).
 */
export class ZooKeeperError extends Error {
  /** ZooKeeper's return code (`ZCONNECTIONLOSS` = -4, `ZNONODE` = -101, ...). */
  readonly code: number;
  /** The request: `create`, `exists`, `getData`, `getChildren`, `delete`. */
  readonly operation: string;
  /** The path the request was about. */
  readonly path: string;

  constructor(operation: string, path: string, code: number, detail?: string) {
    super(
      `ZooKeeper ${operation} ${path} failed: ${NAMES[code] ?? 'error'} (${code})${detail ? ` ${detail}` : ''}`,
    );
    this.name = 'ZooKeeperError';
    this.code = code;
    this.operation = operation;
    this.path = path;
  }

  /** True when the outcome is unknown because the connection dropped: retry once reconnected. */
  get connectionLoss(): boolean {
    return this.code === ZK.CONNECTIONLOSS || this.code === ZK.OPERATIONTIMEOUT;
  }
}
