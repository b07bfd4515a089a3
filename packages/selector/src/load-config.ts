import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@lock/core';
import type { SelectorConfig } from './types.js';
import { validateConfig } from './validate-config.js';

/**
 * Reads and validates a configuration file (`lock.config.json`). A missing or unreadable file, and bad JSON,
 * throw `InvalidArgumentError` with the file as the parameter; a bad field throws it with the field's JSON
 * path (`backends.orders.url`), see {@link validateConfig}.
 */
export async function loadConfigFile(path: string): Promise<SelectorConfig> {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new InvalidArgumentError('path', path, 'the path of a JSON configuration file');
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidArgumentError(path, path, `a readable JSON configuration file (${reason})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(
      path,
      `${text.slice(0, 40)}...`,
      `valid JSON (${(error as Error).message})`,
    );
  }
  return validateConfig(parsed);
}
