import { monotonicNow, noop } from '@lock/core';
import { FilterType } from 'etcd3';
import { reportUnresponsive } from './endpoint-breaker.js';
import type { EtcdClient } from './etcd-client.js';

/** What the watcher of one key is told; exactly one of `deleted` and `broken` ends a watch. */
export interface KeyWatchListener {
  /** etcd confirmed the watch: deletions from now on are delivered. */
  connected(): void;
  /** The key was deleted (for a watch of `changes`, also put again). */
  deleted(): void;
  /** The watch ended without a deletion (the stream failed or stopped answering, etcd refused or cancelled it). */
  broken(cause: unknown): void;
}

type WatchDuplex = Awaited<ReturnType<EtcdClient['watchClient']['watch']>>;

/** The `watch_id` etcd uses for progress answers, and for refusals of a create it could not attribute. */
const NO_WATCH_ID = '-1';
/** Deliver deletions only: a lock's waiter never cares about puts. */
const ONLY_DELETES = [FilterType.Noput];

/** What one watch covers, beyond its key. @internal */
export interface KeyWatchOptions {
  /** Watch every key from `key` up to this one (a prefix's range end), not `key` alone. */
  readonly rangeEnd?: Buffer | undefined;
  /** Deliver puts too: a semaphore's waiter watches the waiter before it announce its grant by a put. */
  readonly changes?: boolean | undefined;
}

/**
 * One etcd watch stream per provider, shared by its waiters, with watch ids chosen here (etcd 3.4+ honours
 * them) so creations need no queue. This replaces etcd3's watch manager, which reconnects on timers of up to
 * 30 s that nothing can cancel (a process lingered 28 s after `close()` once etcd had restarted under load),
 * tears its stream down whenever its last watcher goes, and counts its own cancellations as endpoint failures.
 *
 * Nothing here reconnects by itself: a failed stream ends every watch on it (`broken`), each waiter reads
 * again and watches again, which opens a new stream. While watches exist, a progress request is sent every
 * `probeEveryMs`; one still unanswered at the next probe means the stream's member stopped answering (paused,
 * cut off): the endpoint is reported to the breaker, the stream dropped, and the waiters move elsewhere.
 * @internal
 */
export class WatchStream {
  private readonly client: EtcdClient;
  private readonly probeEveryMs: number;
  private readonly listeners = new Map<string, KeyWatchListener>();
  /** Watches that end on any event, not only a deletion. */
  private readonly anyEvent = new Set<string>();
  /** Creations written but not confirmed, oldest first (a refusal without an id belongs to the oldest). */
  private readonly unconfirmed: string[] = [];
  private stream: WatchDuplex | undefined;
  private opening: Promise<WatchDuplex> | undefined;
  private nextId = 1;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeSentAt: number | undefined;
  private closed = false;

  constructor(client: EtcdClient, probeEveryMs: number) {
    this.client = client;
    this.probeEveryMs = probeEveryMs;
  }

  /**
   * Watches `key` (or the range in `options`) for a deletion (or, with `changes`, any event) from the current
   * revision on; returns the cancel function.
   */
  watch(key: Buffer, listener: KeyWatchListener, options: KeyWatchOptions = {}): () => void {
    const id = String(this.nextId++);
    this.listeners.set(id, listener);
    if (options.changes === true) this.anyEvent.add(id);
    this.connect().then(
      (stream) => {
        if (!this.listeners.has(id) || stream !== this.stream) return;
        this.unconfirmed.push(id);
        stream.write({
          create_request: {
            key,
            ...(options.rangeEnd === undefined ? {} : { range_end: options.rangeEnd }),
            watch_id: id,
            filters: options.changes === true ? [] : ONLY_DELETES,
          },
        });
      },
      (error: unknown) => this.take(id)?.broken(error),
    );
    this.scheduleProbe();
    return () => this.cancel(id);
  }

