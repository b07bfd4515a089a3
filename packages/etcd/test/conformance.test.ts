import { type EtcdCluster, startEtcd } from '@lock/testkit';
import { describeConformance } from '@lock/testkit/conformance';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe } from 'vitest';
import { EtcdProvider, etcdClientOptions } from '../src/index.js';

for (const members of [1, 3] as const) {
  describe(`etcd with ${members} member(s)`, () => {
    let cluster: EtcdCluster;
    let admin: Etcd3;

    beforeAll(async () => {
      cluster = await startEtcd({ members });
      admin = new Etcd3(etcdClientOptions(cluster.endpoints));
    });
    afterAll(async () => {
      admin?.close();
      await cluster?.close();
    });

    describeConformance({
      name: `etcd (${members === 1 ? 'single member' : '3-member cluster'})`,
      createProvider: () => new EtcdProvider({ endpoints: cluster.endpoints, ttlMs: 5_000 }),
      // The grant lives on the provider's session lease: revoking it is what a server-side expiry does.
      loseGrant: async (_lease, provider) => {
        const leaseId = await (provider as EtcdProvider).sessionLeaseId();
        if (leaseId === undefined) throw new Error('no open session to revoke');
        await admin.leaseClient.leaseRevoke({ ID: leaseId.toString() });
      },
      leftovers: async (name, provider) => {
        const status = await (provider as EtcdProvider).status(name);
        return status.holders.length + status.waiterCount;
      },
      // One provider's waiters for a name queue locally behind its one session key, so the server cannot
      // count them: the FIFO check waits a fixed time for each to queue.
      enqueueDelayMs: 50,
    });
  });
}
