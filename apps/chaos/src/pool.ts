import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ClientMutant,
  type ClientRunControl,
  checkHistory,
  fencingFor,
  type HistoryEvent,
  HistoryWriter,
  readHistory,
  runClients,
  type SafetyReport,
  sortHistory,
  startGuardedResource,
  writeHistory,
} from '@lock/testkit';

/**
 * Handles on the clients of a cell, for the nemesis. Client ids (`proc`) are global and never reused: slot
 * `s` runs client `s`, and the replacement of a killed client in that slot is `s + slots`, then
 * `s + 2 x slots`, and so on, so a killed client's last section stays its own in the history.
 */
export interface PoolControl {
  /** Clients that believe they hold the lock now (between `ok(acquire)` and `invoke(release)`). */
  holders(): number[];
  /** Clients waiting in `acquire` now (invoked, not yet answered), holders excluded. */
  waiters(): number[];
  /** SIGSTOP a client (recorded as a fault); false if it has already ended. */
  pause(proc: number): boolean;
  /** SIGCONT a client (recorded as a fault); false if it has already ended. */
  resume(proc: number): boolean;
  /**
   * SIGKILL a client (recorded as a fault); its slot starts a replacement when the pool replaces kills.
   * False if it has already ended.
   */
  kill(proc: number): boolean;
  /** Records a fault event (proc `'nemesis'`). */
  recordFault(value: unknown): void;
  /** Ends the run now: every live client is killed (not a fault) and the history so far is checked. */
  stop(reason: string): void;
  /** Clients killed by the nemesis so far. */
  readonly kills: number;
}

/** Options for {@link runPool}. */
export interface PoolOptions {
  slots: number;
  /** Compiled client module (see `@lock/testkit`'s `runClients`). */
  module: string;
  /** The factory's arguments for the client of `slot` (e.g. its own proxy address). */
  argsFor: (slot: number) => unknown;
  /** Each client writes `proc-N/`; the merged history goes to `history.ndjson`, faults to `nemesis.ndjson`. */
  historyDir: string;
  /** Critical sections per slot, shared by a client and its replacements. */
  operations: number;
  mutant: ClientMutant;
  seed: number;
  criticalSectionMs: number;
  checkLeaseBeforeWrite: boolean;
  acquireOptions: { timeoutMs?: number };
  overlapsAreViolations: boolean;
  /** Whether a killed client's slot starts a new client for the sections it had left. */
  replaceKilled: boolean;
  onStart?: (control: PoolControl) => void;
  onEvent?: (event: HistoryEvent, control: PoolControl) => void;
  /** The run is stopped (see {@link PoolControl.stop}) after this long. */
  maxMs: number;
}

/** What {@link runPool} found. */
export interface PoolResult {
  report: SafetyReport;
  historyFile: string;
  /** Clients started in all (the first one of each slot and every replacement). */
  clients: number;
  /** Why the run was stopped early, if it was. */
  stopped: string | undefined;
}

/**
 * Runs a cell's clients as `slots` independent one-client runs of `runClients` on one shared guarded
 * resource, so a killed client can be replaced by a fresh process that goes on with its slot's remaining
 * sections: kill cells inject as many kills as their time allows instead of running out of clients. The
 * merged history of every client (ids made global, see {@link PoolControl}) is checked once at the end
 * against the resource's final state.
 */
