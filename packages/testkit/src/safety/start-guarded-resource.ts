import { fork } from 'node:child_process';
import { childScriptPath } from '../servers/child-script.js';
import { registerPid, unregisterPid } from '../servers/process-registry.js';
import type { FencingMode, ResourceState } from './guarded-resource.js';
import { GuardedResourceClient } from './guarded-resource-client.js';

/** A guarded resource running in its own child process. */
export interface GuardedResourceProcess extends AsyncDisposable {
  /** Base URL on 127.0.0.1, for {@link GuardedResourceClient} or `runClients({ resourceUrl })`. */
  readonly url: string;
  readonly pid: number;
  readonly fencing: FencingMode;
  /** A client for the parent's own reads (state at the end of a run). */
  readonly client: GuardedResourceClient;
  /** The resource's full state. */
  state(): Promise<ResourceState>;
  /** Stops the child process. */
  close(): Promise<void>;
}

/**
 * Starts a guarded resource (see {@link GuardedResourceServer}) in a child process and resolves once it
 * listens. `fencing: 'writes-only'` fences writes alone (reads are accepted and raise nothing);
 * `fencing: 'off'` is the mutant that accepts everything.
 */
export async function startGuardedResource(
  options: { fencing?: FencingMode } = {},
): Promise<GuardedResourceProcess> {
  const fencing = options.fencing ?? 'on';
  const child = fork(childScriptPath('guarded-resource-child.js'), [fencing], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('guarded resource child failed to spawn');
  registerPid(pid);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      unregisterPid(pid);
      resolve();
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { kind?: string; url?: string }) => {
      if (message.kind === 'listening' && typeof message.url === 'string') resolve(message.url);
      else reject(new Error(`guarded resource child sent ${JSON.stringify(message)}`));
    });
    child.once('exit', (code, signal) =>
      reject(new Error(`guarded resource child exited before listening (code ${code}, signal ${signal})`)),
    );
  });
  const client = new GuardedResourceClient(url);
  const close = async (): Promise<void> => {
    client.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.disconnect();
      // A paused or wedged child gets no second chance.
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { url, pid, fencing, client, state: () => client.state(), close, [Symbol.asyncDispose]: close };
}
