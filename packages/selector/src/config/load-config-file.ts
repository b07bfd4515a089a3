import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, InvalidConfigError } from '@lock/core';

/**
 * Reads a configuration file (`lock.config.json`) and parses its JSON. A missing or unreadable file throws
 * `InvalidArgumentError` with the path as the parameter; a JSON syntax error throws `InvalidConfigError` that
 * says where, by line and column.
 */
export async function readConfigFile(path: string): Promise<unknown> {
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
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message)?.[1];
    const offset = position === undefined ? text.length : Number(position);
    const { line, column } = lineAndColumn(text, offset);
    const reason = message
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
    throw new InvalidConfigError(
      [{ path: `line ${line}, column ${column}`, expected: 'valid JSON', received: reason, value: text }],
      path,
    );
  }
}

/** 1-based line and column of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
