// The cross-process parts of the file suite: a handoff between contender processes, and the time from
// kill -9 of a holder to the next grant, for @lock/file and proper-lockfile alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { median, type Summary, summarize } from '../harness.js';
import { FILE_CONTENDER_SCRIPT } from './file-contender-script.js';
import type { FileRuntime } from './file-runtime.js';

export type FileContender = '@lock/file' | 'proper-lockfile';

interface Place {
  directory: string;
  target: string;
}

interface Message {
  op: string;
  at?: string;
  records?: [string, string][];
  message?: string;
}

function start(
  runtime: FileRuntime,
  kind: FileContender,
  place: Place,
  role: string,
  name: string,
  operations = 0,
) {
  const config = { kind, paths: runtime.paths, ...place, name, operations, role };
  const child = spawn(process.execPath, ['-e', FILE_CONTENDER_SCRIPT, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: Message[] = [];
  const wakers: (() => void)[] = [];
  child.on('message', (message: Message) => {
    messages.push(message);
    for (const wake of wakers.splice(0)) wake();
  });
  // A contender that dies unasked fails the suite (rather than leaving it waiting on a message that never comes).
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    exited = `exited with ${code ?? signal}`;
    for (const wake of wakers.splice(0)) wake();
  });
  const next = async (op: string): Promise<Message> => {
    for (;;) {
      const error = messages.find((message) => message.op === 'error');
      if (error) throw new Error(`${kind} ${role} process failed: ${error.message}`);
      const index = messages.findIndex((message) => message.op === op);
      if (index >= 0) return messages.splice(index, 1)[0]!;
      if (exited) throw new Error(`${kind} ${role} process ${exited} before it sent '${op}'`);
      await new Promise<void>((resolve) => wakers.push(resolve));
    }
  };
  return { child, next };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  return exited;
}

/** What a handoff run between contender processes found. */
export interface HandoffResult {
  grants: number;
  /** Grants that went to another process than the one before. */
  changedHands: number;
  /** From the holder's release call to the next grant in another process, ns. */
  handoffNs: Summary;
  grantsPerSec: number;
  /** Grant intervals overlapping (must be 0). */
  overlaps: number;
}

/**
 * `processes` contender processes, each acquiring and releasing one name `operations` times as fast as it can.
 * A handoff is measured from the release call to the next grant when the grant goes to another process.
 */
export async function handoff(
  runtime: FileRuntime,
  kind: FileContender,
  place: Place,
  processes: number,
  operations: number,
  name: string,
): Promise<HandoffResult> {
  const contenders = Array.from({ length: processes }, () =>
    start(runtime, kind, place, 'loop', name, operations),
  );
  try {
    // Every process is ready (its lock made, its modules loaded) before any starts.
    await Promise.all(
      contenders.map((contender) => new Promise((resolve) => contender.child.once('spawn', resolve))),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = process.hrtime.bigint();
    for (const contender of contenders) contender.child.send({ op: 'go' });
    const all = await Promise.all(contenders.map((contender) => contender.next('records')));
    const elapsedNs = Number(process.hrtime.bigint() - started);
    const grants = all
      .flatMap((message, proc) =>
        message.records!.map(([granted, released]) => ({
          proc,
          granted: BigInt(granted),
          released: BigInt(released),
        })),
      )
      .sort((a, b) => (a.granted < b.granted ? -1 : a.granted > b.granted ? 1 : 0));
    const handoffsNs: number[] = [];
    let changedHands = 0;
    let overlaps = 0;
    for (let index = 1; index < grants.length; index++) {
      const previous = grants[index - 1]!;
      const current = grants[index]!;
      if (current.granted < previous.released) overlaps += 1;
      if (current.proc === previous.proc) continue;
      changedHands += 1;
      handoffsNs.push(Number(current.granted - previous.released));
    }
    return {
      grants: grants.length,
      changedHands,
      handoffNs: summarize(handoffsNs),
      grantsPerSec: (grants.length / elapsedNs) * 1e9,
      overlaps,
    };
  } finally {
    await Promise.all(contenders.map((contender) => stop(contender.child)));
  }
}

/**
 * kill -9 of a holder process while another process waits: the time from the kill to the waiter's grant, ms.
 * `settleMs` lets the waiter get into line (its kernel wait, or its first retry) before the kill.
 */
export async function killToGrant(
  runtime: FileRuntime,
  kind: FileContender,
  place: Place,
  samples: number,
  name: string,
  settleMs = 300,
): Promise<number[]> {
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const holder = start(runtime, kind, place, 'hold', name);
    let waiter: ReturnType<typeof start> | undefined;
    try {
      // The waiter starts only once the holder holds (started together, the waiter could win the lock).
      await holder.next('held');
      waiter = start(runtime, kind, place, 'wait', name);
      await waiter.next('waiting');
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      const killedAt = process.hrtime.bigint();
      holder.child.kill('SIGKILL');
      const granted = BigInt((await waiter.next('granted')).at!);
      times.push(Number(granted - killedAt) / 1e6);
    } finally {
      await stop(holder.child);
      if (waiter !== undefined) await stop(waiter.child);
    }
  }
  return times;
}

export { median };
