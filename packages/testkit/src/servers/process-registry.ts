import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childScriptPath } from './child-script.js';

interface RegistryState {
  /** Every PID this process spawned and has not yet seen exit. */
  livePids: Set<number>;
  /** Temp directories to remove on the way out, after their processes are killed. */
  tempDirs: Set<string>;
  handlersInstalled: boolean;
  reaper: { child: ChildProcess; dir: string; pidFile: string } | undefined;
}

/**
 * One registry per process, kept on globalThis under a `Symbol.for` key: the ESM and CJS builds, and
 * vitest's per-file module instances, must share one set of PIDs, one reaper and one set of exit handlers.
 */
const state: RegistryState = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('@lock/testkit/process-registry')
] ??= {
  livePids: new Set<number>(),
  tempDirs: new Set<string>(),
  handlersInstalled: false,
  reaper: undefined,
} satisfies RegistryState) as RegistryState;

/** PIDs of spawned processes (servers, resource and client children) that have not exited yet. */
export function registeredPids(): number[] {
  return [...state.livePids];
}

/**
 * Registers a spawned PID so it is killed when this process exits, is interrupted, or is SIGKILLed
 * (through the reaper). Call {@link unregisterPid} once the process has exited, so a recycled PID is
 * never killed by mistake.
 */
export function registerPid(pid: number): void {
  installHandlers();
  state.livePids.add(pid);
  ensureReaper();
  writePidFile();
}

/** Forgets a PID after its process exited. */
export function unregisterPid(pid: number): void {
  if (state.livePids.delete(pid)) writePidFile();
}

/**
 * Registers a temp directory to remove if this process exits or dies before the owner removes it
 * (the reaper removes it too, after killing the PIDs that might still write there).
 */
export function registerTempDir(dir: string): void {
  installHandlers();
  state.tempDirs.add(dir);
  ensureReaper();
  writePidFile();
}

/** Forgets a temp directory its owner removed. */
export function unregisterTempDir(dir: string): void {
  if (state.tempDirs.delete(dir)) writePidFile();
}

/** Sends SIGKILL to every registered PID and removes registered temp dirs, synchronously; used on the way out. */
export function killRegisteredPidsSync(): void {
  for (const pid of state.livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  state.livePids.clear();
  for (const dir of state.tempDirs) rmSync(dir, { recursive: true, force: true });
  state.tempDirs.clear();
  stopReaper();
}

function writePidFile(): void {
  if (state.reaper === undefined) return;
  // Write-then-rename (atomic within one directory) so the reaper never reads a half-written list.
  const temporary = `${state.reaper.pidFile}.tmp`;
  // One entry per line: a PID, or `dir <path>` for a directory to remove afterwards.
  const lines = [...[...state.livePids].map(String), ...[...state.tempDirs].map((dir) => `dir ${dir}`)];
  writeFileSync(temporary, lines.join('\n'));
  renameSync(temporary, state.reaper.pidFile);
}

function ensureReaper(): void {
  if (state.reaper !== undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'lock-testkit-reaper-'));
  const pidFile = join(dir, 'pids');
  writeFileSync(pidFile, '');
  // Detached and unreferenced: it must survive our death and must not keep our event loop alive.
  const child = spawn(process.execPath, [childScriptPath('reaper.js'), String(process.pid), pidFile], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  state.reaper = { child, dir, pidFile };
}

function stopReaper(): void {
  if (state.reaper === undefined) return;
  try {
    if (state.reaper.child.pid !== undefined) process.kill(state.reaper.child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  rmSync(state.reaper.dir, { recursive: true, force: true });
  state.reaper = undefined;
}

function installHandlers(): void {
  if (state.handlersInstalled) return;
  state.handlersInstalled = true;
  process.on('exit', killRegisteredPidsSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killRegisteredPidsSync();
      process.removeListener(signal, onSignal);
      // Adding a listener replaced the default "die on signal"; restore it when nobody else handles
      // the signal, so Ctrl-C still ends the process.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
