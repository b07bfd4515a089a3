// A worker of the name-reuse tests: two passes over `names` distinct names, one grant each, starting at its
// own offset (so workers keep meeting on the same names). Per name, in shared memory: how many are inside
// (never above 1) and the latest token (each grant's must be higher). It holds "held:<index>" throughout.
// `forgetFences` is the mutant: whenever a slot is renamed it zeroes the table's record of old tokens and
// the slot's counter, as a table that did not carry tokens over would.
import { workerData } from 'node:worker_threads';
import { SharedMutexProvider } from '../../dist/index.js';
import { Phase, setPhaseHook } from '../../dist/internal.js';

const { handle, index, names, inside: insideBuffer, tokens: tokensBuffer, stats: statsBuffer } = workerData;
const inside = new Int32Array(insideBuffer);
const tokens = new BigInt64Array(tokensBuffer);
const stats = new Int32Array(statsBuffer); // [overlaps, token errors, grants, -, holding held:<index>...]

if (workerData.forgetFences) {
  // The table layout (src/shared/shared-table.ts): 16 header words, capacity keys of 2 words, then slots of
  // 8 + ring words, GEN at +4 and the fence at words +6..7; the record of old tokens is header words 8..9.
  const words = new Int32Array(handle.buffer);
  const wide = new BigInt64Array(handle.buffer, 0, Math.floor(handle.buffer.byteLength / 8));
  const [capacity, ring] = [words[1], words[2]];
  setPhaseHook((phase) => {
    // At both steps of a renaming before its counter is set, so the renamed slot starts from nothing.
    if (phase !== Phase.RENAMING && phase !== Phase.RENAME_WRITTEN) return;
    Atomics.store(wide, 4, 0n);
    for (let slot = 0; slot < capacity; slot++) {
      const base = 16 + capacity * 2 + slot * (8 + ring);
      if ((Atomics.load(words, base + 4) & 1) !== 0) Atomics.store(wide, (base + 6) / 2, 0n);
    }
  });
}

const provider = SharedMutexProvider.attach(handle);
const held = await provider.lock(`held:${index}`).acquire();
Atomics.store(stats, 4 + index, 1);
for (let pass = 0; pass < 2; pass++) {
  for (let step = 0; step < names; step++) {
    const name = (step + index * 3) % names;
    const lease = await provider.lock(`entity:${name}`).acquire();
    if (Atomics.add(inside, name, 1) !== 0) Atomics.add(stats, 0, 1);
    if (lease.token <= tokens[name]) Atomics.add(stats, 1, 1);
    tokens[name] = lease.token;
    if (step % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
    Atomics.sub(inside, name, 1);
    Atomics.add(stats, 2, 1);
    await lease.release();
  }
}
Atomics.store(stats, 4 + index, 0);
await held.release();
