/**
 * Reaper: a tiny detached process that outlives a parent killed with SIGKILL and kills the servers that
 * parent started. A SIGKILLed process runs no 'exit' handler, so without it every redis/etcd/java child
 * would be orphaned on loopback ports.
 *
 * Usage: `node reaper.js <parentPid> <pidFile>`. The parent rewrites `pidFile` (one PID per line, or
 * `dir <path>` for a temp directory to remove after the kills)
 * whenever it starts or stops a server; the reaper re-reads it on each poll so it always kills the
 * current set. It exits by itself once the parent is gone and the PIDs are killed.
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

const POLL_MS = 500;

const parentPid = Number(process.argv[2]);
const pidFile = process.argv[3];
if (!Number.isInteger(parentPid) || parentPid <= 0 || pidFile === undefined) {
  process.stderr.write('usage: reaper <parentPid> <pidFile>\n');
  process.exit(2);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the PID exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readEntries(): { pids: number[]; dirs: string[] } {
  let lines: string[];
  try {
    lines = readFileSync(pidFile as string, 'utf8').split('\n');
  } catch {
    lines = [];
  }
  return {
    pids: lines.map((line) => Number(line.trim())).filter((pid) => Number.isInteger(pid) && pid > 0),
    dirs: lines.filter((line) => line.startsWith('dir /')).map((line) => line.slice(4)),
  };
}

const timer = setInterval(() => {
  // Re-parenting also reveals the death: once the parent is gone our ppid changes.
  if (isAlive(parentPid) && process.ppid === parentPid) return;
  const { pids, dirs } = readEntries();
  for (const pid of pids) {
    try {
      // SIGCONT first is unnecessary: SIGKILL also ends a stopped process.
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  rmSync(dirname(pidFile as string), { recursive: true, force: true });
  clearInterval(timer);
}, POLL_MS);
