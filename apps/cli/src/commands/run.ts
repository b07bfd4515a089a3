import { validateLockName } from '@lock/core';
import { type OnLost, runLocked } from '../run/run-locked.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine, parseMs, parsePrimitive } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { UsageError } from '../shared/usage-error.js';

const USAGE =
  'Usage: lock run NAME [--shared | --write | --permits N] [--timeout ms] [--ttl ms] [--config file] [--on-lost term|kill|ignore] [--kill-after ms] -- CMD [ARGS...]';

const HELP = `${USAGE}

Runs CMD while holding the lock NAME on the backend the configuration chooses for it (see 'lock explain
NAME'), like flock(1) or 'etcdctl lock NAME CMD' but on any configured backend. The lock must exclude other
processes, so 'lock run' asks for scope 'host' on top of the policy's needs: with no configuration it is a
kernel file lock shared by every process of this machine (@lock/file); configure a redis, etcd or zk backend
to exclude other machines too.

Without --shared, --write or --permits the lock is the exclusive lock NAME. A read-write lock or a semaphore
of a name may be another lock than the exclusive lock of that name (it depends on the backend): give every
run of one NAME the same kind of lock (readers --shared, writers --write).

The command gets in its environment:
  LOCK_NAME     the lock's name
  LOCK_TOKEN    the fencing token of this grant (decimal; strictly increasing across holders where the
                backend fences): pass it to the resource you write to and let it reject lower tokens
  LOCK_BACKEND  the backend entry the lock came from
  LOCK_FD       3, when the grant is a kernel file lock: the command inherits it on fd 3, so the lock stays
                held while the command runs even if 'lock run' itself is killed, as with flock(1)

SIGINT, SIGTERM and SIGHUP sent to 'lock run' are forwarded to the command. A signal while waiting for the
lock, or after the grant but before the command starts, releases the lock without starting the command.
The lock is released when the command exits.

Options:
  --shared           take a read grant of the read-write lock NAME: shared with other --shared runs,
                     excluded by --write runs; needs a backend with read-write locks
  --write            take the write grant of the read-write lock NAME: excludes every --shared and
                     --write run; a writer waiting holds back readers that come after it
  --permits N        take one of N permits of the semaphore NAME: at most N such runs at once; every run
                     of NAME must give the same N; needs a backend with semaphores
  --timeout ms       wait at most this long for the lock (default: forever; 0: try once)
  --ttl ms           lease length for backends with leases, renewed while the command runs (default: the
                     backend's); a shorter TTL frees the lock sooner if this process dies; for etcd it
                     is the session TTL (whole seconds), set in the backend's settings
  --config file      configuration file (default: $LOCK_CONFIG, else ./lock.config.json, else embedded)
  --on-lost mode     when the lock is lost while the command runs: 'term' (default) sends SIGTERM, then
                     SIGKILL after --kill-after; 'kill' sends SIGKILL; 'ignore' lets it finish
  --kill-after ms    grace between SIGTERM and SIGKILL with --on-lost term (default 5000)
  -h, --help         this help

Exit codes:
  the command's own    when it ran and the lock was held throughout (128+N if it died of signal N)
  ${EXIT.USAGE}                   bad usage (unknown option, missing NAME or CMD, invalid name)
  ${EXIT.BACKEND}                   backend error (cannot connect, server error)
  ${EXIT.INTERNAL}                   internal error (a bug; the stack is printed)
  ${EXIT.TIMEOUT}                   the lock was not acquired: --timeout elapsed, or held and the policy preempts
  ${EXIT.CONFIG}                   bad configuration, no backend satisfies the needs, backend package missing
  ${EXIT.LOST}                   the lock was lost while the command ran (whatever --on-lost did)
  ${EXIT.NOT_EXECUTABLE} / ${EXIT.NOT_FOUND}            CMD could not be executed / was not found
  128+N                interrupted by signal N before the command started (the lock is released)
`;

const ON_LOST: readonly OnLost[] = ['term', 'kill', 'ignore'];

/** `lock run NAME [options] -- CMD [ARGS...]`. */
export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals, rest } = parseCommandLine(args, {
      timeout: { type: 'string' },
      ttl: { type: 'string' },
      config: { type: 'string' },
      'on-lost': { type: 'string' },
      'kill-after': { type: 'string' },
      shared: { type: 'boolean' },
      write: { type: 'boolean' },
      permits: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length === 0) throw new UsageError('missing NAME');
    if (positionals.length > 1) {
      throw new UsageError(
        `expected one NAME, then -- and the command; received ${JSON.stringify(positionals)}`,
      );
    }
    if (rest === undefined || rest.length === 0) throw new UsageError('missing the command: put it after --');
    const name = positionals[0]!;
    validateLockName(name);
    const onLost = (values['on-lost'] ?? 'term') as OnLost;
    if (!ON_LOST.includes(onLost)) {
      throw new UsageError(
        `--on-lost expects term, kill or ignore, received ${JSON.stringify(values['on-lost'])}`,
      );
    }
    return await runLocked({
      name,
      command: rest,
      timeoutMs: parseMs('timeout', values.timeout),
      ttlMs: parseMs('ttl', values.ttl, 1),
      onLost,
      killAfterMs: parseMs('kill-after', values['kill-after'], 1) ?? 5000,
      configFlag: values.config as string | undefined,
      primitive: parsePrimitive(values.shared, values.write, values.permits),
    });
  } catch (error) {
    return reportError('run', error, USAGE);
  }
}
