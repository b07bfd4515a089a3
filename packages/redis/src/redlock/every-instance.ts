import type { ConnectionWatch } from '../shared/connection-watch.js';
import type { RedisLockClient } from '../shared/redis-client.js';

/** The independent instances of one Redlock provider, as its operations reach them. */
export interface RedlockInstances {
  readonly clients: readonly RedisLockClient[];
  /** One per client: what a vote that got no answer says about its connection. */
  readonly connections: readonly ConnectionWatch[];
  /** `host:port` of each instance (or `#index` when unknown), for votes and errors. */
  readonly endpoints: readonly string[];
  /** How long one instance may take to answer before its vote counts as an error, in ms. */
  readonly instanceTimeoutMs: number;
}

/**
 * Runs `operation` on every instance at once and resolves when each has answered: with its value, or with the
 * Error it failed with. An instance that does not answer within `instanceTimeoutMs` counts as an Error saying
 * what is known about its connection; its late answer is ignored. Never rejects: a vote is a value or an Error.
 */
export function everyInstance(
  instances: RedlockInstances,
  operation: (client: RedisLockClient) => Promise<unknown>,
): Promise<unknown[]> {
  const timeoutMs = instances.instanceTimeoutMs;
  return Promise.all(
    instances.clients.map(
      (client, index) =>
        new Promise<unknown>((resolve) => {
          const noAnswer = () => {
            const connection = instances.connections[index];
            resolve(
              new Error(`no answer within ${timeoutMs} ms (${connection?.explain() ?? 'unreachable?'})`),
            );
          };
          const timer = setTimeout(noAnswer, timeoutMs);
          operation(client).then(
            (reply) => {
              clearTimeout(timer);
              resolve(reply);
            },
            (error: unknown) => {
              clearTimeout(timer);
              resolve(error instanceof Error ? error : new Error(String(error)));
            },
          );
        }),
    ),
  );
}
