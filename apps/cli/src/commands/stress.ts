import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError, validateLockName } from '@lock/core';
import { findConfig } from '../config/find-config.js';
import { openSelector } from '../config/open-selector.js';
import { EXIT } from '../shared/exit-codes.js';
import { parseCommandLine, parseInteger } from '../shared/parse-command-line.js';
import { reportError } from '../shared/report-error.js';
import { UsageError } from '../shared/usage-error.js';
import { within } from '../shared/within.js';
import { nextRate, parseSlo, type Slo, sloBreak } from '../stress/find-max.js';
import { formatHeader, formatResult, formatSecond } from '../stress/format-stress.js';
import { htmlReport } from '../stress/html-report.js';
import { runStress, StressFailure, type StressTarget } from '../stress/run-stress.js';
import type { StressResult } from '../stress/stress-result.js';

const USAGE =
  'Usage: lock stress --rate N [--names M] [--hold ms] [--duration s] [--hot] [--workers W] [--timeout ms] [--prefix P] [--backend ENTRY] [--config file] [--verify] [--json] [--report file.html] [--find-max --slo p99=20ms [--target N]]';

const HELP = `${USAGE}

Can this backend carry my business? Drives the backend the configuration chooses for the names P0 ... P(M-1)
(prefix 'stress:' by default; --backend pins a configured entry) with an open-loop load: arrivals at --rate
per second, spread over --workers processes so that the generator is not the bottleneck, each acquiring one
name, holding it --hold ms and releasing it. Latency is measured from each arrival's intended start, so a
stalled backend shows as latency, not as a lower rate. Prints one line per second (achieved rate,
p50/p99/p999, timeouts, errors) and a summary, with the generator's own CPU use and whether it was the limit.

Options:
  --rate N          arrivals per second (required; the first step with --find-max, default 100 there)
  --names M         distinct lock names (default 1: one hot lock)
  --hot             pick names by a Zipf distribution (a few names take most arrivals) instead of uniformly
  --hold ms         how long each grant is held (default 0)
  --duration s      how long to run (default 10; each step of --find-max, default 5 there)
  --workers W       load-generating processes (default 2); an in-process backend (scope process or
                    threads) runs in one, since its locks are not shared by processes
  --timeout ms      longest wait of one acquisition (default 5000); a timeout is counted, not fatal
  --prefix P        lock-name prefix (default 'stress:')
  --backend ENTRY   drive this configured backend entry for every name
  --config file     configuration file (default: $LOCK_CONFIG, else ./lock.config.json, else embedded)
  --verify          guard a counter per name with the locks: report overlapping sections, stale writes
                    (tokens below the name's latest) and lost updates; exit 1 if any
  --json            print the result (or the ramp) as JSON instead of text
  --report file     write a self-contained HTML page with the plots (latency over time, distribution,
                    achieved against target)
  --find-max        ramp the rate (x1.5 per step) until --slo breaks, and print the rate this backend
                    sustains; with --target N, how many clusters of it a sharded entry needs for N/s
  --slo p99=20ms    the objective of --find-max (p50, p99 or p999); more than 1% timeouts, errors or shed
                    arrivals, or under 95% of the target rate, also break it
  -h, --help        this help

Exit codes:
  ${EXIT.OK}    the run finished (with --verify: and the counter was safe)
  1    --verify found overlaps, stale writes or lost updates
  ${EXIT.USAGE}   bad usage
  ${EXIT.BACKEND}   the backend could not be reached, or failed every acquisition for 3 s
  ${EXIT.CONFIG}   bad configuration, backend package missing, or no backend for the names
`;

