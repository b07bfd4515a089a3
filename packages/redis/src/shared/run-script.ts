import type { RedisLockClient } from './redis-client.js';
import type { LockScript } from './scripts.js';

/**
 * Runs a script by SHA (`EVALSHA`: a few bytes on the wire) and falls back to `EVAL`, which also caches it,
 * when the server answers NOSCRIPT (first use, or after a restart emptied the script cache).
 */
export function runScript(
  client: RedisLockClient,
  lockScript: LockScript,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<unknown> {
  return client.evalsha(lockScript.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(lockScript.source, keys.length, ...keys, ...args);
  });
}
