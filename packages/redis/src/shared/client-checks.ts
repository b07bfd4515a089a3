import { noop } from '@lock/core';
import type { RedisLockClient } from './redis-client.js';

/**
 * What is wrong with a client this package cannot use, or undefined: not an ioredis `Redis` or `Cluster`, or
 * not in normal mode (a subscriber cannot run scripts).
 */
export function clientProblem(client: unknown): string | undefined {
  const candidate = client as Partial<RedisLockClient> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.evalsha !== 'function' ||
    typeof candidate.eval !== 'function' ||
    typeof candidate.blpop !== 'function' ||
    typeof candidate.duplicate !== 'function'
  )
    return 'an ioredis Redis or Cluster client';
  // Under RESP3 (ioredis 6's default) a subscribed connection still reports mode 'normal': look at its subscriptions too.
  const subscribed = Boolean((client as { condition?: { subscriber?: unknown } }).condition?.subscriber);
  const mode = subscribed ? 'subscriber' : candidate.mode;
  if (mode !== undefined && mode !== 'normal') return `a client in normal mode (this one is in ${mode} mode)`;
  return undefined;
}

/** True for an ioredis `Cluster` client. */
export function isClusterClient(client: unknown): boolean {
  return (client as { isCluster?: boolean } | undefined)?.isCluster === true;
}

/**
 * ioredis prints every connection error of a client without an 'error' listener. For connections this package
 * opened, the failures that matter reach the caller through the commands they break, so keep the console quiet.
 */
export function quietErrors(client: RedisLockClient): void {
  (client as unknown as { on?: (event: string, listener: () => void) => void }).on?.('error', noop);
}
