import { millisecondsSetting } from '@lock/core';
import * as v from 'valibot';
import { CONNECTION_STRING_FORMAT, connectionStringProblem } from './connection-string.js';
import { rootProblem } from './lock-path.js';
import { zkAuthSettings } from './zk-auth.js';

/** Default requested session timeout in ms: every lease lasts as long as the session. @internal */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
/** Default parent of every lock's node. @internal */
export const DEFAULT_ROOT = '/locks';
/** Default longest wait for a session's first connection, in ms. @internal */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * The settings of one ZooKeeper ensemble, as a `lock.config.json` entry or `createProvider(config)` holds them:
 * one definition gives the TypeScript type, the validation (every problem with its JSON path) and the JSON
 * Schema. Unknown keys are errors. The provider's constructor checks its options with the same entries.
 */
export const zkSettings = v.strictObject(
  {
    connectionString: v.pipe(
      v.string(`a ZooKeeper connection string ${CONNECTION_STRING_FORMAT}`),
      v.check(
        (value) => connectionStringProblem(value) === undefined,
        (issue) => connectionStringProblem(issue.input) ?? '',
      ),
      v.description(
        'Servers, "host:port,host:port[/chroot]", each listed once. One server is a single node: its loss loses every lock.',
      ),
    ),
    sessionTimeoutMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description(
          'Requested session timeout in ms: the lease length of every lock (a dead holder blocks others this long). The server clamps it to [2, 20] x its tickTime.',
        ),
      ),
      DEFAULT_SESSION_TIMEOUT_MS,
    ),
    root: v.optional(
      v.pipe(
        v.string('an absolute ZooKeeper path such as "/locks"'),
        v.check(
          (root) => rootProblem(root) === undefined,
          (issue) => rootProblem(issue.input) ?? '',
        ),
        v.description(
          'Parent of every lock\'s node: absolute, not "/", outside "/zookeeper", no empty, "." or ".." segment, no trailing "/".',
        ),
      ),
      DEFAULT_ROOT,
    ),
    connectTimeoutMs: v.optional(
      v.pipe(
        millisecondsSetting(),
        v.description(
          "Longest wait in ms for a session's first connection before an acquisition fails with LockBackendError.",
        ),
      ),
      DEFAULT_CONNECT_TIMEOUT_MS,
    ),
    auth: v.optional(zkAuthSettings),
  },
  'an object such as { "connectionString": "127.0.0.1:2181" }',
);

/** What a configuration holds for a ZooKeeper ensemble: every setting but `connectionString` is optional. */
export type ZooKeeperProviderConfig = v.InferInput<typeof zkSettings>;
/** Validated settings, defaults filled in: what `zkKind.createProvider` and the capabilities take. */
export type ZooKeeperSettings = v.InferOutput<typeof zkSettings>;
