/** A subcommand: its one-line summary and a loader for its module. */
export interface CommandEntry {
  summary: string;
  load(): Promise<{ run(args: string[]): Promise<number> }>;
}

export const commands: Record<string, CommandEntry> = {
  demo: {
    summary: 'run the classic lock experiments on the embedded locks (no server)',
    load: () => import('./demo.js'),
  },
  run: { summary: 'run a command while holding a lock', load: () => import('./run.js') },
  explain: {
    summary: "print the selector's choice for a lock name and why",
    load: () => import('./explain.js'),
  },
  status: { summary: 'print holder, token and waiters of a lock', load: () => import('./status.js') },
  stress: {
    summary: 'drive a backend with an open-loop load: achieved rate, latency percentiles, limits',
    load: () => import('./stress.js'),
  },
  schema: {
    summary: 'print the JSON Schema of lock.config.json for the kinds installed here',
    load: () => import('./schema.js'),
  },
};

export function printHelp(): void {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  process.stdout.write(
    `Usage: lock <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'lock <command> --help' for the options of a command; 'lock --version' prints the version.\n`,
  );
}
