import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childScriptPath } from './child-script.js';

/**
 * Every PID this process spawned and has not yet seen exit. Module state on purpose: the exit and
 * signal handlers must find every server no matter which handle started it.
 */
const livePids = new Set<number>();
/** Temp directories to remove on the way out, after their processes are killed. */
const tempDirs = new Set<string>();
let handlersInstalled = false;
let reaper: { child: ChildProcess; dir: string; pidFile: string } | undefined;

/** PIDs of spawned processes (servers, resource and client children) that have not exited yet. */
export function registeredPids(): number[] {
  return [...livePids];
}

/**
 * Registers a spawned PID so it is killed when this process exits, is interrupted, or is SIGKILLed
 * (through the reaper). Call {@link unregisterPid} once the process has exited, so a recycled PID is
 * never killed by mistake.
 */
export function registerPid(pid: number): void {
  installHandlers();
  livePids.add(pid);
  ensureReaper();
  writePidFile();
}

/** Forgets a PID after its process exited. */
export function unregisterPid(pid: number): void {
  if (livePids.delete(pid)) writePidFile();
}

/**
 * Registers a temp directory to remove if this process exits or dies before the owner removes it
 * (the reaper removes it too, after killing the PIDs that might still write there).
 */
export function registerTempDir(dir: string): void {
  installHandlers();
  tempDirs.add(dir);
  ensureReaper();
  writePidFile();
}

/** Forgets a temp directory its owner removed. */
export function unregisterTempDir(dir: string): void {
  if (tempDirs.delete(dir)) writePidFile();
}

/** Sends SIGKILL to every registered PID and removes registered temp dirs, synchronously; used on the way out. */
export function killRegisteredPidsSync(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
  stopReaper();
}

function writePidFile(): void {
  if (reaper === undefined) return;
  // Write-then-rename (atomic within one directory) so the reaper never reads a half-written list.
  const temporary = `${reaper.pidFile}.tmp`;
  // One entry per line: a PID, or `dir <path>` for a directory to remove afterwards.
  const lines = [...[...livePids].map(String), ...[...tempDirs].map((dir) => `dir ${dir}`)];
  writeFileSync(temporary, lines.join('\n'));
  renameSync(temporary, reaper.pidFile);
}

function ensureReaper(): void {
  if (reaper !== undefined) return;
  const dir = mkdtempSync(join(tmpdir(), 'lock-testkit-reaper-'));
  const pidFile = join(dir, 'pids');
  writeFileSync(pidFile, '');
  // Detached and unreferenced: it must survive our death and must not keep our event loop alive.
  const child = spawn(process.execPath, [childScriptPath('reaper.js'), String(process.pid), pidFile], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  reaper = { child, dir, pidFile };
}

function stopReaper(): void {
  if (reaper === undefined) return;
  try {
    if (reaper.child.pid !== undefined) process.kill(reaper.child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  rmSync(reaper.dir, { recursive: true, force: true });
  reaper = undefined;
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
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
