/**
 * Child-process entry of {@link startGuardedResource}: serves a GuardedResourceServer and reports its URL
 * over IPC. Running it in its own process keeps it responsive while the test process or a client is
 * paused, and makes it a separate failure domain like a real storage server.
 */
import { FENCING_MODES, type FencingMode, GuardedResourceServer } from './guarded-resource.js';

const fencing = (process.argv[2] ?? 'on') as FencingMode;
if (!FENCING_MODES.includes(fencing)) {
  process.stderr.write(`fencing must be one of ${FENCING_MODES.join(', ')}, got ${fencing}\n`);
  process.exit(2);
}
const server = new GuardedResourceServer({ fencing });
const url = await server.listen();
process.send?.({ kind: 'listening', url });
// The parent's disconnect (its exit, or close()) ends us; the PID registry is the backstop for crashes.
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
