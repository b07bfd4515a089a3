// The same nightly job written against @lock/file: a host-wide kernel lock, freed the moment its holder
// dies, so a crashed run never leaves a stale lock behind.
import { appendFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileProvider } from '@lock/file';

const log = process.env.BACKUP_LOG ?? 'backup.log';
const provider = new FileProvider(); // $XDG_RUNTIME_DIR/lock, else <tmpdir>/lock-<uid>: one per user and host

try {
  await provider.lock('nightly').withLock(
    async (lease) => {
      // lease.token strictly increases per name on this host: hand it to what the backup writes.
      await appendFile(log, `start ${lease.token} nightly.mjs\n`);
      await sleep(1000, undefined, { signal: lease.signal }); // the backup itself; stops if the lock is lost
      await appendFile(log, `end ${lease.token} nightly.mjs\n`);
    },
    { timeoutMs: 60_000 },
  );
  console.log('nightly: done');
} finally {
  await provider.close();
}
