import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from '@lock/core';
import { type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLocked } from '../src/run/run-locked.js';
import { FIXTURES, readEvents } from './cli-harness.js';

// runLocked in this process against a real Redis, for the moments a child process cannot reach on cue.
const dir = mkdtempSync(join(tmpdir(), 'lock-cli-run-'));
let redis: RedisServer;
let config: string;

beforeAll(async () => {
  redis = await startRedis();
  config = join(dir, 'lock.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      backends: { cache: { kind: 'redis', url: redis.url } },
      policies: { '*': { scope: 'cluster', fencing: true } },
    }),
  );
}, 120_000);

afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Delivers `signal` to the listeners runLocked added, as the process would, without touching the runner's own. */
function deliverTo(added: readonly ((signal: NodeJS.Signals) => void)[], signal: NodeJS.Signals): void {
  for (const listener of added) listener(signal);
}

describe('runLocked', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${signal} between the grant and the spawn: the command never starts, the lock is released, exit ${code}`, async () => {
      const name = `before-spawn-${signal}`;
      const file = join(dir, `${name}.ndjson`);
      const before = new Set(process.listeners(signal));
      const lines: string[] = [];
      let granted: Lease | undefined;
      const exitCode = await runLocked({
        name,
        command: [process.execPath, join(FIXTURES, 'hold.mjs'), file, '100'],
        onLost: 'term',
        killAfterMs: 1_000,
        configFlag: config,
        log: (line) => lines.push(line),
        beforeSpawn: async (lease) => {
          granted = lease;
          expect(await redis.command('EXISTS', `lock:{${name}}`)).toBe(1);
          const added = process.listeners(signal).filter((listener) => !before.has(listener));
          expect(added).toHaveLength(1);
          deliverTo(added as Array<(signal: NodeJS.Signals) => void>, signal);
        },
      });
      expect(exitCode, lines.join('\n')).toBe(code);
      expect(granted).toBeDefined();
      expect(existsSync(file) ? readEvents(file) : []).toEqual([]);
      expect(granted!.held).toBe(false);
      expect(await redis.command('EXISTS', `lock:{${name}}`)).toBe(0);
      expect(lines.join('\n')).toMatch(new RegExp(`interrupted by ${signal} before the command started`));
      // Its handlers are gone with it.
      expect(process.listeners(signal).filter((listener) => !before.has(listener))).toHaveLength(0);
    }, 60_000);
  }

  it('without a signal the command starts under the lock (the same seam, nothing delivered)', async () => {
    const name = 'before-spawn-none';
    const file = join(dir, `${name}.ndjson`);
    const exitCode = await runLocked({
      name,
      command: [process.execPath, join(FIXTURES, 'hold.mjs'), file, '100'],
      onLost: 'term',
      killAfterMs: 1_000,
      configFlag: config,
      log: () => {},
      beforeSpawn: () => {},
    });
    expect(exitCode).toBe(0);
    expect(readEvents<{ event: string }>(file).map((event) => event.event)).toEqual(['started', 'finished']);
    expect(await redis.command('EXISTS', `lock:{${name}}`)).toBe(0);
  }, 60_000);
});
