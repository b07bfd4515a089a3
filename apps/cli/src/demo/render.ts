import type { ExperimentResult } from './experiments.js';

/** A plain-text table of the experiments, columns padded to fit. */
export function renderTable(results: ExperimentResult[]): string {
  const header = ['experiment', 'lock', 'where', 'expected', 'got', 'verdict', 'ms'];
  const rows = results.map((result) => [
    result.title,
    result.lock,
    result.threads,
    String(result.expected),
    String(result.actual),
    `${result.correct ? 'ok' : result.locked ? 'WRONG' : 'wrong'}: ${result.detail}`,
    String(result.ms),
  ]);
  const cells = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
