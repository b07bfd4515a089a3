// A standalone script run under Node >= 24.5 (navigator.locks exists only there): the same measurements
// as the shared-mutex suite, printed as JSON on stdout. Main thread and workers are the same file.
export const NAVIGATOR_LOCKS_SCRIPT = `
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const STOP = 1, OCCUPANCY = 2, OVERLAPS = 3, COUNT = 4, QUEUED = 8, STARTED = 10, LAST_HOLDER = 12, SWITCHES = 13;

async function workerMain() {
  const { mode, role, words: wordsBuffer, stamps: stampsBuffer, rounds } = workerData;
  const words = new Int32Array(wordsBuffer);
  const stamps = new BigInt64Array(stampsBuffer);
  const samples = [];
  let ops = 0;
  // A pending lock request does not keep a Node thread alive (like a pending Atomics.waitAsync).
  const keepAlive = setInterval(() => {}, 1 << 30);
  const other = 1 - role;
  const enter = () => { if (Atomics.add(words, OCCUPANCY, 1) !== 0) Atomics.add(words, OVERLAPS, 1); if (Atomics.exchange(words, LAST_HOLDER, role + 1) !== role + 1) Atomics.add(words, SWITCHES, 1); ops++; Atomics.sub(words, OCCUPANCY, 1); };
  if (mode === 'pingpong') {
    // Strict alternation, exactly as in the SharedMutex ping-pong: hand over only once the other is queued.
    // navigator.locks is callback-scoped, so a held lock is a callback waiting on a promise we resolve.
    const acquire = () => {
      let release;
      const released = new Promise((resolve) => { release = resolve; });
      let granted;
      const grant = new Promise((resolve) => { granted = resolve; });
      const done = navigator.locks.request('bench', () => { granted(); return released; });
      return { grant, release: () => { release(); return done; } };
    };
    const waitForQueued = (who) => {
      while (Atomics.load(words, QUEUED + who) === 0) Atomics.wait(words, QUEUED + who, 0, 50);
      Atomics.store(words, QUEUED + who, 0);
    };
    const flagQueued = () => { Atomics.store(words, QUEUED + role, 1); Atomics.notify(words, QUEUED + role); };
    let lease;
    if (role === 0) {
      lease = acquire();
      await lease.grant;
      Atomics.store(words, STARTED, 1);
      Atomics.notify(words, STARTED);
    } else {
      while (Atomics.load(words, STARTED) === 0) Atomics.wait(words, STARTED, 0, 50);
      lease = acquire();
      flagQueued();
      await lease.grant;
      samples.push(Number(process.hrtime.bigint() - Atomics.load(stamps, 0)));
    }
    for (;;) {
      enter();
      if (Atomics.add(words, COUNT, 1) >= rounds) { await lease.release(); break; }
      waitForQueued(other);
      Atomics.store(stamps, 0, process.hrtime.bigint());
      lease.release();
      lease = acquire();
      flagQueued();
      await lease.grant;
      samples.push(Number(process.hrtime.bigint() - Atomics.load(stamps, 0)));
    }
  } else {
    while (Atomics.load(words, STOP) === 0) await navigator.locks.request('bench', enter);
  }
  clearInterval(keepAlive);
  parentPort.postMessage({ samples, ops });
}

function runWorkers(mode, count, rounds, durationMs) {
  const words = new Int32Array(new SharedArrayBuffer(64));
  const stamps = new BigInt64Array(new SharedArrayBuffer(8));
  const started = process.hrtime.bigint();
  const done = Array.from({ length: count }, (_, role) => new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { mode, role, words: words.buffer, stamps: stamps.buffer, rounds } });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(mode + ' worker exited (code ' + code + ') without reporting')));
  }));
  if (durationMs !== undefined) setTimeout(() => Atomics.store(words, STOP, 1), durationMs);
  return Promise.all(done).then((results) => ({
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    samples: results.flatMap((result) => result.samples),
    ops: results.reduce((sum, result) => sum + result.ops, 0),
    overlaps: Atomics.load(words, OVERLAPS),
    switches: Atomics.load(words, SWITCHES),
  }));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const { rounds, durationMs, uncontendedOps } = JSON.parse(process.argv[2]);
  // Uncontended request + release in one thread.
  let overlaps = 0;
  let inside = 0;
  for (let warm = 0; warm < 2; warm++) {
    for (let index = 0; index < uncontendedOps; index++) await navigator.locks.request('solo', () => {});
  }
  const started = process.hrtime.bigint();
  for (let index = 0; index < uncontendedOps; index++) {
    await navigator.locks.request('solo', () => {
      if (inside++ !== 0) overlaps++;
      inside--;
    });
  }
  const uncontendedNs = Number(process.hrtime.bigint() - started) / uncontendedOps;
  const pingpong = await runWorkers('pingpong', 2, rounds);
  const throughput = {};
  for (const count of [2, 4]) {
    const result = await runWorkers('throughput', count, 0, durationMs);
    throughput[count] = { opsPerSec: result.ops / result.seconds, overlaps: result.overlaps, switchShare: result.switches / Math.max(1, result.ops) };
  }
  process.stdout.write(JSON.stringify({
    node: process.version,
    uncontendedNs,
    uncontendedOverlaps: overlaps,
    handoffP50Ns: median(pingpong.samples),
    handoffSamples: pingpong.samples.length,
    handoffOverlaps: pingpong.overlaps,
    throughput,
  }));
}

if (isMainThread) main().catch((error) => { console.error(error); process.exit(1); });
else workerMain();
`;
