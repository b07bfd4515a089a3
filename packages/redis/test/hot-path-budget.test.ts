import { sleep } from '@lock/core';
import { parseInfo, type RedisServer, startRedis } from '@lock/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisProvider } from '../src/index.js';

// A regression guard that does not time anything: it counts the commands Redis runs for an acquisition
// (those the client sends, and those the scripts run inside), so a change that adds work to the hot path
// fails here on any machine. The budgets are today's counts; lower them when a change removes work.
const BUDGET = {
  /** Commands the client sends per uncontended acquire + release: the acquire and the release script. */
  uncontendedSent: 2,
  /** Commands run inside those two scripts, per pair: 6 (measured 6.02 over 50 pairs). */
  uncontendedInside: 6.1,
  /** Commands sent per contended grant (10 waiters): the enqueue script and the release that hands it on. */
  contendedSent: 2,
  /** Commands run inside the scripts per contended grant (measured 11.3). */
  contendedInside: 11.5,
};

let server: RedisServer;
let provider: RedisProvider;
beforeAll(async () => {
  server = await startRedis();
  provider = new RedisProvider({ connection: server.url, ttlMs: 30_000 });
});
afterAll(async () => {
  await provider?.close();
  await server?.close();
});

/** Calls per command since the last reset: sent ones (EVALSHA, BLPOP, ...) and those run inside scripts. */
async function counts(): Promise<{ sent: number; inside: number }> {
  const stats = parseInfo(String(await server.command('INFO', 'commandstats')));
  let sent = 0;
  let inside = 0;
  for (const [key, value] of Object.entries(stats)) {
    if (!key.startsWith('cmdstat_')) continue;
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    const command = key.slice('cmdstat_'.length);
    if (command === 'info' || command === 'config' || command === 'ping' || command === 'client') continue;
    if (['evalsha', 'eval', 'blpop', 'brpop', 'wait', 'subscribe', 'script'].includes(command)) sent += calls;
    else inside += calls;
  }
  return { sent, inside };
}

async function reset(): Promise<void> {
  await server.command('CONFIG', 'RESETSTAT');
}

describe('Redis hot path: commands per acquisition (counted, not timed)', () => {
  it('an uncontended acquire + release', async () => {
    const lock = provider.lock('budget-uncontended');
    await (await lock.acquire()).release(); // scripts loaded, connection up
    await reset();
    const pairs = 50;
    for (let index = 0; index < pairs; index++) await (await lock.acquire()).release();
    const { sent, inside } = await counts();
    console.log(`uncontended pair: ${sent / pairs} sent, ${inside / pairs} run inside scripts`);
    expect(sent / pairs).toBeLessThanOrEqual(BUDGET.uncontendedSent);
    expect(inside / pairs).toBeLessThanOrEqual(BUDGET.uncontendedInside);
  });

  it('a contended grant, 10 waiters', async () => {
    const name = 'budget-contended';
    await (await provider.lock(name).acquire()).release();
    const holder = await provider.lock(name).acquire();
    await reset();
    const waiters = 10;
    const queued = Array.from({ length: waiters }, () =>
      provider
        .lock(name)
        .acquire({ timeoutMs: 20_000 })
        .then((lease) => lease.release()),
    );
    for (;;) {
      const status = await provider.status(name);
      if (status.waiterCount >= waiters) break;
      await sleep(5);
    }
    const polls = await counts(); // the status reads above, taken off below
    await holder.release();
    await Promise.all(queued);
    const { sent, inside } = await counts();
    const perGrant = { sent: (sent - polls.sent - 1) / waiters, inside: (inside - polls.inside) / waiters };
    console.log(`contended grant: ${perGrant.sent} sent, ${perGrant.inside} run inside scripts`);
    expect(perGrant.sent).toBeLessThanOrEqual(BUDGET.contendedSent);
    expect(perGrant.inside).toBeLessThanOrEqual(BUDGET.contendedInside);
  });
});
