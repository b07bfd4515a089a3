import type { VerifyResult } from './stress-result.js';

/**
 * The resource `--verify` guards: one counter per lock name, kept by the parent, which every worker's
 * critical section reads and then writes back plus one with its lease's token. A section that starts while
 * another section of the same name is inside is an overlap; a write with a token below the name's latest is
 * stale and refused (as a fenced resource would); an increment lost to an overlap shows as a counter below
 * the number of writes.
 */
export class GuardedCounter {
  private readonly names = new Map<string, { value: number; token: bigint; inside: number }>();
  private overlaps = 0;
  private stale = 0;
  private writes = 0;

  /** @param fenced whether the backend's tokens increase per name (`capabilities.fencing`); else none is refused. */
  constructor(private readonly fenced: boolean) {}

  read(name: string): number {
    const state = this.state(name);
    if (state.inside > 0) this.overlaps += 1;
    state.inside += 1;
    return state.value;
  }

  write(name: string, value: number, token: bigint): void {
    const state = this.state(name);
    state.inside = Math.max(0, state.inside - 1);
    if (this.fenced && token < state.token) {
      this.stale += 1;
      return;
    }
    state.token = token;
    state.value = value;
    this.writes += 1;
  }

  result(): VerifyResult {
    let total = 0;
    for (const state of this.names.values()) total += state.value;
    return {
      sections: this.writes,
      overlaps: this.overlaps,
      staleWrites: this.stale,
      lostUpdates: this.writes - total,
    };
  }

  private state(name: string) {
    let state = this.names.get(name);
    if (state === undefined) this.names.set(name, (state = { value: 0, token: -1n, inside: 0 }));
    return state;
  }
}
