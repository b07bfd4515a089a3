import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import {
  type InheritableLease,
  InvalidArgumentError,
  type Lease,
  type Lock,
  LockLostError,
  LockTimeoutError,
} from '@lock/core';
import type { Explanation, Selector } from '@lock/selector';
import { CLI_NEEDS, openSelector } from '../config/open-selector.js';
import { EXIT } from '../shared/exit-codes.js';
import type { Primitive } from '../shared/parse-command-line.js';
import { UsageError } from '../shared/usage-error.js';
import { within } from '../shared/within.js';

/** What `lock run` does when the lock is lost while the command runs. */
export type OnLost = 'kill' | 'term' | 'ignore';

/** Settings of one `lock run`. */
export interface RunLockedOptions {
  readonly name: string;
  /** The command and its arguments. */
  readonly command: readonly string[];
  /** Longest wait for the lock in ms; `undefined` waits forever, 0 tries once. */
  readonly timeoutMs?: number | undefined;
  /** Lease length in ms for backends with leases (renewed while the command runs). */
  readonly ttlMs?: number | undefined;
  readonly onLost: OnLost;
  /** With `onLost: 'term'`, how long to wait after SIGTERM before SIGKILL, in ms. */
  readonly killAfterMs: number;
  /** `--config`, if given. */
  readonly configFlag?: string | undefined;
  /** `--shared`, `--write` or `--permits N`: which lock to take (the exclusive lock by default). */
  readonly primitive?: Primitive | undefined;
  /** Where `lock run` reports; the command's own output is not touched. */
  readonly log?: ((line: string) => void) | undefined;
  /**
   * Runs after the lock is granted and before the command is spawned.
   * @internal A test seam: a signal delivered here must still keep the command from starting.
   */
  readonly beforeSpawn?: ((lease: Lease) => void | Promise<void>) | undefined;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type ForwardedSignal = (typeof FORWARDED)[number];

class InterruptedWhileWaiting extends Error {
  constructor(readonly signal: ForwardedSignal) {
    super(`interrupted by ${signal} while waiting for the lock`);
  }
}

function signalExitCode(signal: NodeJS.Signals): number {
  return EXIT.SIGNAL_BASE + (constants.signals[signal] ?? 0);
}

/**
 * Runs a command while holding a lock, like `flock(1)` or `etcdctl lock NAME CMD` on any configured backend:
 * waits for the lock (a signal while waiting leaves nothing behind), starts the command with `LOCK_NAME`,
 * `LOCK_TOKEN` (the fencing token) and `LOCK_BACKEND` in its environment, forwards SIGINT, SIGTERM and
 * SIGHUP to it, stops it if the lock is lost, and releases the lock when it exits.
 *
 * @returns the exit code: the command's own, or one of {@link EXIT}'s.
 */
export async function runLocked(options: RunLockedOptions): Promise<number> {
  const log = options.log ?? ((line: string) => process.stderr.write(`lock run: ${line}\n`));
  const waiting = new AbortController();
  let child: ChildProcess | undefined;
  // A signal before the spawn is remembered, not only sent to the acquire: one that arrives after the grant
  // finds the acquire already settled, and must still keep the command from starting.
  let interrupted: ForwardedSignal | undefined;
  const onSignal = (signal: ForwardedSignal) => {
    if (child === undefined) {
      interrupted ??= signal;
      waiting.abort(new InterruptedWhileWaiting(signal));
    }
    // A terminal's Ctrl-C reaches the command directly too (same process group); this covers `kill <pid>`.
    else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const handlers = FORWARDED.map((signal) => {
    const handler = () => onSignal(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const { selector } = await openSelector(options.configFlag, { ttlMs: options.ttlMs }).catch(
    (error: unknown) => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
      // A lease length the chosen kind cannot grant (etcd: whole seconds from 2 s) is a bad --ttl.
      if (InvalidArgumentError.isInstance(error) && error.parameter === 'options.ttlMs') {
        throw new UsageError(`--ttl ${options.ttlMs}: ${error.message}`);
      }
      throw error;
    },
  );
  let lease: Lease | undefined;
  try {
    let explanation: Explanation;
    try {
      // One routing for the choice and the lock; --ttl is already in the backend's settings.
      const resolved = await resolveLock(selector, options.name, options.primitive ?? { kind: 'exclusive' });
      explanation = resolved.explanation;
      if (explanation.needs.blocking || options.timeoutMs !== undefined) {
        lease = await resolved.lock.acquire({ timeoutMs: options.timeoutMs, signal: waiting.signal });
      } else {
        // The policy preempts (blocking: false): one try, as an order grab does.
        const taken = await resolved.lock.tryAcquire({ signal: waiting.signal });
        if (taken === null) {
          log(
            `lock ${JSON.stringify(options.name)} is held and its policy preempts (blocking: false): not waiting`,
          );
          return EXIT.TIMEOUT;
        }
        lease = taken;
      }
    } catch (error) {
      if (error instanceof InterruptedWhileWaiting) return signalExitCode(error.signal);
      if (LockTimeoutError.isInstance(error)) {
        log(error.message);
        return EXIT.TIMEOUT;
      }
      throw error;
    }
    await options.beforeSpawn?.(lease);
    if (interrupted !== undefined) {
      log(`interrupted by ${interrupted} before the command started; releasing the lock`);
      return signalExitCode(interrupted);
    }
    return await superviseCommand(options, lease, explanation.chosen ?? '', log, (started) => {
      child = started;
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    if (lease !== undefined)
      await within(
        lease.release().catch(() => false),
        5_000,
      );
    // With nothing granted there is nothing to give back: do not keep the user waiting for a backend that
    // never answered to close cleanly (its session, if any, expires on its own).
    await within(
      selector.close().catch(() => {}),
      lease === undefined ? 250 : 2_000,
    );
  }
}

/** The fd number a command receives an inherited grant on (the first after stdin, stdout, stderr). */
const INHERITED_FD = 3;

/** The file descriptor that carries the lease's grant, when the backend's grant can be inherited. */
function inheritableFdOf(lease: Lease): number | undefined {
  const fd = (lease as Partial<InheritableLease>).inheritableFd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** Starts the command under the held lease and resolves with the exit code once it has exited. */
function superviseCommand(
  options: RunLockedOptions,
  lease: Lease,
  backend: string,
  log: (line: string) => void,
  started: (child: ChildProcess) => void,
): Promise<number> {
  const [file, ...args] = options.command;
  return new Promise<number>((resolve) => {
    let lost = false;
    let killTimer: NodeJS.Timeout | undefined;
    // A grant that lives in an open file description (a kernel file lock) is shared with the command as its
    // fd 3, as flock(1) does: the lock then stays held while the command runs, even if this process is killed.
    const inheritedFd = inheritableFdOf(lease);
    const child = spawn(file!, args, {
      stdio: inheritedFd === undefined ? 'inherit' : ['inherit', 'inherit', 'inherit', inheritedFd],
      env: {
        ...process.env,
        LOCK_NAME: options.name,
        LOCK_TOKEN: lease.token.toString(),
        LOCK_BACKEND: backend,
        ...(inheritedFd === undefined ? {} : { LOCK_FD: String(INHERITED_FD) }),
      },
    });
    started(child);
    const onLost = () => {
      lost = true;
      const reason = LockLostError.isInstance(lease.signal.reason)
        ? lease.signal.reason.message
        : 'lock lost';
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (options.onLost === 'ignore') {
        log(`${reason}; the command keeps running (--on-lost ignore), exit code will be ${EXIT.LOST}`);
        return;
      }
      const signal = options.onLost === 'kill' ? 'SIGKILL' : 'SIGTERM';
      log(`${reason}; stopping the command with ${signal}`);
      child.kill(signal);
      if (signal === 'SIGTERM') {
        killTimer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) {
            log(`the command ignored SIGTERM for ${options.killAfterMs} ms; sending SIGKILL`);
            child.kill('SIGKILL');
          }
        }, options.killAfterMs);
      }
    };
    if (lease.signal.aborted) onLost();
    else lease.signal.addEventListener('abort', onLost, { once: true });
    child.once('error', (error: NodeJS.ErrnoException) => {
      lease.signal.removeEventListener('abort', onLost);
      log(`cannot run ${JSON.stringify(file)}: ${error.message}`);
      resolve(error.code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.NOT_EXECUTABLE);
    });
    child.once('exit', (code, signal) => {
      lease.signal.removeEventListener('abort', onLost);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (lost || lease.signal.aborted) resolve(EXIT.LOST);
      else if (signal !== null) resolve(signalExitCode(signal));
      else resolve(code ?? EXIT.INTERNAL);
    });
  });
}

/** The choice and the lock a command takes, from one routing: `lock run`'s needs plus the primitive's. */
async function resolveLock(
  selector: Selector,
  name: string,
  primitive: Primitive,
): Promise<{ readonly lock: Lock; readonly explanation: Explanation }> {
  if (primitive.kind === 'read' || primitive.kind === 'write') {
    const { readWriteLock, explanation } = await selector.resolveReadWrite(name, undefined, CLI_NEEDS);
    return { lock: primitive.kind === 'read' ? readWriteLock.read : readWriteLock.write, explanation };
  }
  const needs = primitive.kind === 'permit' ? { ...CLI_NEEDS, permits: primitive.permits } : CLI_NEEDS;
  return selector.resolve(name, undefined, needs);
}