  /** Ends the stream for good (the provider closes); watches still open get no further call. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.anyEvent.clear();
    this.drop();
  }

  private cancel(id: string): void {
    if (this.take(id) === undefined) return;
    // Ordered after the creation on the same stream, so etcd knows the id by then.
    this.stream?.write({ cancel_request: { watch_id: id } });
  }

  /** Removes and returns a watch's listener. */
  private take(id: string): KeyWatchListener | undefined {
    const listener = this.listeners.get(id);
    if (listener === undefined) return undefined;
    this.listeners.delete(id);
    this.anyEvent.delete(id);
    const index = this.unconfirmed.indexOf(id);
    if (index >= 0) this.unconfirmed.splice(index, 1);
    if (this.listeners.size === 0) this.stopProbe();
    return listener;
  }

  private connect(): Promise<WatchDuplex> {
    if (this.stream !== undefined) return Promise.resolve(this.stream);
    if (this.closed) return Promise.reject(new Error('the provider is closed'));
    this.opening ??= this.client.watchClient.watch().then(
      (stream) => {
        this.opening = undefined;
        if (this.closed) {
          closeStream(stream);
          throw new Error('the provider is closed');
        }
        this.stream = stream;
        stream.on('data', (reply) => this.onReply(reply));
        stream.on('error', (error: unknown) => this.fail(stream, error));
        stream.on('end', () => this.fail(stream, new Error('the etcd watch stream ended')));
        return stream;
      },
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  private onReply(reply: {
    watch_id: string;
    created: boolean;
    canceled: boolean;
    cancel_reason: string;
    events: readonly { type: string }[];
  }): void {
    this.probeSentAt = undefined;
    let id = reply.watch_id;
    if (reply.created) {
      if (!this.unconfirmed.includes(id)) {
        if (id !== NO_WATCH_ID || this.unconfirmed.length === 0) return;
        id = this.unconfirmed[0]!;
      }
      this.unconfirmed.splice(this.unconfirmed.indexOf(id), 1);
      if (!reply.canceled) {
        this.listeners.get(id)?.connected();
        return;
      }
    }
    if (reply.canceled) {
      // Refused (permission denied) or cancelled by etcd (compaction): the waiter reads and decides.
      this.take(id)?.broken(
        new Error(`etcd cancelled the watch: ${reply.cancel_reason || 'no reason given'}`),
      );
      return;
    }
    if (
      this.anyEvent.has(id) ? reply.events.length > 0 : reply.events.some((event) => event.type === 'Delete')
    )
      this.take(id)?.deleted();
  }

  /** The stream failed: every watch on it is broken; the next watch opens a new stream. */
  private fail(stream: WatchDuplex, cause: unknown): void {
    if (stream !== this.stream) return;
    this.drop();
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    this.anyEvent.clear();
    this.unconfirmed.length = 0;
    this.stopProbe();
    for (const listener of listeners) listener.broken(cause);
  }

  private drop(): void {
    this.stopProbe();
    const stream = this.stream;
    this.stream = undefined;
    if (stream !== undefined) closeStream(stream);
  }

  private scheduleProbe(): void {
    if (this.probeTimer !== undefined || this.closed) return;
    this.probeTimer = setInterval(() => this.probe(), this.probeEveryMs);
    // The waiters' own timers keep the process alive while they wait; the probe must not on its own.
    this.probeTimer.unref();
  }

  private stopProbe(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.probeSentAt = undefined;
  }

  private probe(): void {
    const stream = this.stream;
    if (stream === undefined) return;
    if (this.probeSentAt !== undefined) {
      // Nothing at all since the last probe, not even its answer: the member stopped answering.
      reportUnresponsive(stream);
      this.fail(stream, new Error(`the etcd watch stream did not answer within ${this.probeEveryMs} ms`));
      return;
    }
    this.probeSentAt = monotonicNow();
    stream.write({ progress_request: {} });
  }
}

/**
 * Half-closes and then cancels a stream: the cancel ends it on the server (etcd keeps a half-closed watch
 * stream open), and etcd3 does not count it against the endpoint once the stream is no longer writable.
 */
function closeStream(stream: WatchDuplex): void {
  const events = stream as unknown as NodeJS.EventEmitter;
  for (const event of ['data', 'end', 'error']) events.removeAllListeners(event);
  events.on('error', noop);
  stream.end();
  stream.cancel();
}
