import { LockBackendError, validateLockName } from '@lock/core';
import { CLI_NEEDS, openSelector } from '../config/open-selector.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine, parseMs } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { toJson } from '../shared/to-json.js';
import { UsageError } from '../shared/usage-error.js';
import { within } from '../shared/within.js';
import { summarizeStatus } from '../status/summarize-status.js';

const USAGE = 'Usage: lock status NAME [--config file] [--json] [--timeout ms]';

const HELP = `${USAGE}

Prints who holds the lock NAME, its fencing token and its waiters, as the backend 'lock run' would use for
NAME reports them (redis: owner id, token, waiter count; etcd: owner key and waiting keys with their create
revisions; zk: holder node and waiting nodes with their czxids). In-process backends cannot be asked from
another process.

Options:
  --config file   configuration file (default: $LOCK_CONFIG, else ./lock.config.json, else embedded)
  --timeout ms    give up when the backend has not answered after this long (default 10000)
  --json          print { name, backend, kind, cluster, held, holder, token, waiters, queue, raw } as JSON
                  (tokens and revisions as decimal strings)
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
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length !== 1 || rest !== undefined) throw new UsageError('expected exactly one NAME');
    const name = positionals[0]!;
    validateLockName(name);
    const timeoutMs = parseMs('timeout', values.timeout, 1) ?? 10_000;
    const { selector } = await openSelector(values.config as string | undefined, false);
    try {
      const explanation = selector.explain(name, CLI_NEEDS);
      const answer = await within(selector.status(name, CLI_NEEDS), timeoutMs);
      if (answer === undefined) {
        throw new LockBackendError(explanation.candidates[0]?.kind ?? 'backend', 'status', {
          lockName: name,
          detail: `no answer within ${timeoutMs} ms (is the server up?)`,
        });
      }
      const raw = answer.value;
      const summary = summarizeStatus(raw);
      const chosen = explanation.candidates.find((candidate) => candidate.chosen)!;
      if (values.json) {
        process.stdout.write(
          `${toJson({ name, backend: chosen.backend, kind: chosen.kind, cluster: explanation.cluster, ...summary, raw })}\n`,
        );
        return EXIT.OK;
      }
      const where =
        chosen.clusters > 1 && explanation.cluster !== undefined
          ? `, cluster ${explanation.cluster.index + 1} of ${chosen.clusters} (${explanation.cluster.id})`
          : '';
      const lines = [`lock ${JSON.stringify(name)} on ${chosen.backend} (${chosen.kind}${where})`];
      if (summary.held) {
        lines.push('state:   held', `holder:  ${summary.holder ?? '?'}`, `token:   ${summary.token ?? '?'}`);
      } else {
        lines.push(`state:   free${summary.token !== null ? ` (last token issued: ${summary.token})` : ''}`);
      }
      lines.push(`waiters: ${summary.waiters ?? 'unknown'}`);
      for (const waiter of summary.queue) {
        lines.push(`  - ${waiter.id}${waiter.token !== null ? ` (token ${waiter.token})` : ''}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
      return EXIT.OK;
    } finally {
      await within(selector.close(), 2_000);
    }
  } catch (error) {
    return reportError('status', error, USAGE);
  }
}
