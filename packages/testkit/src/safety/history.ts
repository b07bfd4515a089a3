import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Jepsen's event types: `info` is an indeterminate result (a timeout, a crash), never a `fail`. */
export type HistoryType = 'invoke' | 'ok' | 'fail' | 'info';

/** The operation an event belongs to; `fault` events record what the nemesis did. */
export type HistoryFunction = 'acquire' | 'release' | 'extend' | 'write' | 'read' | 'fault';

/** One line of a history. */
export interface HistoryEvent {
  /** The client process (0-based), or a name such as `'nemesis'` for faults. */
  proc: number | string;
  type: HistoryType;
  f: HistoryFunction;
  /** Operation-specific: the value read or written, a release result, a fault description. */
  value?: unknown;
  /** The fencing token involved, if any. */
  token?: bigint;
  /**
   * On acquire events of read-write and semaphore clients: `shared` (a reader, a permit) or `exclusive` (a
   * writer). Absent for a plain lock, whose grants are all exclusive.
   */
  mode?: 'shared' | 'exclusive';
  /**
   * `process.hrtime.bigint()` when the event happened. It reads CLOCK_MONOTONIC, which is system-wide on
   * Linux, so events from different processes on one machine are ordered correctly.
   */
  t: bigint;
}

/** Serialises one event as a JSON line, bigints as decimal strings (JSON has no 64-bit integers). */
export function serializeEvent(event: HistoryEvent): string {
  return JSON.stringify(event, (_key, value: unknown) =>
    typeof value === 'bigint' ? value.toString() : value,
  );
}

/** Parses one JSON line written by {@link serializeEvent}. */
export function parseEvent(line: string): HistoryEvent {
  const raw = JSON.parse(line) as Record<string, unknown>;
  const { proc, type, f, value, token, t, mode } = raw;
  if (typeof t !== 'string' && typeof t !== 'number') throw new Error(`history line without t: ${line}`);
  const event: HistoryEvent = {
    proc: proc as number | string,
    type: type as HistoryType,
    f: f as HistoryFunction,
    t: BigInt(t),
  };
  if (value !== undefined) event.value = value;
  if (token !== undefined && token !== null) event.token = BigInt(token as string);
  if (mode === 'shared' || mode === 'exclusive') event.mode = mode;
  return event;
}

/** Parses NDJSON text; blank lines are skipped, a torn last line (a killed writer) is dropped. */
export function parseHistory(text: string): HistoryEvent[] {
  const lines = text.split('\n').filter((line) => line.trim().length > 0);
  const events: HistoryEvent[] = [];
  lines.forEach((line, index) => {
    try {
      events.push(parseEvent(line));
    } catch (error) {
      if (index !== lines.length - 1) throw error;
    }
  });
  return events;
}

/** Sorts events by time; ties keep their input order. */
export function sortHistory(events: readonly HistoryEvent[]): HistoryEvent[] {
  return [...events].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
}

/**
 * Reads one NDJSON file, or every `*.ndjson` file in a directory merged in time order.
 */
export function readHistory(path: string): HistoryEvent[] {
  let files: string[];
  try {
    files = readdirSync(path)
      .filter((name) => name.endsWith('.ndjson'))
      .map((name) => join(path, name));
  } catch {
    files = [path];
  }
  return sortHistory(files.flatMap((file) => parseHistory(readFileSync(file, 'utf8'))));
}

/**
 * Appends events to an NDJSON file, one synchronous write per event, so a process killed with SIGKILL
 * leaves every event it recorded before the kill.
 */
export class HistoryWriter {
  readonly path: string;
  readonly proc: number | string;

  constructor(path: string, proc: number | string) {
    this.path = path;
    this.proc = proc;
  }

  /** Records an event now (`t` from `process.hrtime.bigint()`) and returns it. */
  record(
    type: HistoryType,
    f: HistoryFunction,
    fields: { value?: unknown; token?: bigint; mode?: 'shared' | 'exclusive' | undefined } = {},
  ): HistoryEvent {
    const event: HistoryEvent = { proc: this.proc, type, f, t: process.hrtime.bigint() };
    if (fields.value !== undefined) event.value = fields.value;
    if (fields.token !== undefined) event.token = fields.token;
    if (fields.mode !== undefined) event.mode = fields.mode;
    appendFileSync(this.path, `${serializeEvent(event)}\n`);
    return event;
  }
}

/** Writes a whole history to one file, replacing it (e.g. the merged history of a run). */
export function writeHistory(path: string, events: readonly HistoryEvent[]): void {
  writeFileSync(path, events.map((event) => `${serializeEvent(event)}\n`).join(''));
}
