// Strict exclusion on etcd: three instances each run a step that must never overlap (here a
// read-modify-write of a counter kept in etcd itself), under etcd's own lock. Each write is a guarded
// transaction: applied only while this holder's lock key still exists (and the value is still the one it
// read), so a holder that lost its lock writes nothing. Keep such data out of the lock's own key range
// ('deploy/...' here): etcd's lock takes every key under 'deploy/' for a holder or waiter. `--no-lock` shows the lost updates the lock prevents.
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdProvider, etcdClientOptions, guardedTxn } from '@lock/etcd';
import { Etcd3 } from 'etcd3';

const endpoints = (process.env.ETCD_ENDPOINTS ?? 'http://127.0.0.1:2379').split(',');
const locked = !process.argv.includes('--no-lock');
const INSTANCES = 3;
const STEPS = 3;

// The client the step reads and writes with (the providers make their own).
const client = new Etcd3(etcdClientOptions(endpoints, 5_000, 10_000));
await client.put('counters/deploy-steps').value('0');

async function step(lease) {
  const seen = Number(await client.get('counters/deploy-steps').string());
  await sleep(50); // the step itself
  const next = String(seen + 1);
  if (lease === undefined) {
    await client.put('counters/deploy-steps').value(next);
    return;
  }
  // Also compare the value read, so a step that read before another holder's write cannot apply on top of it.
  const result = await guardedTxn(client, lease)
    .and('counters/deploy-steps', 'Value', '==', String(seen))
    .then(client.put('counters/deploy-steps').value(next))
    .commit();
  if (!result.succeeded) throw new Error('lock lost: nothing written');
}

// Each instance has its own provider (its own client and session lease), as separate processes would.
const providers = Array.from({ length: INSTANCES }, () => new EtcdProvider({ endpoints, ttlMs: 10_000 }));
const tokens = [];
try {
  await Promise.all(
    providers.map(async (provider) => {
      for (let i = 0; i < STEPS; i++) {
        if (!locked) await step(undefined);
        else {
          await provider.lock('deploy').withLock(
            async (lease) => {
              tokens.push(lease.token); // etcd's create revision of our lock key
              await step(lease);
            },
            { timeoutMs: 30_000 },
          );
        }
      }
    }),
  );
  const rising = tokens.every((token, index) => index === 0 || token > tokens[index - 1]);
  console.log(`steps: ${await client.get('counters/deploy-steps').string()} of ${INSTANCES * STEPS}`);
  if (locked) console.log(`tokens: ${tokens.length} grants, ${rising ? 'strictly rising' : 'NOT rising'}`);
} finally {
  await Promise.all(providers.map((provider) => provider.close()));
  client.close();
}
