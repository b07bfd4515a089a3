import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { childScriptPath } from '../servers/child-script.js';
import { registerPid, unregisterPid } from '../servers/process-registry.js';
import { checkHistory, type SafetyReport } from './check-history.js';
import type { ClientChildConfig, ClientChildMessage } from './client-child.js';
import { type ClientMutant, fencingFor } from './client-mutant.js';
import type { ResourceState } from './guarded-resource.js';
import { GuardedResourceClient } from './guarded-resource-client.js';
import { type HistoryEvent, HistoryWriter, readHistory, sortHistory, writeHistory } from './history.js';
import { type GuardedResourceProcess, startGuardedResource } from './start-guarded-resource.js';

/** Options for {@link runClients}. */
export interface RunClientsOptions {
  /** Number of client processes (Jepsen used 5). */
  count: number;
  /** Path or file URL of an ESM module exporting a {@link LockClientFactory}. */
  module: string;
  /** Export to call. Default `'default'`. */
  exportName?: string;
  /** Passed to the factory in every child (structured-cloned). */
  args?: unknown;
  /**
   * A running guarded resource. When omitted the runner starts one (with the fencing the mutant needs,
   * see {@link fencingFor}) and stops it at the end. A caller-supplied resource keeps its own fencing
   * mode, which must be the mutant's.
   */
  resourceUrl?: string;
  /** Where each client writes `proc-N.ndjson`, faults go to `nemesis.ndjson`, the merge to `history.ndjson`. */
  historyDir: string;
  /** Critical sections per client. */
  operations: number;
  /** Default `'none'`. */
  mutant?: ClientMutant;
  /** Seeds the clients' sleep times; reported in the verdict. Default: random. */
  seed?: number;
  /** Each critical section sleeps uniformly in [0, 2 x this] between read and write. Default 5 ms. */
  criticalSectionMs?: number;
  /** Passed to `lock.acquire()`. */
  acquireOptions?: { timeoutMs?: number; ttlMs?: number };
  /**
   * Whether clients check `lease.signal` before writing (default true, a careful client). `false` makes
   * careless clients that write whatever their lease says: every stale write then reaches the resource,
   * which shows what the fence alone is worth.
   */
  checkLeaseBeforeWrite?: boolean;
  /** Called once every child is running, e.g. to start a fault schedule. */
  onStart?: (control: ClientRunControl) => void;
  /** Called for every history event as the children stream them. */
  onEvent?: (event: HistoryEvent, control: ClientRunControl) => void;
  /** Counted at the end for the leftovers check (orphan keys, znodes, leases). */
  countOrphans?: () => Promise<Record<string, number>>;
  /** See {@link CheckHistoryOptions.overlapsAreViolations}. */
  overlapsAreViolations?: boolean;
  /**
   * Read-write clients: the factory returns `read` and `write` (one read-write lock), and each section
   * writes with this probability (0..1, seeded) under the write lock, else reads under the read lock. The
   * checks then count a writer beside any holder as an overlap; readers together are not.
   */
  writeRatio?: number;
  /**
   * Semaphore clients: the factory builds its semaphore with `client.permits` (this), sections read under a
   * permit, and the report's `permits` check counts more than this many believed holders as violations.
   */
  permits?: number;
  /** Kill everything and reject if the run takes longer. Default 120 s. */
  timeoutMs?: number;
}

/** Handles on a running set of clients, for fault injection. */
export interface ClientRunControl {
  /** PID per client, index = proc. */
  readonly pids: readonly number[];
  /** Clients that currently believe they hold the lock (between `ok(acquire)` and `invoke(release)`). */
  holders(): number[];
  /** SIGSTOP a client (records a fault). */
  pause(proc: number): void;
  /** SIGCONT a client (records a fault). */
  resume(proc: number): void;
  /** SIGKILL a client (records a fault); the run then ends without it. */
  kill(proc: number): void;
  /** Records a fault event (proc `'nemesis'`) in the history. */
  recordFault(value: unknown): void;
}

/** What {@link runClients} returns. */
export interface ClientRunResult {
  /** All events, merged in time order. */
  history: HistoryEvent[];
  report: SafetyReport;
  /** The resource's state at the end. */
  resource: ResourceState;
  /** Path of the merged NDJSON history. */
  historyFile: string;
}

