import { connect } from 'node:net';

/**
 * Sends a ZooKeeper four-letter word (`ruok`, `srvr`, `mntr`, `wchp`...) and resolves with the whole
 * answer; the server closes the connection when it is done. The command must be in the server's
 * `4lw.commands.whitelist`, or the answer says it is not executed.
 */
export function fourLetterWord(port: number, command: string, timeoutMs = 2_000): Promise<string> {
  if (!/^[a-z]{4}$/.test(command)) throw new RangeError(`not a four-letter word: ${JSON.stringify(command)}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(
        new Error(`four-letter word ${command} on 127.0.0.1:${port}: no answer within ${timeoutMs} ms`),
      ),
    );
    socket.on('connect', () => socket.end(command));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
