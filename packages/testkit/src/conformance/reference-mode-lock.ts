import { type AcquireRequest, BaseLock, type Capabilities, type LockMode } from '@lock/core';
import type { ModeGrant, ReferenceModeTable } from './reference-modes.js';

/**
 * One side of the reference's read-write lock (`shared` readers or the `exclusive` writer), or its semaphore
 * (`shared` grants limited to `permits`): a `BaseLock` whose grants live in a {@link ReferenceModeTable}.
 */
export class ReferenceModeLock extends BaseLock<ModeGrant> {
  readonly capabilities: Capabilities;
  private readonly table: ReferenceModeTable;
  private readonly mode: LockMode;
  private readonly permits: number | undefined;

  constructor(
    table: ReferenceModeTable,
    name: string,
    grants: { mode: LockMode; permits?: number | undefined; capabilities: Capabilities },
    settings: ConstructorParameters<typeof BaseLock>[1],
  ) {
    super(name, settings);
    this.table = table;
    this.mode = grants.mode;
    this.permits = grants.permits;
    this.capabilities = grants.capabilities;
  }

  protected acquireGrant(request: AcquireRequest): ModeGrant | null | Promise<ModeGrant> {
    return this.table.acquire(this.name, this.mode, request, this.permits);
  }

  protected releaseGrant(grant: ModeGrant): boolean {
    return this.table.release(this.name, grant);
  }

  protected override async extendGrant(grant: ModeGrant, ttlMs: number): Promise<boolean> {
    return this.table.extend(this.name, grant, ttlMs);
  }
}