/**
 * Runs `count` client processes against a guarded resource and checks the resulting history.
 *
 * Each child imports `module`, calls the factory with `args`, and performs `operations` critical sections
 * (acquire, read under the token, sleep, write value + 1 under the token, release), recording
 * invoke/ok/fail/info events. A read the fence refuses ends the section without a write.
 * Clients are separate processes so a test can SIGSTOP or SIGKILL a holder, like a GC pause or a crash.
 * With `writeRatio` the clients share a read-write lock (readers only read, under shared fenced reads);
 * with `permits` a semaphore.
 */
export async function runClients(options: RunClientsOptions): Promise<ClientRunResult> {
  if (!Number.isInteger(options.count) || options.count < 1) {
    throw new RangeError(`count must be a positive integer, got ${options.count}`);
  }
  if (!Number.isInteger(options.operations) || options.operations < 0) {
    throw new RangeError(`operations must be a non-negative integer, got ${options.operations}`);
  }
  const { writeRatio, permits } = options;
  if (writeRatio !== undefined && !(typeof writeRatio === 'number' && writeRatio >= 0 && writeRatio <= 1)) {
    throw new RangeError(`writeRatio must be a number from 0 to 1, got ${writeRatio}`);
  }
  if (permits !== undefined && !(Number.isInteger(permits) && permits >= 1)) {
    throw new RangeError(`permits must be a positive integer, got ${permits}`);
  }
  if (writeRatio !== undefined && permits !== undefined) {
    throw new RangeError(
      'writeRatio (read-write clients) and permits (semaphore clients) exclude each other',
    );
  }
  const mutant = options.mutant ?? 'none';
  if (mutant === 'write-as-read' && writeRatio === undefined)
    throw new RangeError("mutant 'write-as-read' needs read-write clients (writeRatio)");
  if (mutant === 'permits-plus-one' && permits === undefined)
    throw new RangeError("mutant 'permits-plus-one' needs semaphore clients (permits)");
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const historyDir = resolve(options.historyDir);
  mkdirSync(historyDir, { recursive: true });
  const processFiles = [
    ...Array.from({ length: options.count }, (_, proc) => join(historyDir, `proc-${proc}.ndjson`)),
    join(historyDir, 'nemesis.ndjson'),
  ];
  const historyFile = join(historyDir, 'history.ndjson');
  // Writers append; files left by an earlier run in the same directory would leak into this history.
  for (const file of [...processFiles, historyFile]) rmSync(file, { force: true });

  let ownResource: GuardedResourceProcess | undefined;
  if (options.resourceUrl === undefined) {
    ownResource = await startGuardedResource({ fencing: fencingFor(mutant) });
  }
  const resourceUrl = options.resourceUrl ?? ownResource!.url;
  const resource = new GuardedResourceClient(resourceUrl);
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  try {
    const before = await resource.state();
    if (mutant !== 'none' && before.fencing !== fencingFor(mutant)) {
      throw new Error(
        `mutant '${mutant}' needs a resource with fencing ${fencingFor(mutant)}; ${resourceUrl} has fencing ${before.fencing}`,
      );
    }

    let hookError: unknown;
    const nemesis = new HistoryWriter(join(historyDir, 'nemesis.ndjson'), 'nemesis');
    const holding = new Set<number>();
    const killed = new Set<number>();
    const control: ClientRunControl = {
      pids: [],
      holders: () => [...holding],
      pause(proc) {
        signalChild(proc, 'SIGSTOP');
        nemesis.record('info', 'fault', { value: { kind: 'pause', proc } });
      },
      resume(proc) {
        signalChild(proc, 'SIGCONT');
        nemesis.record('info', 'fault', { value: { kind: 'resume', proc } });
      },
      kill(proc) {
        killed.add(proc);
        holding.delete(proc);
        signalChild(proc, 'SIGKILL');
        nemesis.record('info', 'fault', { value: { kind: 'kill', proc } });
      },
      recordFault(value) {
        nemesis.record('info', 'fault', { value });
      },
    };
    const signalChild = (proc: number, signal: NodeJS.Signals): void => {
      const pid = control.pids[proc];
      if (pid === undefined) throw new RangeError(`no client ${proc}`);
      process.kill(pid, signal);
    };

    const script = childScriptPath('client-child.js');
    const moduleSpecifier =
      /^[a-z]+:/i.test(options.module) || isAbsolute(options.module)
        ? options.module
        : resolve(options.module);
    const finished: Array<Promise<void>> = [];
    for (let proc = 0; proc < options.count; proc += 1) {
      // 'advanced' serialization carries bigint tokens over IPC.
      const child = fork(script, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      });
      if (child.pid === undefined) throw new Error(`client ${proc} failed to spawn`);
      const pid = child.pid;
      registerPid(pid);
      children.push(child);
      exits.push(new Promise((resolveExit) => child.once('exit', () => resolveExit())));
      (control.pids as number[]).push(pid);
      let stderrTail = '';
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        stderrTail = (stderrTail + chunk).slice(-4_000);
        process.stderr.write(chunk);
      });
      let failure: string | undefined;
      let done = false;
      child.on('message', (message: ClientChildMessage) => {
        if (message.kind === 'event') {
          const { event } = message;
          if (event.f === 'acquire' && event.type === 'ok') holding.add(proc);
          if (event.f === 'release' && event.type === 'invoke') holding.delete(proc);
          try {
            options.onEvent?.(event, control);
          } catch (error) {
            // A throwing hook (e.g. a failed expect) ends the run with that error instead of an
            // uncaught exception in an IPC callback.
            hookError ??= error;
            for (const other of children) other.kill('SIGKILL');
          }
        } else if (message.kind === 'done') done = true;
        else if (message.kind === 'error') failure = message.message;
      });
      finished.push(
        new Promise<void>((resolvePromise, reject) => {
          child.once('exit', (code, signal) => {
            unregisterPid(pid);
            holding.delete(proc);
            if (hookError !== undefined) reject(hookError);
            else if (killed.has(proc) || (done && code === 0)) resolvePromise();
            else {
              reject(
                new Error(
                  `client ${proc} (pid ${pid}) failed: ${failure ?? `exit code ${code}, signal ${signal}`}` +
                    (stderrTail ? `\n--- stderr ---\n${stderrTail}` : ''),
                ),
              );
            }
          });
        }),
      );
      const config: ClientChildConfig = {
        proc,
        module: moduleSpecifier,
        exportName: options.exportName ?? 'default',
        args: options.args ?? null,
        resourceUrl,
        historyFile: join(historyDir, `proc-${proc}.ndjson`),
        operations: options.operations,
        mutant,
        seed,
        criticalSectionMs: options.criticalSectionMs ?? 5,
        acquireOptions: options.acquireOptions ?? {},
        checkLeaseBeforeWrite: options.checkLeaseBeforeWrite ?? true,
        writeRatio,
        permits,
      };
      child.send(config);
    }
    try {
      options.onStart?.(control);
    } catch (error) {
      hookError = error;
      for (const child of children) child.kill('SIGKILL');
    }

    const timeoutMs = options.timeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`runClients did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      // allSettled first: one failing child must not leave the others running unobserved.
      const results = await Promise.race([Promise.allSettled(finished), timedOut]);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      clearTimeout(timer);
    }

    const after = await resource.state();
    const orphans = (await options.countOrphans?.()) ?? {};
    const history = sortHistory(processFiles.flatMap((file) => readHistoryIfPresent(file)));
    writeHistory(historyFile, history);
    const report = checkHistory(history, {
      resource: after,
      initialValue: before.value,
      writesBefore: before.writes.length,
      readsBefore: before.reads.length,
      orphans,
      seed,
      overlapsAreViolations: options.overlapsAreViolations ?? true,
      ...(permits === undefined ? {} : { permits }),
    });
    return { history, report, resource: after, historyFile };
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await Promise.all(exits);
    resource.close();
    await ownResource?.close();
  }
}

function readHistoryIfPresent(file: string): HistoryEvent[] {
  try {
    return readHistory(file);
  } catch (error) {
    // A client killed before its first event never created its file.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
