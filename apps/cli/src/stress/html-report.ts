import type { StressResult } from './stress-result.js';

/**
 * One self-contained HTML page of a stress run (or of a --find-max ramp): the figures as JSON and a small
 * script that draws three SVG plots (acquire latency over time, the latency distribution, achieved against
 * target rate). No network, no library: open it anywhere.
 */
export function htmlReport(title: string, runs: readonly StressResult[]): string {
  // Latencies are summarised per run into log-spaced buckets: the page stays small for long runs.
  const data = runs.map((run) => ({
    target: run.targetPerSec,
    backend: `${run.backend} (${run.kind})`,
    seconds: run.seconds.map((second) => ({
      rate: second.grants,
      target: second.targetPerSec,
      p50: finite(second.latency.p50),
      p99: finite(second.latency.p99),
      p999: finite(second.latency.p999),
    })),
    histogram: histogram(run.latenciesMs),
    summary: {
      achieved: run.achievedPerSec,
      p50: finite(run.latency.p50),
      p99: finite(run.latency.p99),
      p999: finite(run.latency.p999),
      timeouts: run.timeouts,
      errors: run.errors,
    },
  }));
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.05em; margin-top: 2em; }
svg { border: 1px solid #ddd; background: #fff; }
.axis { stroke: #999; } .label { font-size: 11px; fill: #555; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<table id="summary"><tr><th>target/s</th><th>achieved/s</th><th>p50 ms</th><th>p99 ms</th><th>p999 ms</th><th>timeouts</th><th>errors</th></tr></table>
<h2>Acquire latency over time (ms, from each arrival's intended start; log scale)</h2>
<svg id="latency-over-time" data-plot="latency-over-time" width="900" height="300"></svg>
<h2>Latency distribution (share of acquisitions per bucket)</h2>
<svg id="latency-distribution" data-plot="latency-distribution" width="900" height="300"></svg>
<h2>Achieved against target rate (acquisitions/s)</h2>
<svg id="achieved-rate" data-plot="achieved-rate" width="900" height="300"></svg>
<script id="data" type="application/json">${json}</script>
<script>
${PLOT_SCRIPT}
</script>
</body>
</html>
`;
}

/** Counts per log-spaced latency bucket (10 per decade from 1 µs), as [upper bound ms, count]. */
function histogram(latenciesMs: readonly number[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const latency of latenciesMs) {
    const bucket = Math.max(0, Math.ceil(Math.log10(Math.max(latency, 0.001) / 0.001) * 10));
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([bucket, n]) => [0.001 * 10 ** (bucket / 10), n]);
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

// Runs in the browser: reads the JSON and draws the three plots as SVG paths and rectangles.
const PLOT_SCRIPT = `
const runs = JSON.parse(document.getElementById('data').textContent);
const NS = 'http://www.w3.org/2000/svg';
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 900, H = 300, L = 60, R = 20, T = 20, B = 40;
function el(svg, name, attrs, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  svg.appendChild(node);
  return node;
}
function axes(svg, xLabel, yTicks) {
  el(svg, 'line', { x1: L, y1: H - B, x2: W - R, y2: H - B, class: 'axis' });
  el(svg, 'line', { x1: L, y1: T, x2: L, y2: H - B, class: 'axis' });
  el(svg, 'text', { x: (W + L) / 2, y: H - 8, class: 'label', 'text-anchor': 'middle' }, xLabel);
  for (const [y, label] of yTicks) el(svg, 'text', { x: L - 6, y: y + 4, class: 'label', 'text-anchor': 'end' }, label);
}
function legend(svg, entries) {
  entries.forEach(([name, color], k) => {
    const x = W - R - 90, y = T + 6 + k * 16;
    el(svg, 'line', { x1: x, y1: y, x2: x + 18, y2: y, stroke: color, 'stroke-width': 2 });
    el(svg, 'text', { x: x + 24, y: y + 4, class: 'label' }, name);
  });
}
function secondTicks(svg, x, count) {
  const step = Math.max(1, Math.ceil(count / 10));
  for (let i = 0; i < count; i += step) el(svg, 'text', { x: x(i), y: H - B + 14, class: 'label', 'text-anchor': 'middle' }, String(i + 1));
}
function line(svg, points, color, name) {
  const d = points.filter((p) => p[1] !== null && Number.isFinite(p[1])).map((p, i) => (i ? 'L' : 'M') + p[0].toFixed(1) + ',' + p[1].toFixed(1)).join(' ');
  if (d) el(svg, 'path', { d, fill: 'none', stroke: color, 'stroke-width': 1.5, 'data-series': name });
}
const seconds = runs.flatMap((run) => run.seconds);
const summary = document.getElementById('summary');
for (const run of runs) {
  const row = document.createElement('tr');
  for (const value of [run.target, run.summary.achieved, run.summary.p50, run.summary.p99, run.summary.p999, run.summary.timeouts, run.summary.errors]) {
    const cell = document.createElement('td');
    cell.textContent = value === null ? '-' : Number(value).toLocaleString('en-US', { maximumFractionDigits: 2 });
    row.appendChild(cell);
  }
  summary.appendChild(row);
}
{
  const svg = document.getElementById('latency-over-time');
  const values = seconds.flatMap((s) => [s.p50, s.p99, s.p999]).filter((v) => v !== null && v > 0);
  const low = Math.log10(Math.min(...values, 0.01)), high = Math.log10(Math.max(...values, 1));
  const y = (v) => H - B - ((Math.log10(Math.max(v, 10 ** low)) - low) / (high - low || 1)) * (H - B - T);
  const x = (i) => L + (i / Math.max(1, seconds.length - 1)) * (W - L - R);
  axes(svg, 'seconds into the run', [[y(10 ** low), (10 ** low).toPrecision(2)], [y(10 ** high), (10 ** high).toPrecision(2)]]);
  ['p50', 'p99', 'p999'].forEach((key, k) => line(svg, seconds.map((s, i) => [x(i), s[key] === null ? null : y(s[key])]), colors[k], key));
  legend(svg, [['p50', colors[0]], ['p99', colors[1]], ['p999', colors[2]]]);
  secondTicks(svg, x, seconds.length);
}
{
  const svg = document.getElementById('latency-distribution');
  const buckets = new Map();
  for (const run of runs) for (const [bound, n] of run.histogram) buckets.set(bound, (buckets.get(bound) || 0) + n);
  const entries = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, e) => sum + e[1], 0) || 1;
  const top = Math.max(...entries.map((e) => e[1] / total), 0.01);
  const width = (W - L - R) / Math.max(1, entries.length);
  axes(svg, 'latency bucket (ms, upper bound)', [[H - B, '0'], [T, (top * 100).toFixed(0) + '%']]);
  entries.forEach(([bound, n], i) => {
    const h = ((n / total) / top) * (H - B - T);
    el(svg, 'rect', { x: L + i * width + 1, y: H - B - h, width: Math.max(1, width - 2), height: h, fill: colors[0], 'data-bucket': bound });
    if (i % Math.ceil(entries.length / 10) === 0) el(svg, 'text', { x: L + i * width, y: H - B + 14, class: 'label' }, bound.toPrecision(2));
  });
}
{
  const svg = document.getElementById('achieved-rate');
  const top = Math.max(...seconds.flatMap((s) => [s.rate, s.target]), 1);
  const y = (v) => H - B - (v / top) * (H - B - T);
  const x = (i) => L + (i / Math.max(1, seconds.length - 1)) * (W - L - R);
  axes(svg, 'seconds into the run', [[y(0), '0'], [y(top), Math.round(top).toLocaleString('en-US')]]);
  line(svg, seconds.map((s, i) => [x(i), y(s.target)]), colors[1], 'target');
  line(svg, seconds.map((s, i) => [x(i), y(s.rate)]), colors[0], 'achieved');
  legend(svg, [['target', colors[1]], ['achieved', colors[0]]]);
  secondTicks(svg, x, seconds.length);
}
document.body.setAttribute('data-plots-drawn', String(document.querySelectorAll('svg path, svg rect').length));
`;
