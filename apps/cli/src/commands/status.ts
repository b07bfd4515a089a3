import { LockBackendError, validateLockName } from '@lock/core';
import { CLI_NEEDS, openSelector } from '../config/open-selector.js';
import { askServer, formatServer } from '../shared/ask-server.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine, parseMs, parsePrimitive } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { toJson } from '../shared/to-json.js';
import { UsageError } from '../shared/usage-error.js';
import { within } from '../shared/within.js';
import { formatStatus } from '../status/format-status.js';

const USAGE =
  'Usage: lock status NAME [--shared | --write | --permits N] [--config file] [--json] [--timeout ms]';

const HELP = `${USAGE}

Prints who holds the lock NAME, its fencing token and its waiters, as the backend 'lock run' would use for
NAME reports them (each backend names holders and waiters its own way: an owner id, a key, a node), how
long each has held or waited where the backend records a time (age), and what the server is (its version,
known problems with it). In-process backends cannot be asked from another process.

Options:
  --shared, --write
                  NAME is a read-write lock: ask the backend 'lock run --shared' would use (holders show
                  as readers and writers)
  --permits N     NAME is a semaphore of N permits: ask the backend 'lock run --permits N' would use
  --config file   configuration file (default: $LOCK_CONFIG, else ./lock.config.json, else embedded)
  --timeout ms    give up when the backend has not answered after this long (default 10000)
  --json          print { backend, kind, cluster, held, name, holders, waiters, waiterCount, lastToken, details,
                  server } as JSON (tokens as decimal strings; holders and waiters carry ageMs where known)
  -h, --help      this help

Exit codes:
  ${EXIT.OK}    printed (held or free)
  ${EXIT.USAGE}   bad usage or invalid name
  ${EXIT.BACKEND}   the backend failed or could not be reached
  ${EXIT.CONFIG}   bad configuration, no backend for NAME, or the backend cannot report status
`;

/** `lock status NAME [--config file] [--json]`. */
export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals, rest } = parseCommandLine(args, {
      config: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      shared: { type: 'boolean' },
      write: { type: 'boolean' },
      permits: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length !== 1 || rest !== undefined) throw new UsageError('expected exactly one NAME');
    const name = positionals[0]!;
    validateLockName(name);
    const timeoutMs = parseMs('timeout', values.timeout, 1) ?? 10_000;
    const primitive = parsePrimitive(values.shared, values.write, values.permits);
    const needs =
      primitive.kind === 'read' || primitive.kind === 'write'
        ? { ...CLI_NEEDS, mode: 'shared' as const }
        : primitive.kind === 'permit'
          ? { ...CLI_NEEDS, permits: primitive.permits }
          : CLI_NEEDS;
    const { selector } = await openSelector(values.config as string | undefined, { check: false });
    try {
      const [answer, server] = await Promise.all([
        within(selector.status(name, needs), timeoutMs),
        askServer(selector, name, needs, Math.min(timeoutMs, 3_000)),
      ]);
      if (answer === undefined) {
        const chosen = selector.explain(name, needs).candidates.find((candidate) => candidate.chosen);
        throw new LockBackendError(chosen?.kind ?? 'backend', 'status', {
          lockName: name,
          detail: `no answer within ${timeoutMs} ms (is the server up?)`,
        });
      }
      const { status, explanation } = answer.value;
      const chosen = explanation.candidates.find((candidate) => candidate.chosen)!;
      if (values.json) {
        process.stdout.write(
          `${toJson({ backend: chosen.backend, kind: chosen.kind, cluster: explanation.cluster, held: status.holders.length > 0, ...status, server })}\n`,
        );
        return EXIT.OK;
      }
      process.stdout.write(formatStatus(status, chosen, explanation));
      if (server !== undefined) process.stdout.write(formatServer(server));
      return EXIT.OK;
    } finally {
      await within(selector.close(), 2_000);
    }
  } catch (error) {
    return reportError('status', error, USAGE);
  }
}
