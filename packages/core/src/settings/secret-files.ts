import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../errors/invalid-argument-error.js';

/**
 * A PEM setting's text: the value itself when it is PEM (`-----BEGIN ...`), else the contents of the file it
 * names. Read synchronously, when a provider is made, so that a missing or unreadable file is an
 * `InvalidArgumentError` naming `parameter` (and the path, never the contents) before any connection.
 */
export function readPemOrFile(value: string, parameter: string): string {
  return value.includes('-----BEGIN') ? value : readSettingFile(value, parameter);
}

/** The first line of a password file (`passwordFile`), read as {@link readPemOrFile} reads a file. */
export function readPasswordFile(path: string, parameter: string): string {
  return readSettingFile(path, parameter).split(/\r?\n/, 1)[0] ?? '';
}

function readSettingFile(path: string, parameter: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InvalidArgumentError(parameter, path, `a readable file (${code})`);
  }
}
