/** ZooKeeper return codes and flags used here (stable across ZooKeeper 3.x). @internal */
export const ZK = {
  OK: 0,
  CONNECTIONLOSS: -4,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  INVALIDSTATE: -9,
  UNIMPLEMENTED: -6,
  NONODE: -101,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  CLOSING: -116,
  PERSISTENT: 0,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  SESSION_EVENT: -1,
  NOTWATCHING_EVENT: -2,
} as const;
