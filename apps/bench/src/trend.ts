// The trend page: every saved run of `pnpm bench` (runs/*.json, committed) drawn as one self-contained HTML page,
// so a reader sees how each target's ratio and each contender's latency moved without reading tables.
//   node dist/trend-cli.js [--runs DIR] [--out FILE]      (pnpm bench writes it after every run)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { SuiteReport } from './harness.js';

/** One saved run: when it ran (from its file name) and its reports. */
export interface SavedRun {
  readonly at: Date;
  readonly file: string;
  readonly reports: readonly SuiteReport[];
}

/** Runs kept in runs/: the newest this many, so the committed history stays small. */
export const KEPT_RUNS = 60;

/** Copies `results` (bench-results/, ignored by git) into `runs` (committed), keeping the newest {@link KEPT_RUNS}. */
export function keepRuns(results: string, runs: string): void {
  mkdirSync(runs, { recursive: true });
  if (!existsSync(results)) return;
  const newest = readdirSync(results)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .slice(-KEPT_RUNS);
  for (const file of newest)
    if (!existsSync(join(runs, file))) copyFileSync(join(results, file), join(runs, file));
}

/** The runs saved in `dir`, oldest first; a file that does not parse is skipped, never fatal. */
export function readRuns(dir: string): SavedRun[] {
  if (!existsSync(dir)) return [];
  const runs: SavedRun[] = [];
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const at = runTime(file);
    if (at === undefined) continue;
    try {
      const reports = JSON.parse(readFileSync(join(dir, file), 'utf8')) as SuiteReport[];
      if (Array.isArray(reports)) runs.push({ at, file, reports });
    } catch {
      // A half-written file from an interrupted run: not part of the trend.
    }
  }
  return runs.sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** `2026-12-03T07-38-12-142Z.json` -> its time. */
