import { LockBackendError, type ProviderDescription } from '@lock/core';
import type { RedisBackend } from './lock-context.js';

/**
 * What `RedisProvider.describe()` reports: the server's version and role from `INFO`, and what a caller should
 * know about it for its locks: a server without an append-only file loses every lock when it restarts, and one
 * with fewer connected replicas than `waitReplicas` refuses every acquisition.
 * @internal
 */
export async function describeServer(backend: RedisBackend): Promise<ProviderDescription> {
  let text: string;
  try {
    text = await backend.deadlines.bound(backend.client.info('server', 'replication', 'persistence'), 'INFO');
  } catch (error) {
    throw new LockBackendError('redis', 'describe', { cause: error });
  }
  const info = parseInfo(text);
  const version = info.get('redis_version') ?? 'unknown';
  const role = info.get('role') ?? 'unknown role';
  const replicas = Number(info.get('connected_slaves') ?? 0);
  const warnings: string[] = [];
  if (info.get('aof_enabled') === '0') {
    warnings.push(
      'the append-only file is off: a restart of this server loses every lock it holds (the fence counters restart above the tokens they issued, from the server clock)',
    );
  }
  if (backend.waitReplicas > replicas) {
    warnings.push(
      `waitReplicas is ${backend.waitReplicas} but ${replicas} replica(s) are connected: every acquisition is refused until enough replicas acknowledge`,
    );
  }
  return {
    server: `Redis ${version} (${role}, ${replicas} connected replica${replicas === 1 ? '' : 's'})`,
    warnings,
    details: { version, role, connectedReplicas: replicas, aofEnabled: info.get('aof_enabled') === '1' },
  };
}

/** `INFO` text as field -> value. */
function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
