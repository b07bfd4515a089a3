import { type EtcdCluster, sleep, startEtcd, uniqueName } from '@lock/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Child, fixture } from './helpers.js';

let cluster: EtcdCluster;

beforeAll(async () => {
  cluster = await startEtcd({ members: 1 });
});
afterAll(async () => {
  await cluster?.close();
});

it('after an etcd restart under load, close() leaves nothing that keeps the process alive', {
  timeout: 60_000,
}, async () => {
  const child = new Child(process.execPath, [
    fixture('load-then-close.mjs'),
    cluster.endpoints.join(','),
    uniqueName('exit'),
  ]);
  child.process.stdin?.on('error', () => {});
  try {
    await child.line((line) => line === 'loaded');
    await sleep(1_000);
    // Streams break, requests fail and reconnects are scheduled while the clients are busy.
    await cluster.members[0]!.kill();
    await sleep(1_000);
    await cluster.members[0]!.start();
    await sleep(300);
    child.process.stdin?.write('close\n');
    const report = JSON.parse(await child.line((line) => line.includes('"closed"'))) as { alive: string[] };
    // Before: etcd3's watch manager had scheduled reconnects on ref'd timers of up to 30 s that nothing could
    // cancel, and the process lived on for about 28 s after close().
    expect(report.alive.filter((resource) => resource === 'Timeout')).toEqual([]);
    const exited = await Promise.race([child.exited, sleep(10_000).then(() => 'still running' as const)]);
    expect(exited).toEqual({ code: 0, signal: null });
  } finally {
    await child.stop();
  }
});