function runTime(file: string): Date | undefined {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z\.json$/.exec(basename(file));
  if (match === null) return undefined;
  return new Date(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`);
}

interface Point {
  readonly at: Date;
  readonly value: number;
  readonly met?: boolean;
  readonly label: string;
}

/** A target's ratio: the first `N.NNx` of its detail ("1.17x (14.4 µs vs 12.0 µs)"). */
export function targetRatio(detail: string): number | undefined {
  const match = /(\d+(?:\.\d+)?)x\b/.exec(detail);
  return match === null ? undefined : Number(match[1]);
}

/** Per target name: its ratio in every run that measured it, met or missed. */
export function targetSeries(runs: readonly SavedRun[]): Map<string, Point[]> {
  const series = new Map<string, Point[]>();
  for (const run of runs) {
    for (const report of run.reports) {
      for (const target of report.targets ?? []) {
        const value = targetRatio(target.detail);
        if (value === undefined) continue;
        const points = series.get(target.name) ?? [];
        points.push({ at: run.at, value, met: target.met, label: target.detail });
        series.set(target.name, points);
      }
    }
  }
  return series;
}

/** Per report title and contender: the p50 (ns) of every run, from the figures' `p50Ns` maps. */
export function latencySeries(runs: readonly SavedRun[]): Map<string, Map<string, Point[]>> {
  const byTitle = new Map<string, Map<string, Point[]>>();
  for (const run of runs) {
    for (const report of run.reports) {
      const p50 = (report.figures as { p50Ns?: unknown } | undefined)?.p50Ns;
      if (typeof p50 !== 'object' || p50 === null) continue;
      const contenders = byTitle.get(report.title) ?? new Map<string, Point[]>();
      for (const [contender, value] of Object.entries(p50)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) continue;
        const points = contenders.get(contender) ?? [];
        points.push({ at: run.at, value, label: formatNs(value) });
        contenders.set(contender, points);
      }
      byTitle.set(report.title, contenders);
    }
  }
  return byTitle;
}

const WIDTH = 560;
const HEIGHT = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

/** One SVG plot of `lines` over time; points of a target are green when met, red when missed. */
function plot(
  lines: readonly { name: string; points: readonly Point[] }[],
  unit: (value: number) => string,
  threshold?: number,
): string {
  const all = lines.flatMap((line) => line.points);
  if (all.length === 0) return '';
  const times = all.map((point) => point.at.getTime());
  const values = all.map((point) => point.value).concat(threshold === undefined ? [] : [threshold]);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const [v0, v1] = [Math.min(0, ...values), Math.max(...values) * 1.1 || 1];
  const x = (t: number) =>
    PAD.left + (t1 === t0 ? 0.5 : (t - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - ((v - v0) / (v1 - v0)) * (HEIGHT - PAD.top - PAD.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img">`,
    `<line x1="${PAD.left}" y1="${y(v0)}" x2="${WIDTH - PAD.right}" y2="${y(v0)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${y(v0)}" stroke="#999"/>`,
    `<text x="${PAD.left - 4}" y="${y(v1) + 4}" text-anchor="end" font-size="10">${escapeHtml(unit(v1))}</text>`,
    `<text x="${PAD.left - 4}" y="${y(v0)}" text-anchor="end" font-size="10">${escapeHtml(unit(v0))}</text>`,
    `<text x="${PAD.left}" y="${HEIGHT - 8}" font-size="10">${escapeHtml(day(new Date(t0)))}</text>`,
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" text-anchor="end" font-size="10">${escapeHtml(day(new Date(t1)))}</text>`,
  ];
  if (threshold !== undefined) {
    parts.push(
      `<line class="threshold" x1="${PAD.left}" y1="${y(threshold)}" x2="${WIDTH - PAD.right}" y2="${y(threshold)}" stroke="#555" stroke-dasharray="4 3"><title>target ${escapeHtml(unit(threshold))}</title></line>`,
    );
  }
  lines.forEach((line, index) => {
    const colour = COLOURS[index % COLOURS.length]!;
    const path = line.points.map(
      (point) => `${x(point.at.getTime()).toFixed(1)},${y(point.value).toFixed(1)}`,
    );
    if (path.length > 1)
      parts.push(
        `<polyline class="series" fill="none" stroke="${colour}" stroke-width="1.5" points="${path.join(' ')}"/>`,
      );
    for (const point of line.points) {
      const fill = point.met === undefined ? colour : point.met ? '#2ca02c' : '#d62728';
      const cls = point.met === undefined ? 'point' : point.met ? 'point met' : 'point missed';
      parts.push(
        `<circle class="${cls}" cx="${x(point.at.getTime()).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3.5" fill="${fill}"><title>${escapeHtml(`${line.name}: ${point.label} (${point.at.toISOString()})`)}</title></circle>`,
      );
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The whole page: one plot per target (ratio per run, met/missed), one per report with p50 per contender. */
export function renderTrend(runs: readonly SavedRun[]): string {
  const sections: string[] = [];
  const targets = [...targetSeries(runs)].sort(([a], [b]) => a.localeCompare(b));
  for (const [name, points] of targets) {
    const latest = points.at(-1)!;
    sections.push(
      `<section class="target"><h3>${escapeHtml(name)}</h3><p class="${latest.met ? 'met' : 'missed'}">latest: ${latest.met ? 'met' : 'MISSED'}, ${escapeHtml(latest.label)}</p>${plot([{ name, points }], (value) => `${value.toFixed(2)}x`, targetRatio(name))}</section>`,
    );
  }
  const latencies = [...latencySeries(runs)].sort(([a], [b]) => a.localeCompare(b));
  for (const [title, contenders] of latencies) {
    const lines = [...contenders].map(([name, points]) => ({ name, points }));
    const legend = lines
      .map(
        (line, index) =>
          `<span style="color:${COLOURS[index % COLOURS.length]}">■ ${escapeHtml(line.name)}</span>`,
      )
      .join(' ');
    sections.push(
      `<section class="latency"><h3>${escapeHtml(title)}: p50 per pair</h3><p>${legend}</p>${plot(lines, formatNs)}</section>`,
    );
  }
  const span =
    runs.length === 0
      ? 'no saved runs yet'
      : `${runs.length} runs, ${day(runs[0]!.at)} to ${day(runs.at(-1)!.at)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lock benchmarks over time</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}section{display:inline-block;vertical-align:top;margin:0 1.5em 1.5em 0;width:${WIDTH}px}h3{font-size:13px;margin:0 0 .3em}p{margin:0 0 .3em;font-size:12px}.met{color:#2ca02c}.missed{color:#d62728}</style>
</head><body>
<h1>lock benchmarks over time</h1>
<p>${escapeHtml(span)}. Targets: each run's ratio, <span class="met">● met</span> <span class="missed">● missed</span>, dashed: the ratio the target's name states. Latencies: the p50 of each contender per run. Written by <code>pnpm bench</code> (apps/bench) from runs/.</p>
<h2>Targets</h2>
${sections.filter((section) => section.startsWith('<section class="target"')).join('\n')}
<h2>Latencies</h2>
${sections.filter((section) => section.startsWith('<section class="latency"')).join('\n')}
</body></html>
`;
}

function formatNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${ns.toFixed(0)} ns`;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!,
  );
}

/** Keeps the latest results in `runs` and writes the page; returns its path. */
export function writeTrend(results = 'bench-results', runs = 'runs', out = 'trend.html'): string {
  keepRuns(results, runs);
  writeFileSync(out, renderTrend(readRuns(runs)));
  return out;
}
