// The program of one contender process of the file suite, run as `node -e FILE_CONTENDER_SCRIPT <config JSON>`
// (plain CommonJS, so it needs no build of its own). Config: { kind: '@lock/file' | 'proper-lockfile', paths,
// directory, target, name, operations, role }. Every time stamp is process.hrtime.bigint(): CLOCK_MONOTONIC,
// one clock for every process of the machine, so stamps of two processes compare.
//
// role 'loop': on 'go', acquire -> record grant time -> release (record the release call) `operations` times,
// then send the records. role 'hold': acquire, say 'held', hold until killed. role 'wait': say 'waiting',
// acquire, send the grant time.
export const FILE_CONTENDER_SCRIPT = `'use strict';
const config = JSON.parse(process.argv[1]);
const now = () => String(process.hrtime.bigint());
async function open() {
  if (config.kind === '@lock/file') {
    const { FileProvider } = await import(require('node:url').pathToFileURL(config.paths.lockFile).href);
    const lock = new FileProvider({ directory: config.directory }).lock(config.name);
    return () => lock.acquire().then((lease) => () => lease.release());
  }
  const lockfile = require(config.paths.properLockfile);
  // Its fastest waiting: a retry every millisecond, for as long as it takes (retry's \`forever\`: a large
  // \`retries\` would make it build an array of that many delays); the default staleness (10 s).
  const options = { realpath: false, retries: { forever: true, factor: 1, minTimeout: 1, maxTimeout: 1 } };
  return () => lockfile.lock(config.target, options);
}
(async () => {
  const acquire = await open();
  if (config.role === 'hold') {
    await acquire();
    process.send({ op: 'held' });
    setInterval(() => {}, 1000);
    return;
  }
  if (config.role === 'wait') {
    process.send({ op: 'waiting' });
    await acquire();
    process.send({ op: 'granted', at: now() });
    return;
  }
  await new Promise((resolve) => process.once('message', resolve));
  const records = [];
  for (let index = 0; index < config.operations; index++) {
    const release = await acquire();
    const grantedAt = now();
    const releasedAt = now();
    await release();
    records.push([grantedAt, releasedAt]);
  }
  process.send({ op: 'records', records });
  process.disconnect();
})().catch((error) => { process.send({ op: 'error', message: String(error && error.stack) }); });`;
