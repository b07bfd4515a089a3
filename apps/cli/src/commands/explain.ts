import { NoBackendSatisfiesError, validateLockName } from '@lock/core';
import { describeConfigSource } from '../config/find-config.js';
import { CLI_NEEDS, openSelector } from '../config/open-selector.js';
import { formatCalibration } from '../explain/format-calibration.js';
import { formatExplanation, type RunChoice } from '../explain/format-explanation.js';
import { askServer, formatServer } from '../shared/ask-server.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine, parseInteger } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { toJson } from '../shared/to-json.js';
import { UsageError } from '../shared/usage-error.js';
import { within } from '../shared/within.js';

const USAGE = 'Usage: lock explain NAME [--config file] [--json] [--offline] [--calibrate [--rounds N]]';

const HELP = `${USAGE}

Prints which backend the configuration chooses for the lock NAME and why: the policy that matches NAME, its
needs, and every candidate (configured backends and the in-process built-ins) ranked, with the reason each
was taken or refused (e.g. "cache (redis)  refused: durability single-node < consensus required"). Also says
what 'lock run' would use, since it asks for scope 'host' on top of the policy. For a server backend it
then asks the server what it is (its version, and what is known about that version, such as a server bug that
weakens the lock), for at most 3 s; --offline connects to nothing.

Options:
  --config file   configuration file (default: $LOCK_CONFIG, else ./lock.config.json, else embedded)
  --json          print the decision as JSON: { config, name, policy, needs, candidates, chosen, cluster, run,
                  server, calibration }
  --offline       do not ask the chosen backend's server what it is
  --calibrate     first measure every backend on its servers (N uncontended acquire + release per cluster:
                  p50 and ops/s) and choose by the measured figures; connects. Other processes choose by
                  the configuration, so declare the figures you want used everywhere as each backend's
                  "profile" (printed below the decision)
  --rounds N      acquire + release pairs per cluster for --calibrate (default 100)
  -h, --help      this help

Exit codes:
  ${EXIT.OK}    a backend satisfies the policy of NAME
  ${EXIT.USAGE}   bad usage or invalid name
  ${EXIT.CONFIG}   bad configuration, backend package missing, or no backend satisfies the policy of NAME
`;

/** `lock explain NAME [--config file] [--json]`. */
export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals, rest } = parseCommandLine(args, {
      config: { type: 'string' },
      json: { type: 'boolean' },
      calibrate: { type: 'boolean' },
      rounds: { type: 'string' },
      offline: { type: 'boolean' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length !== 1 || rest !== undefined) throw new UsageError('expected exactly one NAME');
    const name = positionals[0]!;
    validateLockName(name);
    const rounds = parseInteger('rounds', values.rounds, 1) ?? 100;
    if (values.rounds !== undefined && !values.calibrate) throw new UsageError('--rounds needs --calibrate');
    // Explain this name even if another policy of the file cannot be met.
    const { selector, source } = await openSelector(values.config as string | undefined, { check: false });
    try {
      const calibration = values.calibrate ? await selector.calibrate({ rounds, apply: true }) : undefined;
      const explanation = selector.explain(name);
      const forRun = selector.explain(name, CLI_NEEDS);
      const runChoice: RunChoice = {
        chosen: forRun.chosen,
        cluster: forRun.cluster,
        unmet: forRun.chosen === undefined ? unmetOf(() => selector.lock(name, undefined, CLI_NEEDS)) : [],
      };
      const server =
        values.offline || explanation.chosen === undefined ? undefined : await askServer(selector, name);
      if (values.json) {
        process.stdout.write(
          `${toJson({ config: source, ...explanation, run: runChoice, server, calibration })}\n`,
        );
      } else {
        process.stdout.write(formatExplanation(explanation, describeConfigSource(source), runChoice));
        if (server !== undefined) process.stdout.write(formatServer(server));
        if (calibration !== undefined)
          process.stdout.write(formatCalibration(calibration, selector.candidates));
      }
      return explanation.chosen === undefined ? EXIT.CONFIG : EXIT.OK;
    } finally {
      await within(selector.close(), 2_000);
    }
  } catch (error) {
    return reportError('explain', error, USAGE);
  }
}

/** The needs the selector reports as unmet when asked for a lock it cannot give. */
function unmetOf(attempt: () => unknown): readonly string[] {
  try {
    attempt();
    return [];
  } catch (error) {
    if (NoBackendSatisfiesError.isInstance(error)) return error.unmet;
    throw error;
  }
}
