import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './cli-harness.js';

const execFileAsync = promisify(execFile);

let dir: string;
let fileConfig: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-stress-'));
  fileConfig = join(dir, 'file.json');
  // The host-wide file lock: several worker processes really contend for each name.
  writeFileSync(
    fileConfig,
    JSON.stringify({
      backends: { host: { kind: 'file', directory: join(dir, 'locks') } },
      policies: { '*': { backend: 'host' } },
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface StressJson {
  backend: string;
  kind: string;
  workers: number;
  targetPerSec: number;
  achievedPerSec: number;
  arrivals: number;
  grants: number;
  timeouts: number;
  errors: number;
  seconds: { second: number; grants: number; latency: { p99: number } }[];
  latency: { p50: number; p99: number; p999: number; max: number };
  verify?: { sections: number; overlaps: number; staleWrites: number; lostUpdates: number };
}

describe('lock stress', () => {
  it('drives the file lock from two processes: every arrival granted, counted per second, and --verify safe', async () => {
    const result = await runCli(
      [
        'stress',
        '--config',
        fileConfig,
        '--rate',
        '200',
        '--duration',
        '2',
        '--names',
        '4',
        '--workers',
        '2',
        '--verify',
        '--json',
      ],
      { cwd: dir },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as StressJson;
    expect(json).toMatchObject({ backend: 'host', kind: 'file', workers: 2, targetPerSec: 200 });
    // Open loop: 200/s for 2 s is 400 arrivals on the schedule, each granted (nothing else holds the names).
    expect(json.arrivals).toBe(400);
    expect(json.grants).toBe(400);
    expect(json.timeouts + json.errors).toBe(0);
    expect(json.seconds.map((second) => second.second)).toEqual([0, 1]);
    expect(json.seconds.reduce((sum, second) => sum + second.grants, 0)).toBe(400);
    expect(json.latency.p50).toBeGreaterThan(0);
    expect(json.latency.max).toBeGreaterThanOrEqual(json.latency.p999);
    expect(json.verify).toEqual({ sections: 400, overlaps: 0, staleWrites: 0, lostUpdates: 0 });
  });

  it('mutant: the same load with sections entered without the lock turns --verify red (exit 1)', async () => {
    const result = await runCli(
      ['stress', '--config', fileConfig, '--rate', '400', '--duration', '2', '--names', '2', '--hold', '2'],
      { cwd: dir, env: { LOCK_STRESS_MUTANT: 'no-lock' } },
    );
    // Without --verify nothing is checked, so the mutant run passes ...
    expect(result.code).toBe(0);
    const verified = await runCli(
      [
        'stress',
        '--config',
        fileConfig,
        '--rate',
        '400',
        '--duration',
        '2',
        '--names',
        '2',
        '--hold',
        '2',
        '--verify',
      ],
      { cwd: dir, env: { LOCK_STRESS_MUTANT: 'no-lock' } },
    );
    // ... and with it the overlaps and lost updates are found.
    expect(verified.code).toBe(1);
    const line = verified.stdout.split('\n').find((text) => text.startsWith('verify:'));
    expect(line).toMatch(
      /^verify: UNSAFE: 800 guarded sections, [1-9]\d* overlaps, 0 stale writes refused, [1-9]\d* lost updates$/,
    );
  });

  it('prints one progress line per second and a summary naming the generator', async () => {
    const result = await runCli(['stress', '--rate', '100', '--duration', '2'], { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'lock stress: 100/s for 2 s on mutex (mutex), 1 name uniform, hold 0 ms, 1 worker process',
    );
    // The embedded default is in-process, so one worker runs the load, and says why.
    expect(lines[1]).toContain('has scope process');
    const progress = lines.filter((line) => /^\s+\d+s\s/.test(line));
    expect(progress.map((line) => line.trim().split(/\s+/)[0])).toEqual(['1s', '2s']);
    expect(progress.every((line) => line.includes('of 100/s') && line.includes('timeouts 0  errors 0'))).toBe(
      true,
    );
    expect(lines.find((line) => line.startsWith('result: '))).toMatch(
      /^result: 100 acquisitions\/s of 100\/s; acquire latency p50 .* 0 timeouts, 0 errors$/,
    );
    expect(lines.find((line) => line.startsWith('load generator: 1 process, busiest at'))).toBeDefined();
  });

  it('--find-max ramps until the SLO breaks, and says how many clusters a target needs', async () => {
    // One name held 20 ms: at most 50 grants/s, so the ramp 20, 30, 45, 67, 100 ... breaks within a few steps
    // (a backlog of 1 s of arrivals past 50/s waits 20 ms each). The SLO is loose enough that a loaded machine's
    // stalls do not break the first steps, which are far below what one name can serve.
    const result = await runCli(
      [
        'stress',
        '--config',
        fileConfig,
        '--find-max',
        '--slo',
        'p99=500ms',
        '--rate',
        '20',
        '--duration',
        '1',
        '--hold',
        '20',
        '--workers',
        '1',
        '--target',
        '1000',
        '--json',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as {
      slo: { percentile: string; ms: number };
      sustainedPerSec: number;
      broke: string;
      clustersNeeded: number;
      steps: StressJson[];
    };
    expect(json.slo).toEqual({ percentile: 'p99', ms: 500 });
    expect(json.steps.map((step) => step.targetPerSec).slice(0, 3)).toEqual([20, 30, 45]);
    expect(json.steps.length).toBeGreaterThanOrEqual(2);
    expect(json.steps.length).toBeLessThanOrEqual(8);
    expect(json.sustainedPerSec).toBeGreaterThan(0);
    expect(json.sustainedPerSec).toBeLessThanOrEqual(80); // one name cannot carry much more than 50/s
    expect(typeof json.broke).toBe('string');
    expect(json.clustersNeeded).toBe(Math.ceil(1000 / json.sustainedPerSec));
  });

  it('--report writes one self-contained page whose plots a real browser draws', async () => {
    const report = join(dir, 'report.html');
    const result = await runCli(['stress', '--rate', '200', '--duration', '2', '--report', report], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`report: ${report}`);
    const html = readFileSync(report, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img |fetch\(|XMLHttpRequest/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    const { stdout: dom } = await execFileAsync(
      'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${report}`],
      { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const drawn = Number(/data-plots-drawn="(\d+)"/.exec(dom)?.[1] ?? 0);
    expect(drawn).toBeGreaterThan(0);
    for (const plot of ['latency-over-time', 'latency-distribution', 'achieved-rate']) {
      const svg = new RegExp(`<svg id="${plot}"[^>]*>([\\s\\S]*?)</svg>`).exec(dom)?.[1] ?? '';
      expect(svg, plot).toMatch(/<(path|rect) /);
    }
    expect(dom).toMatch(/data-series="p99"/);
    expect(dom).toMatch(/data-series="achieved"/);
  }, 90_000);

  it.each([
    [['stress'], /missing --rate N/],
    [['stress', '--rate', '0'], /--rate expects a whole number .* received "0"/],
    [['stress', '--rate', '10', '--hold=-1'], /--hold expects .* received "-1"/],
    [['stress', '--rate', '10', '--find-max'], /--find-max needs --slo/],
    [['stress', '--rate', '10', '--find-max', '--slo', 'p98=3'], /--slo expects p50=, p99= or p999=/],
    [['stress', '--rate', '10', '--slo', 'p99=20ms'], /--slo and --target go with --find-max/],
    [['stress', '--rate', '10', 'orders'], /takes no NAME or command/],
    [
      ['stress', '--rate', '10', '--backend', 'nope'],
      /--backend expects a configured backend entry .* received "nope"/,
    ],
    [['stress', '--rat', '10'], /did you mean --rate/],
  ])('bad usage %j exits 64 with a message before any load', async (args, message) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('an unreachable backend exits 69 with the reason, without hanging', async () => {
    const config = join(dir, 'unreachable.json');
    writeFileSync(
      config,
      JSON.stringify({
        backends: { r: { kind: 'redis', url: 'redis://127.0.0.1:1', commandTimeoutMs: 500 } },
        policies: { '*': { backend: 'r' } },
      }),
    );
    const result = await runCli(['stress', '--config', config, '--rate', '10', '--duration', '30'], {
      cwd: dir,
    });
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(/^lock stress: redis acquire failed .*ECONNREFUSED 127\.0\.0\.1:1/m);
  });
});

describe('lock stress on a backend that falls over mid-run', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('stops once every acquisition has failed for 3 s and exits 69, naming the error', async () => {
    const config = join(dir, 'redis.json');
    writeFileSync(
      config,
      JSON.stringify({
        backends: { r: { kind: 'redis', url: redis.url, commandTimeoutMs: 300, ttlMs: 2000 } },
        policies: { '*': { backend: 'r' } },
      }),
    );
    const run = startCli(['stress', '--config', config, '--rate', '50', '--duration', '60'], { cwd: dir });
    try {
      // Let a few seconds of grants be reported, then kill the server for good.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await redis.kill();
      const result = await run.done;
      expect(result.code).toBe(69);
      expect(result.stdout).toMatch(/^\s+1s\s+50\/s of 50\/s/m);
      expect(result.stdout).toMatch(/stopped early: every acquisition failed for 3 s: /);
      expect(result.stderr).toBe('');
      // It stopped long before the 60 s it was asked for.
      const lastSecond = Math.max(
        ...[...result.stdout.matchAll(/^\s+(\d+)s\s/gm)].map((match) => Number(match[1])),
      );
      expect(lastSecond).toBeLessThan(20);
    } finally {
      run.kill('SIGKILL');
    }
  }, 60_000);
});
