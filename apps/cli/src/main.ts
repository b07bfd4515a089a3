#!/usr/bin/env node
// The `lock` command. Each subcommand lives in its own module under ./commands and is loaded on demand,
// so `lock demo` starts without loading any distributed backend.
import { createRequire } from 'node:module';
import { closestKey } from '@lock/core';
import { commands, printHelp } from './commands/index.js';
import { EXIT } from './shared/exit-codes.js';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    printHelp();
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`lock ${version()}\n`);
    return EXIT.OK;
  }
  const command = commands[name];
  if (command === undefined) {
    const hint = closestKey(name.replace(/^-+/, ''), Object.keys(commands));
    process.stderr.write(
      `lock: unknown command ${JSON.stringify(name)}${hint === undefined ? '' : `; did you mean 'lock ${hint}'?`}\n\n`,
    );
    printHelp();
    return EXIT.USAGE;
  }
  const module = await command.load();
  return module.run(rest);
}

/** This package's version, from its package.json (next to dist/ in the package and in the repo). */
function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/**
 * Exits with `code` once stdout and stderr are flushed. Every command has closed what it opened (each close
 * bounded), so nothing is left to wait for: without this, a client library's reconnect timer could keep the
 * process alive for seconds after the last line was printed.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitWhenFlushed, (error: unknown) => {
  process.stderr.write(`lock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitWhenFlushed(EXIT.INTERNAL);
});
