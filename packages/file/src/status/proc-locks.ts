import { readFileSync } from 'node:fs';

/** What the kernel's lock table says about one file. */
export interface KernelLockEntries {
  /** Granted locks on the file: `write` (exclusive) or `read` (shared). */
  readonly granted: readonly ('read' | 'write')[];
  /** Requests blocked behind them: one per waiting process that follows this package's protocol. */
  readonly blocked: number;
}

/**
 * The granted and blocked locks on the file with device `dev` and inode `ino`, from Linux's `/proc/locks`
 * (fcntl, open file description and flock locks of the whole machine); `undefined` where there is no such
 * file (macOS, Windows) or it cannot be read. `/proc/locks` prints the kernel's device numbers, which on some
 * file systems (btrfs subvolumes, overlayfs) differ from `stat`'s: then the entries for the inode are used if
 * they all name one device. flock(2) entries are left out: they do not exclude ours (see the README).
 * @internal
 */
export function kernelLocksOf(
  dev: number,
  ino: number,
  table = readProcLocks(),
): KernelLockEntries | undefined {
  if (table === undefined) return undefined;
  const onInode = parseProcLocks(table).filter((entry) => entry.ino === ino && entry.type !== 'FLOCK');
  const major = majorOf(dev);
  const minor = minorOf(dev);
  let entries = onInode.filter((entry) => entry.major === major && entry.minor === minor);
  if (entries.length === 0 && new Set(onInode.map((entry) => `${entry.major}:${entry.minor}`)).size === 1) {
    entries = onInode;
  }
  return {
    granted: entries.filter((entry) => !entry.blocked).map((entry) => entry.mode),
    blocked: entries.filter((entry) => entry.blocked).length,
  };
}

interface ProcLockEntry {
  readonly blocked: boolean;
  readonly type: string;
  readonly mode: 'read' | 'write';
  readonly major: number;
  readonly minor: number;
  readonly ino: number;
}

/** Parses lines such as `1: OFDLCK ADVISORY  WRITE -1 fe:00:2162736 0 EOF` and `1: -> OFDLCK ...`. @internal */
export function parseProcLocks(text: string): ProcLockEntry[] {
  const entries: ProcLockEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const blocked = fields[1] === '->';
    const [type, , mode, , device] = fields.slice(blocked ? 2 : 1);
    const parts = device?.split(':');
    if (type === undefined || parts?.length !== 3 || (mode !== 'READ' && mode !== 'WRITE')) continue;
    entries.push({
      blocked,
      type,
      mode: mode === 'WRITE' ? 'write' : 'read',
      major: Number.parseInt(parts[0]!, 16),
      minor: Number.parseInt(parts[1]!, 16),
      ino: Number(parts[2]),
    });
  }
  return entries;
}

function readProcLocks(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
}

/** glibc's `major()` of a `stat` device number. */
function majorOf(dev: number): number {
  const low = dev >>> 0;
  const high = Math.floor(dev / 2 ** 32);
  return (((low >>> 8) & 0xfff) | (high & 0xfffff000)) >>> 0;
}

/** glibc's `minor()` of a `stat` device number. */
function minorOf(dev: number): number {
  const low = dev >>> 0;
  const high = Math.floor(dev / 2 ** 32);
  return ((low & 0xff) | ((low >>> 12) & 0xfff00) | ((high & 0xfff) << 20)) >>> 0;
}
