/**
 * The part of a `zookeeper` (7.x native) client instance this package uses, typed structurally so that
 * callers and tests are not tied to one build of the addon. Only the callback methods are used: their
 * numeric return codes say whether the request was queued, and their completions carry ZooKeeper's error
 * code (the promise wrappers of the package fold both into message strings).
 */
export interface ZooKeeperClient {
  /** Starts connecting (the native client then reconnects by itself until the session expires). */
  init(settings: Record<string, unknown>): unknown;
  /** Ends the session. The instance must never be used again afterwards (the addon may crash). */
  close(): unknown;
  on(event: 'connect' | 'connecting' | 'close', listener: (...args: unknown[]) => void): unknown;
  removeListener(event: 'connect' | 'connecting' | 'close', listener: (...args: unknown[]) => void): unknown;
  /** Session timeout negotiated with the server, in ms (valid once connected). */
  readonly timeout: number;
  /** Session id, hex. */
  readonly client_id: string;
  /** Session password, hex. */
  readonly client_password: string;
  a_create(path: string, data: string | Buffer, flags: number, completion: StringCompletion): number;
  a_exists(path: string, watch: boolean, completion: StatCompletion): number;
  aw_get(path: string, watcher: WatchCallback, completion: DataCompletion): number;
  a_get_children(path: string, watch: boolean, completion: ChildrenCompletion): number;
  aw_get_children(path: string, watcher: WatchCallback, completion: ChildrenCompletion): number;
  a_set(path: string, data: string | Buffer, version: number, completion: StatCompletion): number;
  a_delete_(path: string, version: number, completion: VoidCompletion): number;
  /** Sets a node's ACL (`version` -1: any ACL version). Only used when the provider authenticates. */
  a_set_acl(path: string, version: number, acl: ZooKeeperAcl[], completion: VoidCompletion): number;
  /**
   * Adds credentials to the session (`digest`, `user:password`); the native client presents them again
   * after every reconnection. Only used when the provider authenticates.
   */
  add_auth(scheme: string, auth: string, completion: VoidCompletion): number;
}

/** One ACL entry as the native client takes it: permission bits (31 = all), scheme and id. */
export interface ZooKeeperAcl {
  readonly perms: number;
  readonly scheme: string;
  readonly auth: string;
}

/** The fields of a ZooKeeper `Stat` this package reads. */
export interface ZooKeeperStat {
  /** Zxid of the transaction that created the node (a JS number: exact below 2^53). */
  readonly czxid: number;
  /** Number of changes to the node's data (a semaphore's grant announces itself by one). */
  readonly version: number;
  /** Session id (hex) owning an ephemeral node, `0` otherwise. */
  readonly ephemeralOwner: string;
}

/** Completion of `a_create`: the created path. */
export type StringCompletion = (rc: number, error: string, path: string) => void;
/** Completion of `a_exists`. */
export type StatCompletion = (rc: number, error: string, stat: ZooKeeperStat | null) => void;
/** Completion of `aw_get`. */
export type DataCompletion = (rc: number, error: string, stat: ZooKeeperStat | null, data: unknown) => void;
/** Completion of `a_get_children`. */
export type ChildrenCompletion = (rc: number, error: string, children: string[]) => void;
/** Completion of `a_delete_`. */
export type VoidCompletion = (rc: number, error: string) => void;
/** A one-shot watch: `type` is an event type (`ZOO_DELETED_EVENT`...), or -1 for session events. */
export type WatchCallback = (type: number, state: number, path: string) => void;

/** Settings handed to a {@link ZooKeeperClientFactory}. */
export interface ZooKeeperClientSettings {
  /** `host:port,host:port[/chroot]`. */
  connect: string;
  /** Requested session timeout in ms; the server may negotiate another one. */
  timeout: number;
}

/**
 * Makes a new, not yet initialised client. Called once per session: a client whose session expired is
 * closed and never reused, so the provider needs a factory rather than one instance.
 */
export type ZooKeeperClientFactory = (
  settings: ZooKeeperClientSettings,
) => ZooKeeperClient | Promise<ZooKeeperClient>;
