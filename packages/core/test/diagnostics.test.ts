import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type AcquireMessage,
  LOCK_ACQUIRE_TRACING,
  LOCK_CHANNELS,
  type LostMessage,
  type RenewMessage,
} from '../src/index.js';
import { ScriptedLock } from './fixtures.js';

type Event = [channel: string, message: unknown];

/** Subscribes to every lock channel and to the acquire tracing channel; returns the events and an unsubscriber. */
function record(): { events: Event[]; stop(): void } {
  const events: Event[] = [];
  const handlers: [string, (message: unknown) => void][] = Object.entries(LOCK_CHANNELS).map(
    ([key, name]) => [name, (message: unknown) => events.push([key, message])],
  );
  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);
  const tracing = diagnostics.tracingChannel(LOCK_ACQUIRE_TRACING);
  const traceHandlers = {
    start: (message: unknown) => events.push(['trace:start', message]),
    end: () => {},
    asyncStart: () => {},
    asyncEnd: (message: unknown) => events.push(['trace:asyncEnd', message]),
    error: (message: unknown) => events.push(['trace:error', message]),
  };
  tracing.subscribe(traceHandlers);
  return {
    events,
    stop() {
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
      tracing.unsubscribe(traceHandlers);
    },
  };
}

let recorder: ReturnType<typeof record> | undefined;
afterEach(() => {
  recorder?.stop();
  recorder = undefined;
  vi.useRealTimers();
});

const kinds = (events: Event[]) => events.map(([kind]) => kind);

describe('diagnostics channels', () => {
  it('an acquisition publishes start and grant, is traced, and its release is published', async () => {
    recorder = record();
    const lock = new ScriptedLock('orders', { expiring: false });
    const lease = await lock.acquire({ timeoutMs: 1000 });
    await lease.release();
    expect(kinds(recorder.events)).toEqual([
      'acquireStart',
      'trace:start',
      'trace:asyncEnd',
      'grant',
      'release',
    ]);
    const grant = recorder.events[3]![1] as AcquireMessage;
    expect(grant).toMatchObject({ name: 'orders', backend: 'scripted', operation: 'acquire', lease });
    expect(grant.lock).toBe(lock);
    // The tracing context is the same message, with the result Node sets on it.
    expect(recorder.events[2]![1]).toBe(grant);
    expect((grant as AcquireMessage & { result?: unknown }).result).toBe(lease);
  });

  it('tryAcquire on a held lock publishes busy; a timeout, an abort and a failure each have their channel', async () => {
    const lock = new ScriptedLock('orders', { expiring: false });
    const holder = await lock.acquire();
    recorder = record();
    expect(await lock.tryAcquire()).toBeNull();
    await expect(lock.acquire({ timeoutMs: 0 })).rejects.toThrow(/timeoutMs is 0/);
    const controller = new AbortController();
    const aborted = lock.acquire({ signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(aborted).rejects.toThrow('user gave up');
    await expect(lock.acquire({ timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    expect(
      kinds(recorder.events).filter((kind) => !kind.startsWith('trace') && kind !== 'acquireStart'),
    ).toEqual(['busy', 'timeout', 'abort', 'error']);
    expect(kinds(recorder.events).filter((kind) => kind === 'trace:error')).toHaveLength(3);
    await holder.release();
  });

  it('a lost lease publishes its reason; renewals publish their outcome', async () => {
    vi.useFakeTimers();
    const lock = new ScriptedLock('orders');
    const lease = await lock.acquire({ ttlMs: 3000 });
    recorder = record();
    await vi.advanceTimersByTimeAsync(1000);
    lock.renewMode = 'gone';
    await vi.advanceTimersByTimeAsync(1000);
    const renewals = recorder.events
      .filter(([kind]) => kind === 'renew')
      .map(([, message]) => message as RenewMessage);
    expect(renewals.map((message) => [message.ttlMs, message.renewed])).toEqual([
      [3000, true],
      [3000, false],
    ]);
    const lost = recorder.events.find(([kind]) => kind === 'lost')?.[1] as LostMessage;
    expect(lost).toMatchObject({ name: 'orders', backend: 'scripted', reason: 'expired', lease });
    expect(lease.signal.reason).toBe(lost.error);
    await lease.release();
  });

  it('publishes nothing and traces nothing while nobody subscribes', async () => {
    const publish = vi.spyOn(diagnostics.Channel.prototype, 'publish');
    const lock = new ScriptedLock('quiet', { expiring: false });
    await (await lock.acquire()).release();
    expect(await lock.tryAcquire()).not.toBeNull();
    expect(publish).not.toHaveBeenCalled();
    publish.mockRestore();
  });
});
