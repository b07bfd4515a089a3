/**
 * Child-process entry of {@link runClients}: one client that loops over critical sections and records
 * every step in its own NDJSON history, streaming each event to the parent over IPC as well (so the
 * parent knows who holds the lock right now, e.g. to SIGSTOP the holder).
 *
 * Each iteration: invoke/ok acquire -> read the resource under the token -> sleep -> write(value + 1, token)
 * -> release. A read the fence refuses is recorded as `fail` and the section writes nothing. Read-write
 * clients (`writeRatio`) write in that share of their sections (with the write lock) and only read in the
 * others (with the read lock, a shared read); semaphore clients (`permits`) make shared reads under their
 * permit. Their acquire events carry the grant's `mode`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import type { ClientMutant } from './client-mutant.js';
import { GuardedResourceClient } from './guarded-resource-client.js';
import { type HistoryEvent, HistoryWriter } from './history.js';
import type { LeaseLike, LockClientFactory, LockLike } from './lock-like.js';
import { mulberry32 } from './prng.js';

/** The configuration the parent sends as the first IPC message. */
export interface ClientChildConfig {
  proc: number;
  module: string;
  exportName: string;
  args: unknown;
  resourceUrl: string;
  historyFile: string;
  operations: number;
  mutant: ClientMutant;
  seed: number;
  criticalSectionMs: number;
  acquireOptions: { timeoutMs?: number; ttlMs?: number };
  /** Skip the write when the lease signal has aborted (a careful client). */
  checkLeaseBeforeWrite: boolean;
  /** Read-write clients: the share of sections that write (0..1). */
  writeRatio?: number | undefined;
  /** Semaphore clients: the permits the run checks. */
  permits?: number | undefined;
}

/** What one critical section does: which lock it takes, and whether it writes. */
interface Section {
  lock: LockLike | undefined;
  mode: 'shared' | 'exclusive' | undefined;
  writes: boolean;
}

/** Messages a client child sends to the parent. */
export type ClientChildMessage =
  | { kind: 'event'; event: HistoryEvent }
  | { kind: 'done' }
  | { kind: 'error'; message: string };

function send(message: ClientChildMessage): void {
  process.send?.(message);
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A timeout is a definite failure (nothing was granted); anything else may have taken effect: `info`. */
function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return /timeout/i.test(error.name) || (typeof code === 'string' && /timeout/i.test(code));
}

async function run(config: ClientChildConfig): Promise<void> {
  const history = new HistoryWriter(config.historyFile, config.proc);
  const record = (...args: Parameters<HistoryWriter['record']>): void => {
    send({ kind: 'event', event: history.record(...args) });
  };
  const resource = new GuardedResourceClient(config.resourceUrl);
  const random = mulberry32(config.seed + config.proc);
  const holder = `p${config.proc}`;

  let connection: Awaited<ReturnType<LockClientFactory>> | undefined;
  if (config.mutant !== 'no-lock') {
    const specifier = /^[a-z]+:/i.test(config.module) ? config.module : pathToFileURL(config.module).href;
    const loaded = (await import(specifier)) as Record<string, unknown>;
    const factory = loaded[config.exportName];
    if (typeof factory !== 'function') {
      throw new Error(`${config.module} has no function export ${JSON.stringify(config.exportName)}`);
    }
    // The mutant builds a semaphore with one permit more than the run checks.
    const permits =
      config.permits === undefined
        ? undefined
        : config.permits + (config.mutant === 'permits-plus-one' ? 1 : 0);
    connection = await (factory as LockClientFactory)(config.args, { proc: config.proc, permits });
    const needed = config.writeRatio === undefined ? ['lock'] : ['read', 'write'];
    for (const key of needed) {
      if (
        typeof (connection as Record<string, { acquire?: unknown } | undefined>)[key]?.acquire !== 'function'
      )
        throw new Error(
          `${config.module}'s factory returned no ${key} lock (needed ${needed.join(' and ')})`,
        );
    }
  }
  const section = (): Section => {
    if (config.writeRatio !== undefined) {
      const writes = random() < config.writeRatio;
      // The mutant takes the read lock for a write: a write grant that acts as a read grant.
      const lock = writes && config.mutant !== 'write-as-read' ? connection?.write : connection?.read;
      return { lock, mode: writes ? 'exclusive' : 'shared', writes };
    }
    if (config.permits !== undefined) return { lock: connection?.lock, mode: 'shared', writes: false };
    return { lock: connection?.lock, mode: undefined, writes: true };
  };

  for (let iteration = 0; iteration < config.operations; iteration += 1) {
    let lease: LeaseLike | undefined;
    // Without a lock every client writes with token 0: only the mutant resource (fencing off) lets that through.
    let token = 0n;
    const { lock, mode, writes } = section();
    if (lock !== undefined) {
      record('invoke', 'acquire', { mode });
      try {
        lease = await lock.acquire(config.acquireOptions);
        token = lease.token;
        record('ok', 'acquire', { token, mode });
      } catch (error) {
        record(isTimeout(error) ? 'fail' : 'info', 'acquire', { value: describeError(error), mode });
        continue;
      }
    }

    try {
      // The read carries the token too: a fence on writes alone lets an older holder write between a
      // newer holder's read and write, and the newer write then erases that update.
      record('invoke', 'read', { token });
      const read = await resource.fencedRead(token, holder, mode === 'shared' ? 'shared' : 'exclusive');
      if (!read.accepted) record('fail', 'read', { value: read.reason, token });
      else {
        const { value } = read;
        record('ok', 'read', { value, token });
        await sleep(random() * 2 * config.criticalSectionMs);
        // A reader or permit holder only reads. A careful client checks its grant before acting on it; the
        // window after this check is what fencing exists for.
        if (writes && config.checkLeaseBeforeWrite && lease?.signal.aborted) {
          record('info', 'write', { value: 'skipped: lease lost', token });
        } else if (writes) {
          record('invoke', 'write', { value: value + 1, token });
          try {
            const result = await resource.write(value + 1, token, holder);
            if (result.accepted) record('ok', 'write', { value: value + 1, token });
            else record('fail', 'write', { value: result.reason, token });
          } catch (error) {
            record('info', 'write', { value: describeError(error), token });
          }
        }
      }
    } catch (error) {
      record('info', 'read', { value: describeError(error), token });
    }

    if (lease !== undefined) {
      record('invoke', 'release', { token });
      try {
        record('ok', 'release', { value: await lease.release(), token });
      } catch (error) {
        record('info', 'release', { value: describeError(error), token });
      }
    }
  }
  resource.close();
  await connection?.close();
}

/**
 * Exits once the last message is handed to the parent: a lock client that leaves a handle open (a
 * timer, a socket) must not keep the run waiting. The history is already on disk (synchronous appends).
 */
function finish(message: ClientChildMessage, code: number): void {
  if (process.send === undefined) process.exit(code);
  process.send(message, undefined, {}, () => process.exit(code));
}

process.once('message', (config: ClientChildConfig) => {
  run(config).then(
    () => finish({ kind: 'done' }, 0),
    (error: unknown) =>
      finish(
        { kind: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        1,
      ),
  );
});
