import { noop, withinGrace } from '@lock/core';
import type { RedisLockClient } from './redis-client.js';

/**
 * QUIT politely, but never wait more than `graceMs` (a server that is down never answers), then drop the socket.
 * A connection that is not ready (refused, reconnecting, or open to a port that never answered) is dropped at
 * once: a QUIT would only wait in the offline queue for the whole grace.
 */
export async function closeClient(client: RedisLockClient, graceMs = 1000): Promise<void> {
  const status = (client as { status?: unknown }).status;
  if (status === undefined || status === 'ready')
    await withinGrace(client.quit().catch(noop), graceMs, undefined);
  client.disconnect();
}
