import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRuns, renderTrend, targetRatio, targetSeries, writeTrend } from '../src/trend.js';

const report = (ratio: number, met: boolean, p50: number) => [
  {
    title: 'mutex: in-process acquire + release',
    text: '',
    figures: { p50Ns: { '@lock/mutex Mutex': p50, 'bare FIFO queue (floor)': 180 } },
    targets: [
      { name: 'Mutex within 1.2x of the bare floor', met, detail: `${ratio}x the floor's time per pair` },
    ],
  },
];

describe('the bench trend page', () => {
  it('draws every saved run: a ratio per target marked met or missed, a p50 line per contender', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trend-'));
    const results = join(dir, 'bench-results');
    const runs = join(dir, 'runs');
    mkdirSync(results);
    writeFileSync(join(results, '2026-12-01T10-00-00-000Z.json'), JSON.stringify(report(1.33, false, 240)));
    writeFileSync(join(results, '2026-12-02T10-00-00-000Z.json'), JSON.stringify(report(1.22, false, 220)));
    writeFileSync(join(results, '2026-12-03T10-00-00-000Z.json'), JSON.stringify(report(1.18, true, 212)));
    writeFileSync(join(results, '2026-12-03T11-00-00-000Z.json'), '[{"title": "half-writ'); // an interrupted run
    const out = writeTrend(results, runs, join(dir, 'trend.html'));
    expect(readRuns(runs)).toHaveLength(3);
    const html = readFileSync(out, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\/|<script|<link/);
    expect(html.match(/class="point missed"/g)).toHaveLength(2);
    expect(html.match(/class="point met"/g)).toHaveLength(1);
    expect(html).toContain('latest: met, 1.18x');
    expect(html.match(/<polyline class="series"/g)).toHaveLength(3); // the target, and two contenders
    expect(html).toContain('@lock/mutex Mutex');
  });

  it('reads a ratio from a target detail, and draws an empty history as such', () => {
    expect(targetRatio('1.17x (14.4 µs vs 12.0 µs)')).toBe(1.17);
    expect(targetRatio('10.83x (1.01 ms vs 10.96 ms)')).toBe(10.83);
    expect(targetRatio('0 overlaps')).toBeUndefined();
    expect(targetSeries([]).size).toBe(0);
    expect(renderTrend([])).toContain('no saved runs yet');
  });
});
