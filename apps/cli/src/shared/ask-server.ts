import type { ProviderDescription } from '@lock/core';
import type { LockNeeds, Selector } from '@lock/selector';
import { within } from './within.js';

/** What `lock explain` and `lock status` say about the chosen backend's server. */
export type ServerAnswer =
  | (ProviderDescription & { readonly reached: true })
  | { readonly reached: false; readonly server: string; readonly warnings: readonly string[] };

/**
 * Asks the server of the backend chosen for `name` what it is, for at most `timeoutMs`. `undefined` for a
 * backend with no server; a server that does not answer is reported as such, never as an error of the command.
 */
export async function askServer(
  selector: Selector,
  name: string,
  needs?: LockNeeds,
  timeoutMs = 3_000,
): Promise<ServerAnswer | undefined> {
  try {
    const answer = await within(selector.describe(name, needs), timeoutMs);
    if (answer === undefined) {
      return { reached: false, server: `no answer within ${timeoutMs} ms`, warnings: [] };
    }
    return answer.value === undefined ? undefined : { ...answer.value, reached: true };
  } catch (error) {
    return { reached: false, server: `not reached: ${(error as Error).message}`, warnings: [] };
  }
}

/** The lines `lock explain` and `lock status` print for a server answer. */
export function formatServer(answer: ServerAnswer): string {
  const lines = [`server:  ${answer.server}`];
  for (const warning of answer.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join('\n')}\n`;
}
