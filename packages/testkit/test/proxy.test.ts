import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FaultProxy, fourLetterWord, startZooKeeper, type ZooKeeperEnsemble } from '../src/index.js';

/** An upstream that echoes every byte back. */
let echo: Server;
let echoPort: number;
let proxy: FaultProxy;
const openSockets = new Set<Socket>();

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  proxy = await FaultProxy.start({ targetPort: echoPort });
});

afterAll(async () => {
  for (const socket of openSockets) socket.destroy();
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

beforeEach(() => {
  proxy.pass();
});

async function open(): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  openSockets.add(socket);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

/** Sends `text` and resolves with the echo, or 'timeout'. */
function roundTrip(socket: Socket, text: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const timer = setTimeout(() => {
      socket.removeListener('data', onData);
      resolve('timeout');
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('utf8');
      if (received.length >= text.length) {
        clearTimeout(timer);
        socket.removeListener('data', onData);
        resolve(received);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

describe('FaultProxy', () => {
  it('passes bytes both ways and counts connections and bytes', async () => {
    const before = proxy.stats;
    const socket = await open();
    expect(await roundTrip(socket, 'hello', 2_000)).toBe('hello');
    const after = proxy.stats;
    expect(after.connections).toBe(before.connections + 1);
    expect(after.bytesClientToServer - before.bytesClientToServer).toBe(5);
    expect(after.bytesServerToClient - before.bytesServerToClient).toBe(5);
    expect(after.activeConnections).toBeGreaterThanOrEqual(1);
  });

  it('delays each direction by the given time, in order', async () => {
    const socket = await open();
    proxy.delay(150, 'clientToServer');
    proxy.delay(100, 'serverToClient');
    const started = performance.now();
    const echoed = await roundTrip(socket, 'abc', 5_000);
    const elapsedMs = performance.now() - started;
    expect(echoed).toBe('abc');
    // Behaviour, not speed: the round trip cannot be shorter than the two injected delays.
    expect(elapsedMs).toBeGreaterThanOrEqual(245);
    // A chunk sent after the delay was shortened still arrives after the ones sent before it.
    let received = '';
    const all = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('utf8');
        if (received.length >= 3) resolve();
      });
    });
    socket.write('1');
    proxy.pass('clientToServer');
    socket.write('2');
    socket.write('3');
    await all;
    expect(received).toBe('123');
  });

  it('blackholes: bytes are dropped and counted, the socket stays open, pass resumes traffic', async () => {
    const socket = await open();
    proxy.blackhole();
    const dropped = proxy.stats.droppedClientToServer;
    expect(await roundTrip(socket, 'lost', 300)).toBe('timeout');
    expect(proxy.stats.droppedClientToServer - dropped).toBe(4);
    expect(socket.destroyed).toBe(false);
    expect(socket.readyState).toBe('open');
    proxy.pass();
    expect(await roundTrip(socket, 'back', 2_000)).toBe('back');
  });

  it('blackholes one direction only: requests arrive, replies are dropped', async () => {
    const socket = await open();
    proxy.blackhole('serverToClient');
    const dropped = proxy.stats.droppedServerToClient;
    expect(await roundTrip(socket, 'ping', 300)).toBe('timeout');
    expect(proxy.stats.droppedServerToClient - dropped).toBe(4);
  });

  it('reset() sends a RST to every open connection and keeps accepting new ones', async () => {
    const socket = await open();
    const closed = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      socket.once('error', resolve);
      socket.once('close', () => resolve(undefined));
    });
    proxy.reset();
    const error = await closed;
    expect(error?.code).toBe('ECONNRESET');
    expect(proxy.stats.activeConnections).toBe(0);
    const fresh = await open();
    expect(await roundTrip(fresh, 'again', 2_000)).toBe('again');
  });

  it('resets the client when the upstream refuses', async () => {
    const dead = await FaultProxy.start({ targetPort: 1 });
    try {
      const socket = connect({ host: '127.0.0.1', port: dead.port });
      const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
        socket.once('error', resolve);
        socket.once('close', () => resolve(undefined));
      });
      expect(error?.code).toBe('ECONNRESET');
    } finally {
      await dead.close();
    }
  });
});

describe('FaultProxy in front of ZooKeeper', () => {
  let zk: ZooKeeperEnsemble;

  beforeAll(async () => {
    zk = await startZooKeeper();
  });

  afterAll(async () => {
    await zk.close();
  });

  it('carries a half-closed request (a four-letter word) and its reply', async () => {
    const zkProxy = await FaultProxy.start({ targetPort: zk.servers[0]!.clientPort });
    try {
      expect(await fourLetterWord(zkProxy.port, 'ruok')).toBe('imok');
      zkProxy.blackhole();
      await expect(fourLetterWord(zkProxy.port, 'ruok', 300)).rejects.toThrow(/no answer/);
    } finally {
      await zkProxy.close();
    }
  });
});