/** `lock stress ...`. */
export async function run(args: string[]): Promise<number> {
  try {
    const { values, positionals, rest } = parseCommandLine(args, {
      rate: { type: 'string' },
      names: { type: 'string' },
      hold: { type: 'string' },
      duration: { type: 'string' },
      hot: { type: 'boolean' },
      workers: { type: 'string' },
      timeout: { type: 'string' },
      prefix: { type: 'string' },
      backend: { type: 'string' },
      config: { type: 'string' },
      verify: { type: 'boolean' },
      json: { type: 'boolean' },
      report: { type: 'string' },
      'find-max': { type: 'boolean' },
      slo: { type: 'string' },
      target: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(HELP);
      return EXIT.OK;
    }
    if (positionals.length > 0 || rest !== undefined) {
      throw new UsageError(
        `lock stress takes no NAME or command; received ${JSON.stringify([...positionals, ...(rest ?? [])])}`,
      );
    }
    const findMax = values['find-max'] === true;
    const rate =
      parseInteger('rate', values.rate, 1, 'a whole number of arrivals per second') ??
      (findMax ? 100 : undefined);
    if (rate === undefined) throw new UsageError('missing --rate N (arrivals per second)');
    const slo = values.slo === undefined ? undefined : parseSlo(values.slo as string);
    if (values.slo !== undefined && slo === undefined) {
      throw new UsageError(
        `--slo expects p50=, p99= or p999= and a number of ms, such as p99=20ms; received ${JSON.stringify(values.slo)}`,
      );
    }
    if (findMax && slo === undefined) throw new UsageError('--find-max needs --slo, such as --slo p99=20ms');
    if (!findMax && (slo !== undefined || values.target !== undefined)) {
      throw new UsageError('--slo and --target go with --find-max');
    }
    const prefix = (values.prefix as string | undefined) ?? 'stress:';
    validateLockName(`${prefix}0`);
    const settings = {
      names: parseInteger('names', values.names, 1, 'a whole number of names') ?? 1,
      holdMs: parseInteger('hold', values.hold, 0, 'an integer number of milliseconds') ?? 0,
      durationMs:
        (parseInteger('duration', values.duration, 1, 'a whole number of seconds') ?? (findMax ? 5 : 10)) *
        1000,
      hot: values.hot === true,
      requestedWorkers: parseInteger('workers', values.workers, 1, 'a whole number of processes') ?? 2,
      timeoutMs: parseInteger('timeout', values.timeout, 1, 'an integer number of milliseconds') ?? 5000,
      prefix,
      verify: values.verify === true,
      json: values.json === true,
      report: values.report as string | undefined,
      target: parseInteger('target', values.target, 1, 'a whole number of acquisitions per second'),
    };
    const configPath = findConfig(values.config as string | undefined).path;
    const pinned = values.backend as string | undefined;
    const target = await chooseTarget(values.config as string | undefined, pinned, `${prefix}0`);
    const workers = target.scope === 'process' || target.scope === 'threads' ? 1 : settings.requestedWorkers;
    const log = (line: string) => {
      if (!settings.json) process.stdout.write(`${line}\n`);
    };
    const interrupted = new AbortController();
    const onSigint = () => interrupted.abort();
    process.once('SIGINT', onSigint);
    const runAt = async (ratePerSec: number): Promise<StressResult> => {
      log(
        formatHeader(
          { ...target, workers, names: settings.names, hot: settings.hot, holdMs: settings.holdMs },
          ratePerSec,
          settings.durationMs,
        ),
      );
      if (workers < settings.requestedWorkers) {
        log(
          `  (${target.backend} has scope ${target.scope}: its locks are not shared by processes, so one worker process runs the load)`,
        );
      }
      const result = await runStress({
        configPath: values.config === undefined ? undefined : configPath,
        pinned,
        target,
        ratePerSec,
        durationMs: settings.durationMs,
        prefix,
        names: settings.names,
        hot: settings.hot,
        holdMs: settings.holdMs,
        timeoutMs: settings.timeoutMs,
        workers,
        verify: settings.verify,
        seed: 1,
        onSecond: (second) => log(formatSecond(second)),
        signal: interrupted.signal,
      });
      log(formatResult(result).trimEnd());
      return result;
    };
    try {
      const runs: StressResult[] = [];
      let sustained: StressResult | undefined;
      let broke: string | undefined;
      if (!findMax) runs.push(await runAt(rate));
      else {
        for (let step = rate; ; step = nextRate(step)) {
          const result = await runAt(step);
          runs.push(result);
          broke = sloBreak(result, slo!);
          if (broke !== undefined || interrupted.signal.aborted || result.backendFailed) break;
          sustained = result;
          log('');
        }
      }
      if (findMax) {
        log('');
        log(sustainedLine(sustained, slo!, broke, settings.target));
      }
      if (settings.report !== undefined) {
        const title = findMax
          ? `lock stress --find-max on ${target.backend} (${target.kind})`
          : `lock stress on ${target.backend} (${target.kind}) at ${rate}/s`;
        writeFileSync(resolve(settings.report), htmlReport(title, runs));
        log(`report: ${resolve(settings.report)}`);
      }
      if (settings.json) {
        const strip = ({ latenciesMs: _latencies, ...result }: StressResult) => result;
        const output = findMax
          ? {
              slo,
              sustainedPerSec: sustained?.achievedPerSec ?? null,
              broke,
              target: settings.target ?? null,
              clustersNeeded: clustersNeeded(sustained, settings.target),
              steps: runs.map(strip),
            }
          : strip(runs[0]!);
        process.stdout.write(
          `${JSON.stringify(output, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`,
        );
      }
      const unsafe = runs.some(
        (result) =>
          result.verify !== undefined &&
          (result.verify.overlaps > 0 || result.verify.staleWrites > 0 || result.verify.lostUpdates > 0),
      );
      if (runs.some((result) => result.backendFailed)) return EXIT.BACKEND;
      return unsafe ? 1 : EXIT.OK;
    } finally {
      process.off('SIGINT', onSigint);
    }
  } catch (error) {
    if (error instanceof StressFailure) {
      process.stderr.write(`lock stress: ${error.message}\n`);
      return error.exitCode;
    }
    return reportError('stress', error, USAGE);
  }
}

/** The backend the names go to, as the parent's own selector chooses it (the workers choose the same). */
async function chooseTarget(
  configFlag: string | undefined,
  pinned: string | undefined,
  name: string,
): Promise<StressTarget> {
  let opened: Awaited<ReturnType<typeof openSelector>>;
  try {
    opened = await openSelector(configFlag, { backend: pinned });
  } catch (error) {
    // The selector names its own option; on this command line it is --backend.
    if (InvalidArgumentError.isInstance(error) && error.parameter === 'options.backend') {
      throw new UsageError(`--backend expects ${error.expected}, received ${JSON.stringify(error.value)}`);
    }
    throw error;
  }
  const { selector } = opened;
  try {
    const explanation = selector.explain(name);
    const chosen = explanation.candidates.find((candidate) => candidate.chosen);
    // No backend for the name: lock() throws the selector's own NoBackendSatisfiesError.
    if (chosen === undefined) selector.lock(name);
    return {
      backend: chosen!.backend,
      kind: chosen!.kind,
      scope: chosen!.capabilities.scope,
      fencing: chosen!.capabilities.fencing,
    };
  } finally {
    await within(
      selector.close().catch(() => {}),
      2_000,
    );
  }
}

function clustersNeeded(sustained: StressResult | undefined, target: number | undefined): number | null {
  if (sustained === undefined || target === undefined || sustained.achievedPerSec <= 0) return null;
  return Math.ceil(target / sustained.achievedPerSec);
}

function sustainedLine(
  sustained: StressResult | undefined,
  slo: Slo,
  broke: string | undefined,
  target: number | undefined,
): string {
  const objective = `${slo.percentile} <= ${slo.ms} ms`;
  if (sustained === undefined) {
    return `this backend does not meet ${objective} even at the first step (${broke ?? 'interrupted'}); start lower with --rate`;
  }
  const rate = Math.floor(sustained.achievedPerSec).toLocaleString('en-US');
  const lines = [
    `this backend sustains ${rate} acquisitions/s at ${objective} (the next step broke it: ${broke ?? 'interrupted'})`,
  ];
  const clusters = clustersNeeded(sustained, target);
  if (clusters !== null) {
    lines.push(
      `for ${target!.toLocaleString('en-US')}/s a sharded entry of this kind needs ${clusters} cluster${clusters === 1 ? '' : 's'} (names spread by rendezvous hashing; each cluster measured alike)`,
    );
  }
  if (sustained.generatorLimited)
    lines.push('the load generator may have been the limit: add --workers, or run from more machines');
  return lines.join('\n');
}
