import { InvalidArgumentError, LockBackendError, LockTimeoutError } from '@lock/core';
import { freePort, settle, uniqueName } from '@lock/testkit';
import { GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { createProvider, EtcdProvider } from '../src/index.js';
import { useEtcd } from './helpers.js';

const etcd = useEtcd();

function provider(ttlMs = 2_000): EtcdProvider {
  return etcd.track(new EtcdProvider({ endpoints: etcd.cluster.endpoints, ttlMs }));
}

describe('one lease-length rule (capabilities.ttl)', () => {
  it('extend(ttlMs) is refused unless it is the session TTL; it never resolves keeping another length', async () => {
    const lease = await provider(2_000).lock(uniqueName('extend')).acquire();
    for (const ttlMs of [1_500, 3_000, 2_500]) {
      const refused = await settle(lease.extend(ttlMs));
      expect(InvalidArgumentError.isInstance(refused.error), String(ttlMs)).toBe(true);
      expect((refused.error as InvalidArgumentError).parameter).toBe('ttlMs');
      expect((refused.error as InvalidArgumentError).value).toBe(ttlMs);
    }
    await lease.extend(2_000);
    await lease.extend();
    expect(lease.held).toBe(true);
    expect(lease.ttlMs).toBe(2_000);
    await lease.release();
  });

  it('a provider TTL etcd would raise (under 2 s) or truncate (not whole seconds) is refused before any I/O', () => {
    for (const ttlMs of [1_000, 1_999, 2_500]) {
      const refused = settleSync(() => new EtcdProvider({ endpoints: ['http://127.0.0.1:1'], ttlMs }));
      expect(InvalidArgumentError.isInstance(refused), String(ttlMs)).toBe(true);
      expect((refused as InvalidArgumentError).parameter).toBe('options.ttlMs');
    }
  });

  it('a free lock is granted whatever timeoutMs: the deadline bounds the wait for a holder, not etcd', async () => {
    // A fresh provider: the session lease grant and the enqueue both happen inside this acquisition.
    for (const timeoutMs of [1, 0.5]) {
      const lease = await provider().lock(uniqueName('tiny-timeout')).acquire({ timeoutMs });
      expect(lease.held).toBe(true);
      await lease.release();
    }
    // Held: a short timeout still times out, as a wait for a holder.
    const name = uniqueName('tiny-timeout-held');
    const holder = await provider().lock(name).acquire();
    const waiting = await settle(provider().lock(name).acquire({ timeoutMs: 1 }));
    expect(LockTimeoutError.isInstance(waiting.error)).toBe(true);
    await holder.release();
  });
});

describe('names', () => {
  it('two names differing only in a lone surrogate are refused before any I/O (they would share one key)', async () => {
    const first = 'x🎉'.slice(0, 2);
    const second = 'x😀'.slice(0, 2);
    expect(first).not.toBe(second);
    // Why it matters: both encode to the same UTF-8 (U+FFFD), so they would be one etcd key per session, and
    // one provider would grant both with the same token.
    expect(Buffer.from(`${first}/`).equals(Buffer.from(`${second}/`))).toBe(true);
    const created = provider();
    for (const name of [first, second]) {
      const refused = settleSync(() => created.lock(name));
      expect(InvalidArgumentError.isInstance(refused), JSON.stringify(name)).toBe(true);
      expect((refused as InvalidArgumentError).parameter).toBe('name');
    }
    // Nothing was written, and no session was opened.
    expect(
      await etcd.admin
        .getAll()
        .prefix(Buffer.from(`${first}/`).toString())
        .keys(),
    ).toEqual([]);
    expect(created.stats.sessionsOpened).toBe(0);
  });
});

describe('endpoints', () => {
  it('mixed http and https endpoints are refused with a typed error naming the odd one', () => {
    for (const make of [
      () => createProvider({ endpoints: ['http://127.0.0.1:2379', 'https://127.0.0.1:2380'] }),
      () => new EtcdProvider({ endpoints: ['https://127.0.0.1:2379', 'HTTP://127.0.0.1:2380'] }),
    ]) {
      const refused = settleSync(make);
      expect(InvalidArgumentError.isInstance(refused)).toBe(true);
      expect((refused as InvalidArgumentError).parameter).toMatch(/\.endpoints\[1\]$/);
    }
  });
});

describe('etcd unreachable', () => {
  it('status() against a closed port rejects with LockBackendError carrying the gRPC error', async () => {
    const closedPort = await freePort();
    const unreachable = new EtcdProvider({
      endpoints: [`http://127.0.0.1:${closedPort}`],
      requestTimeoutMs: 1_000,
    });
    etcd.track(unreachable);
    const status = await settle(unreachable.status('x'));
    expect(LockBackendError.isInstance(status.error), String(status.error)).toBe(true);
    expect((status.error as LockBackendError).lockName).toBe('x');
    expect((status.error as Error).cause).toBeInstanceOf(GRPCUnavailableError);
    // An acquisition that never heard from etcd is not a held lock.
    const acquire = await settle(unreachable.lock('x').acquire({ timeoutMs: 300 }));
    expect(LockBackendError.isInstance(acquire.error), String(acquire.error)).toBe(true);
  });
});

function settleSync(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}
