#!/usr/bin/env node
// The `lock` command. Each subcommand lives in its own module under ./commands and is loaded on demand,
// so `lock demo` starts without loading any distributed backend.
import { commands, printHelp } from './commands/index.js';
import { EXIT } from './shared/exit-codes.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`lock: unknown command ${JSON.stringify(name)}\n\n`);
    printHelp();
    return EXIT.USAGE;
  }
  const module = await command.load();
  return module.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Every command closes what it opened; this only bounds the wait if a client library keeps a handle.
    setTimeout(() => process.exit(code), 5_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(
      `lock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = EXIT.INTERNAL;
  },
);
