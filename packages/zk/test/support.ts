import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lease } from '@lock/core';
import {
  registerPid,
  type StartZooKeeperOptions,
  startZooKeeper,
  unregisterPid,
  type ZooKeeperEnsemble,
} from '@lock/testkit';
import { afterAll, beforeAll } from 'vitest';
import {
  defaultClientFactory,
  ZooKeeperError,
  ZooKeeperProvider,
  type ZooKeeperProviderOptions,
} from '../src/index.js';
import { sortLockNodes, ZK, type ZooKeeperGrant, ZooKeeperSession } from '../src/internal.js';

const holderScript = fileURLToPath(new URL('./fixtures/zk-holder.mjs', import.meta.url));

/** What {@link useZooKeeper} gives a test file: read its fields inside tests (they are set before the first). */
export interface ZooKeeperForFile {
  /** A standalone server, started before the file's tests and stopped after them. */
  readonly servers: ZooKeeperEnsemble;
  /** A session of its own on it, for inspecting and disturbing the server from "another client". */
  readonly admin: ZooKeeperSession;
  /** A provider (test-friendly defaults, see {@link makeProvider}), closed after the file's tests. */
  provider(options?: Partial<ZooKeeperProviderOptions>, connectionString?: string): ZooKeeperProvider;
  /** A lock name no other test of this process uses. */
  uniqueName(label: string): string;
}

/** Starts one ZooKeeper server for the calling test file. */
export function useZooKeeper(): ZooKeeperForFile {
  let servers: ZooKeeperEnsemble | undefined;
  let admin: ZooKeeperSession | undefined;
  const providers: ZooKeeperProvider[] = [];
  let counter = 0;
  beforeAll(async () => {
    servers = await startServers();
    admin = await adminSession(servers.connectionString);
  });
  afterAll(async () => {
    await Promise.allSettled(providers.map((each) => each.close()));
    await admin?.close();
    await servers?.close();
  });
  return {
    get servers() {
      return servers as ZooKeeperEnsemble;
    },
    get admin() {
      return admin as ZooKeeperSession;
    },
    provider(options = {}, connectionString = servers?.connectionString as string) {
      const created = makeProvider(connectionString, options);
      providers.push(created);
      return created;
    },
    uniqueName(label) {
      counter += 1;
      return `${label}-${process.pid}-${counter}`;
    },
  };
}

/** The grant behind a lease of this package (its node, session and token). */
export function grantOf(lease: Lease): ZooKeeperGrant {
  return (lease as unknown as { grant: ZooKeeperGrant }).grant;
}

/** Starts ZooKeeper (tickTime 500 ms: session timeouts from 1 to 10 s keep expiry tests short). */
export function startServers(options: StartZooKeeperOptions = {}): Promise<ZooKeeperEnsemble> {
  return startZooKeeper({
    ...options,
    // Reap empty container parents quickly so the parent-recreate test need not wait a minute.
    jvmArgs: ['-Dznode.container.checkIntervalMs=500', ...(options.jvmArgs ?? [])],
  });
}

/** A session of its own, for inspecting and disturbing the server from "another client". */
export async function adminSession(connectionString: string, timeoutMs = 10_000): Promise<ZooKeeperSession> {
  const client = await defaultClientFactory({ connect: connectionString, timeout: timeoutMs });
  const session = new ZooKeeperSession(client);
  await session.whenConnected(AbortSignal.timeout(20_000));
  return session;
}

/** Lock nodes left under `parent` (0 when the parent is gone). */
export async function lockNodes(admin: ZooKeeperSession, parent: string): Promise<string[]> {
  try {
    return sortLockNodes(await admin.retrying(() => admin.getChildren(parent)));
  } catch (error) {
    if (error instanceof ZooKeeperError && error.code === ZK.NONODE) return [];
    throw error;
  }
}

/**
 * Expires a session the way ZooKeeper's own tests do: a second client joins it with the same id and
 * password and closes it, so the server ends the session and the first client is told it expired.
 */
export async function expireSession(
  connectionString: string,
  sessionId: string,
  password: string,
): Promise<void> {
  const client = await defaultClientFactory({ connect: connectionString, timeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('could not join the session to expire it')), 20_000);
    client.on('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    client.init({ client_id: sessionId, client_password: password });
  });
  await new Promise<void>((resolve) => {
    client.on('close', () => resolve());
    setImmediate(() => client.close());
  });
}

/**
 * Expires the provider's current session and waits until the provider has noticed. The trick can race:
 * when the victim reconnects before the joiner's close goes out, the server moves the session back to the
 * victim and the joiner's close ends nothing; so it is repeated until the session is gone.
 */
export async function expireProviderSession(
  provider: ZooKeeperProvider,
  connectionString: string,
): Promise<void> {
  const session = await provider.session();
  const id = session.client.client_id;
  const password = session.client.client_password;
  for (let attempt = 1; !session.lost; attempt += 1) {
    await expireSession(connectionString, id, password);
    await eventually(() => session.lost, 3_000).catch((error: unknown) => {
      if (attempt >= 5) throw error;
    });
  }
}

/** A provider on `connectionString` with test-friendly defaults. */
export function makeProvider(
  connectionString: string,
  options: Partial<ZooKeeperProviderOptions> = {},
): ZooKeeperProvider {
  return new ZooKeeperProvider({ connectionString, sessionTimeoutMs: 4_000, ...options });
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Watchers per path from `wchp` (data watches, the kind a waiter sets on its predecessor). */
export function watchersByPath(wchp: string): Map<string, number> {
  const counts = new Map<string, number>();
  let path: string | undefined;
  for (const line of wchp.split('\n')) {
    if (line.startsWith('/')) {
      path = line.trim();
      counts.set(path, 0);
    } else if (path !== undefined && line.trim().startsWith('0x')) {
      counts.set(path, (counts.get(path) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Starts `fixtures/zk-holder.mjs` in a child process holding `name` as `kind` (`lock`, `read`, `write`,
 * `sem:<permits>`); resolves once it holds, with its token and the negotiated session timeout.
 */
export async function spawnHolder(
  connectionString: string,
  name: string,
  sessionTimeoutMs: number,
  kind = 'lock',
): Promise<{ child: ChildProcess; token: bigint; negotiatedMs: number; kill(): void }> {
  const child = spawn(
    process.execPath,
    [holderScript, connectionString, name, String(sessionTimeoutMs), kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  registerPid(child.pid as number);
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    unregisterPid(child.pid as number);
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.trim());
      });
      child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const [, token, negotiated] = line.split(' ');
    return { child, token: BigInt(token as string), negotiatedMs: Number(negotiated), kill };
  } catch (error) {
    kill();
    throw error;
  }
}
