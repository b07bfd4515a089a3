import { LockBackendError } from '@lock/core';
import { type EtcdCluster, freePort, settle, startEtcd, uniqueName } from '@lock/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdProvider, LEASE_REVOCATION_WARNING } from '../src/index.js';
import { serverInfo } from '../src/internal.js';
import { eventually } from './helpers.js';

describe('versions affected by etcd issue 15247 (a resumed leader revokes live leases)', () => {
  it('3.4 before 3.4.28, 3.5 before 3.5.11 and everything older; 3.6 on is fixed; unknown is assumed affected', () => {
    const affected = ['3.4.23', '3.4.27', '3.5.0', '3.5.10', '3.3.27', '3.2.32', '2.3.8', 'v3.4.1', 'dev'];
    const fixed = ['3.4.28', '3.4.30', '3.5.11', '3.5.17', '3.6.0', '3.6.5', '4.0.0', 'v3.5.12'];
    for (const version of affected) expect(serverInfo(version).leaseRevocationBug, version).toBe(true);
    for (const version of fixed) expect(serverInfo(version).leaseRevocationBug, version).toBe(false);
  });
});

describe('reading the server version', () => {
  let cluster: EtcdCluster;
  const providers: EtcdProvider[] = [];
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => {
    if ((warning as { code?: string }).code === LEASE_REVOCATION_WARNING) warnings.push(warning);
  };

  beforeAll(async () => {
    cluster = await startEtcd({ members: 1 });
    process.on('warning', onWarning);
  });
  afterEach(() => {
    warnings.length = 0;
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await Promise.allSettled(providers.map((provider) => provider.close()));
    await cluster?.close();
  });

  const provider = (waitOutRevokedHolders = false) => {
    const created = new EtcdProvider({
      endpoints: cluster.endpoints,
      ttlMs: 2_000,
      waitOutRevokedHolders,
    });
    providers.push(created);
    return created;
  };

  it('is read beside the first session, exposed as provider.server and in status(), and warned about once', async () => {
    const { version } = await cluster.members[0]!.status();
    const created = provider();
    expect(created.server).toBeUndefined();
    const name = uniqueName('version');
    await (await created.lock(name).acquire()).release();
    await eventually(() => created.server !== undefined, 10_000, 'the server version to be read');
    expect(created.server).toEqual(serverInfo(version));
    expect(await created.serverInfo()).toEqual(created.server);
    expect((await created.status(name)).details.server).toEqual(created.server);
    await (await created.lock(name).acquire()).release();
    // Let any warning emitted on a later tick arrive before counting.
    await new Promise((resolve) => setImmediate(resolve));
    const expected = created.server!.leaseRevocationBug ? 1 : 0;
    expect(warnings).toHaveLength(expected);
    if (expected === 1) {
      expect(warnings[0]!.name).toBe('LockWarning');
      expect(warnings[0]!.message).toContain(version);
      expect(warnings[0]!.message).toContain('waitOutRevokedHolders');
    }
  });

  it('is not warned about by a provider that waits out revoked holders', async () => {
    const created = provider(true);
    const info = await created.serverInfo();
    await (await created.lock(uniqueName('version-mitigated')).acquire()).release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(info.version).not.toBe('');
    expect(warnings).toHaveLength(0);
  });

  it('describe() says which server and warns about the defect unless the provider waits out revoked holders', async () => {
    const { version } = await cluster.members[0]!.status();
    const affected = serverInfo(version).leaseRevocationBug;
    const exposed = await provider().describe();
    expect(exposed.server).toBe(`etcd ${version}`);
    expect(exposed.details).toEqual({
      version,
      leaseRevocationBug: affected,
      waitOutRevokedHolders: false,
      sessionTtlMs: 2_000,
    });
    expect(exposed.warnings).toHaveLength(affected ? 1 : 0);
    if (affected) expect(exposed.warnings[0]).toContain('etcd issue 15247');
    const mitigated = await provider(true).describe();
    expect(mitigated.warnings).toEqual([]);
    expect(mitigated.details.waitOutRevokedHolders).toBe(true);
    // Neither opened a session: describing reads the version only.
    expect(providers.slice(-2).map((created) => created.stats.sessionsOpened)).toEqual([0, 0]);
  });

  it('describe() of a server that does not answer rejects with LockBackendError', async () => {
    const unreachable = new EtcdProvider({
      endpoints: [`http://127.0.0.1:${await freePort()}`],
      requestTimeoutMs: 500,
    });
    providers.push(unreachable);
    const outcome = await settle(unreachable.describe());
    expect(LockBackendError.isInstance(outcome.error), String(outcome.error)).toBe(true);
  });
});
