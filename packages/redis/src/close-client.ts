import type { RedisLockClient } from './redis-client.js';

/** QUIT politely, but never wait more than `graceMs` (a server that is down never answers), then drop the socket. */
export async function closeClient(client: RedisLockClient, graceMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    timer.unref();
  });
  await Promise.race([client.quit().catch(() => undefined), grace]);
  clearTimeout(timer);
  client.disconnect();
}
