// Three instances of a team's billing service share the PostgreSQL database they already use. Each one is
// asked to send invoice 42; the lock makes the check "not sent yet?" and the send one step, so it goes out
// once. The row itself checks the fencing token, so a holder that lost its session cannot write over a
// newer one. `--no-lock` shows the duplicate sends the lock prevents.
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresProvider } from '@lock/postgres';
import pg from 'pg';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const locked = !process.argv.includes('--no-lock');
const INSTANCES = 3;

const db = new pg.Pool({ connectionString: url });
await db.query(`CREATE TABLE IF NOT EXISTS invoices (
  id int PRIMARY KEY, sent_by text, sends int NOT NULL DEFAULT 0, fence bigint NOT NULL DEFAULT 0)`);
await db.query('DELETE FROM invoices WHERE id = 42');
await db.query('INSERT INTO invoices (id) VALUES (42)');

async function sendInvoiceOnce(instance, token, signal) {
  const { rows } = await db.query('SELECT sent_by FROM invoices WHERE id = 42');
  if (rows[0].sent_by !== null) return;
  await sleep(200, undefined, { signal }); // talking to the mail server; stops if the lock is lost
  // The fence: a write with a token lower than the row's last one changes nothing.
  await db.query(
    'UPDATE invoices SET sent_by = $1, sends = sends + 1, fence = $2 WHERE id = 42 AND fence <= $2',
    [instance, String(token)],
  );
}

// Each instance has its own provider (its own sessions), as separate processes would.
const providers = Array.from(
  { length: INSTANCES },
  () => new PostgresProvider({ url, namespace: 'billing' }),
);
try {
  await Promise.all(
    providers.map(async (provider, index) => {
      const instance = `instance-${index + 1}`;
      if (!locked) return sendInvoiceOnce(instance, 0n, undefined);
      await provider
        .lock('invoice:42')
        .withLock((lease) => sendInvoiceOnce(instance, lease.token, lease.signal), {
          timeoutMs: 30_000,
        });
    }),
  );
  const { rows } = await db.query('SELECT sent_by, sends FROM invoices WHERE id = 42');
  console.log(`invoice 42: sent ${rows[0].sends} time(s), by ${rows[0].sent_by}`);
} finally {
  await Promise.all(providers.map((provider) => provider.close()));
  await db.end();
}
