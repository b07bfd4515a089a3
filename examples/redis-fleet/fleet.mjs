// A fleet of workers on Redis, shown with two of them in one process: A holds 'invoices', stalls past its
// lease (a long GC pause, a stopped VM), B is granted the lock meanwhile, and A wakes up still believing it
// holds it. The resource the lock protects checks the fencing token and refuses A's late write; A's
// lease.signal tells it the lock is gone. `--no-fence` shows the write a resource without the check accepts.
import { RedisProvider } from '@lock/redis';
import { Redis } from 'ioredis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const fenced = !process.argv.includes('--no-fence');

// The protected resource: a record that accepts a write only with a token at least as high as the last one
// it accepted (for SQL: `UPDATE ... SET fence = $token WHERE id = $id AND fence <= $token`). Atomic, as one
// Lua script. Tokens are 64-bit: compared as decimal strings (shorter is lower), never as Lua's doubles.
const WRITE_IF_FENCE_OK = `
local fence = redis.call('HGET', KEYS[1], 'fence') or '0'
local token = ARGV[1]
local lower = #token < #fence or (#token == #fence and token < fence)
if ARGV[3] == '1' and lower then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'value', ARGV[2])
return 1`;
const store = new Redis(url);
async function writeInvoice(token, value) {
  const accepted = await store.eval(
    WRITE_IF_FENCE_OK,
    1,
    'invoices:record',
    String(token),
    value,
    fenced ? '1' : '0',
  );
  return accepted === 1 ? 'accepted' : 'refused';
}

function stall(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms); // blocks this whole thread
}

const workerA = new RedisProvider({ connection: url, ttlMs: 1000 });
const workerB = new RedisProvider({ connection: url, ttlMs: 1000 });
try {
  const leaseA = await workerA.lock('invoices').acquire();
  console.log(`A: granted, token ${leaseA.token}`);
  stall(2500); // longer than the 1 s lease: Redis lets the key expire

  const leaseB = await workerB.lock('invoices').acquire({ timeoutMs: 5000 });
  console.log(`B: granted, token ${leaseB.token}`);
  console.log(`B: write ${await writeInvoice(leaseB.token, 'from B')}`);

  // A resumes where it stopped, about to write with its old token.
  console.log(`A: late write ${await writeInvoice(leaseA.token, 'from A')}`);
  if (!leaseA.signal.aborted) {
    await new Promise((resolve) => leaseA.signal.addEventListener('abort', resolve, { once: true }));
  }
  console.log(`A: lease.signal aborted (${leaseA.signal.reason?.name})`);
  console.log(`record: ${await store.hget('invoices:record', 'value')}`);
  await leaseB.release();
  await leaseA.release().catch((error) => console.log(`A: release: ${error.name}`));
} finally {
  await workerA.close();
  await workerB.close();
  store.disconnect();
}