export async function runPool(options: PoolOptions): Promise<PoolResult> {
  mkdirSync(options.historyDir, { recursive: true });
  const resource = await startGuardedResource({ fencing: fencingFor(options.mutant) });
  const live = new Map<number, ClientRunControl>();
  const holding = new Set<number>();
  const waiting = new Set<number>();
  const killed = new Set<number>();
  const nemesisFile = join(options.historyDir, 'nemesis.ndjson');
  const nemesis = new HistoryWriter(nemesisFile, 'nemesis');
  let stopped: string | undefined;
  let started = 0;

  const control: PoolControl = {
    holders: () => [...holding],
    waiters: () => [...waiting].filter((proc) => !holding.has(proc)),
    // The client's own run records these faults (in its directory; the merge gives them the global id).
    pause(proc) {
      const client = live.get(proc);
      client?.pause(0);
      return client !== undefined;
    },
    resume(proc) {
      const client = live.get(proc);
      client?.resume(0);
      return client !== undefined;
    },
    kill(proc) {
      const client = live.get(proc);
      if (client === undefined) return false;
      killed.add(proc);
      holding.delete(proc);
      waiting.delete(proc);
      client.kill(0);
      return true;
    },
    recordFault(value) {
      nemesis.record('info', 'fault', { value });
    },
    stop(reason) {
      if (stopped !== undefined) return;
      stopped = reason;
      nemesis.record('info', 'fault', { value: { kind: 'stop', reason } });
      for (const [proc, client] of live) {
        // A paused client must not outlive the run.
        killed.add(proc);
        try {
          process.kill(client.pids[0]!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    },
    get kills() {
      return [...killed].length;
    },
  };
  const timer = setTimeout(() => control.stop(`time limit ${options.maxMs} ms`), options.maxMs);
  const before = await resource.state();
  const procFiles: Array<{ proc: number; dir: string }> = [];

  const runSlot = async (slot: number): Promise<void> => {
    let remaining = options.operations;
    for (let generation = 0; remaining > 0 && stopped === undefined; generation++) {
      const proc = slot + generation * options.slots;
      const dir = join(options.historyDir, `proc-${proc}`);
      procFiles.push({ proc, dir });
      started += 1;
      try {
        await runClients({
          count: 1,
          module: options.module,
          args: options.argsFor(slot),
          historyDir: dir,
          resourceUrl: resource.url,
          operations: remaining,
          mutant: options.mutant,
          seed: options.seed + proc,
          criticalSectionMs: options.criticalSectionMs,
          checkLeaseBeforeWrite: options.checkLeaseBeforeWrite,
          acquireOptions: options.acquireOptions,
          overlapsAreViolations: options.overlapsAreViolations,
          timeoutMs: options.maxMs + 60_000,
          onStart: (local) => {
            live.set(proc, local);
          },
          onEvent: (event, local) => {
            if (!live.has(proc)) live.set(proc, local);
            const global: HistoryEvent = { ...event, proc };
            if (event.f === 'acquire') {
              if (event.type === 'invoke') waiting.add(proc);
              else waiting.delete(proc);
              if (event.type === 'ok') holding.add(proc);
            }
            if (event.f === 'release' && event.type === 'invoke') holding.delete(proc);
            options.onEvent?.(global, control);
          },
        });
      } catch (error) {
        // A client killed by stop() (not through its own control) fails its one-client run.
        if (stopped === undefined || !killed.has(proc)) throw error;
      } finally {
        live.delete(proc);
        holding.delete(proc);
        waiting.delete(proc);
      }
      const events = readIfPresent(join(dir, 'proc-0.ndjson'));
      const acquires = events.filter((event) => event.f === 'acquire' && event.type === 'invoke').length;
      const sections =
        acquires > 0 ? acquires : events.filter((e) => e.f === 'read' && e.type === 'invoke').length;
      remaining -= Math.max(1, sections);
      if (!killed.has(proc) || !options.replaceKilled) break;
    }
  };

  try {
    const running = Array.from({ length: options.slots }, (_, slot) => runSlot(slot));
    options.onStart?.(control);
    const slots = await Promise.allSettled(running);
    const failed = slots.find((slot) => slot.status === 'rejected');
    if (failed !== undefined) {
      control.stop('a client failed');
      throw failed.reason;
    }
    const after = await resource.state();
    const history = sortHistory([
      ...procFiles.flatMap(({ proc, dir }) => [
        ...readIfPresent(join(dir, 'proc-0.ndjson')).map((event) => ({ ...event, proc })),
        ...readIfPresent(join(dir, 'nemesis.ndjson')).map((event) => withProc(event, proc)),
      ]),
      ...readIfPresent(nemesisFile),
    ]);
    const historyFile = join(options.historyDir, 'history.ndjson');
    writeHistory(historyFile, history);
    const report = checkHistory(history, {
      resource: after,
      initialValue: before.value,
      writesBefore: before.writes.length,
      readsBefore: before.reads.length,
      seed: options.seed,
      overlapsAreViolations: options.overlapsAreViolations,
    });
    return { report, historyFile, clients: started, stopped };
  } finally {
    clearTimeout(timer);
    await resource.close();
  }
}

/** A fault a client's own run recorded (about its client 0), about the client's global id. */
function withProc(event: HistoryEvent, proc: number): HistoryEvent {
  const value = event.value as { proc?: unknown } | undefined;
  return typeof value === 'object' && value !== null && 'proc' in value
    ? { ...event, value: { ...value, proc } }
    : event;
}

function readIfPresent(file: string): HistoryEvent[] {
  return existsSync(file) ? readHistory(file) : [];
}
