// `lock demo`: the classic lock experiments on the embedded locks, run for real on worker threads, no server.
import { type DemoSettings, type ExperimentResult, runExperiments } from '../demo/experiments.js';
import { renderTable } from '../demo/render.js';

const HELP = `Usage: lock demo [options]

Runs the classic lock experiments on the embedded locks (no server, no configuration):
  - concurrent increments of one counter without a lock (a wrong total, and by how much),
    then with Mutex (async tasks on one thread) and SharedMutex (worker threads): exact
  - TryLock rounds: every worker tries at once; one executes, the others report "lock failed"
  - order grab: N buyers race for one order; without a lock several "win", with one exactly one does

Options:
  --increments N   concurrent increments per counter experiment (default 1000)
  --workers N      worker threads (default 4)
  --rounds N       TryLock rounds (default 10)
  --buyers N       buyers in the order grab (default 20)
  --json           print the results as JSON instead of a table
  -h, --help       show this help

Exit code: 0 when every locked run is correct, 1 when one is not, 2 for bad options.
`;

const DEFAULTS: DemoSettings = { increments: 1000, workers: 4, rounds: 10, buyers: 20 };
const LIMITS: Record<keyof DemoSettings, [number, number]> = {
  increments: [1, 1_000_000],
  workers: [1, 64],
  rounds: [1, 10_000],
  buyers: [1, 100_000],
};

/** Parses the options; returns an error message for bad input. */
export function parseDemoArgs(
  args: string[],
): { settings: DemoSettings; json: boolean; help: boolean } | string {
  const settings = { ...DEFAULTS };
  let json = false;
  let help = false;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else {
      const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
      const key = flag.replace(/^--/, '') as keyof DemoSettings;
      if (!flag.startsWith('--') || !(key in LIMITS)) return `unknown option ${JSON.stringify(arg)}`;
      const raw = inline ?? args[++index];
      const value = Number(raw);
      const [min, max] = LIMITS[key];
      if (raw === undefined || !Number.isInteger(value) || value < min || value > max) {
        return `${flag} must be an integer from ${min} to ${max}, received ${JSON.stringify(raw ?? null)}`;
      }
      settings[key] = value;
    }
  }
  return { settings, json, help };
}

export async function run(args: string[]): Promise<number> {
  const parsed = parseDemoArgs(args);
  if (typeof parsed === 'string') {
    process.stderr.write(`lock demo: ${parsed}\n\n${HELP}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tty = process.stderr.isTTY === true;
  const progress = (step: number, total: number, title: string) => {
    if (tty) process.stderr.write(`\r\x1b[K[${step}/${total}] ${title}...`);
  };
  let results: ExperimentResult[];
  try {
    results = await runExperiments(parsed.settings, progress);
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const failed = results.filter((result) => result.locked && !result.correct);
  if (parsed.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: failed.length === 0, settings: parsed.settings, results }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`lock demo: the classic lock experiments on the embedded locks (no server)\n\n`);
    process.stdout.write(`${renderTable(results)}\n\n`);
    process.stdout.write(
      failed.length === 0
        ? 'Every locked run was exact; the unlocked runs show what the locks prevent.\n'
        : `FAILED: ${failed.map((result) => `${result.lock} (${result.title})`).join(', ')}\n`,
    );
  }
  return failed.length === 0 ? 0 : 1;
}
