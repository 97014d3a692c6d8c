import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';
import { assertLoopbackUrl, isLoopback } from './loopback.js';

/** A local echo server that also records what it received. */
async function echoServer(): Promise<{
  port: number;
  received: () => Buffer;
  sockets: net.Socket[];
  close: () => Promise<void>;
}> {
  const chunks: Buffer[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      socket.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Client {
  socket: net.Socket;
  data: () => Buffer;
  error: () => (Error & { code?: string }) | undefined;
  closed: () => boolean;
}

async function connect(port: number): Promise<Client> {
  const chunks: Buffer[] = [];
  let error: (Error & { code?: string }) | undefined;
  let closed = false;
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('error', (e) => {
    error = e;
  });
  socket.on('close', () => {
    closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, data: () => Buffer.concat(chunks), error: () => error, closed: () => closed };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FaultProxy', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup() {
    const echo = await echoServer();
    const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: echo.port });
    cleanups.push(echo.close, () => proxy.close());
    return { echo, proxy };
  }

  it('pass: forwards both ways and counts bytes', async () => {
    const { proxy } = await setup();
    const client = await connect(proxy.port);
    client.socket.write('hello');
    await until(() => client.data().toString() === 'hello');
    expect(proxy.stats).toMatchObject({ accepted: 1, bytesUp: 5, bytesDown: 5, bytesDropped: 0 });
    expect(proxy.connections).toBe(1);
    client.socket.end();
    await until(() => proxy.connections === 0);
  });

  it('blackhole: swallows both directions and keeps the connection open (half-open)', async () => {
    const { echo, proxy } = await setup();
    const client = await connect(proxy.port);
    client.socket.write('a');
    await until(() => client.data().length === 1);
    proxy.setMode({ kind: 'blackhole' });
    client.socket.write('lost');
    await sleep(100);
    expect(echo.received().toString()).toBe('a');
    expect(client.data().toString()).toBe('a');
    expect(client.closed()).toBe(false);
    expect(client.error()).toBeUndefined();
    // The server side going away is not passed on either.
    for (const s of echo.sockets) s.end();
    await sleep(50);
    expect(client.closed()).toBe(false);
    expect(proxy.stats.bytesDropped).toBe(4);
  });

  it('blackholeConnections: existing connections go silent for good, new ones pass', async () => {
    const { echo, proxy } = await setup();
    const old = await connect(proxy.port);
    expect(proxy.blackholeConnections()).toBe(1);
    old.socket.write('x');
    const fresh = await connect(proxy.port);
    fresh.socket.write('y');
    await until(() => fresh.data().toString() === 'y');
    await sleep(30);
    expect(old.data().length).toBe(0);
    expect(old.closed()).toBe(false);
    expect(echo.received().toString()).toBe('y');
    fresh.socket.destroy();
    old.socket.destroy();
  });

  it('reset: resets open connections (ECONNRESET) and every new one', async () => {
    const { proxy } = await setup();
    const client = await connect(proxy.port);
    proxy.setMode({ kind: 'reset' });
    await until(() => client.closed());
    expect(client.error()?.code).toBe('ECONNRESET');
    const late = net.connect({ host: '127.0.0.1', port: proxy.port });
    const lateError = await new Promise<Error & { code?: string }>((resolve) =>
      late.once('error', resolve),
    );
    expect(lateError.code).toBe('ECONNRESET');
    proxy.setMode({ kind: 'pass' });
    const again = await connect(proxy.port);
    again.socket.write('ok');
    await until(() => again.data().toString() === 'ok');
    again.socket.destroy();
  });

  it('resetConnections: a one-shot reset, the mode stays', async () => {
    const { proxy } = await setup();
    const client = await connect(proxy.port);
    expect(proxy.resetConnections()).toBe(1);
    await until(() => client.closed());
    expect(client.error()?.code).toBe('ECONNRESET');
    const next = await connect(proxy.port);
    next.socket.write('x');
    await until(() => next.data().toString() === 'x');
    next.socket.destroy();
  });

  it('latency: delays each direction and keeps the order', async () => {
    const { proxy } = await setup();
    proxy.setMode({ kind: 'latency', ms: 40 });
    const client = await connect(proxy.port);
    const started = Date.now();
    for (const part of ['1', '2', '3', '4']) client.socket.write(part);
    await until(() => client.data().length === 4);
    expect(client.data().toString()).toBe('1234');
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    client.socket.destroy();
  });

  it('latency with resetProbability: resets connections at that rate', async () => {
    const { proxy } = await setup();
    let draws = 0;
    const always = await FaultProxy.start({
      targetHost: '127.0.0.1',
      targetPort: proxy.port,
      random: () => (draws++ === 0 ? 0 : 1),
    });
    cleanups.push(() => always.close());
    always.setMode({ kind: 'latency', ms: 0, resetProbability: 0.5 });
    const client = await connect(always.port);
    client.socket.write('x'); // first draw 0 < 0.5: reset
    await until(() => client.closed());
    expect(client.error()?.code).toBe('ECONNRESET');
    const next = await connect(always.port);
    next.socket.write('y'); // draw 1: passes (through the inner proxy to the echo server)
    await until(() => next.data().toString() === 'y');
    next.socket.destroy();
    expect(() => always.setMode({ kind: 'latency', ms: 0, resetProbability: 2 })).toThrow(
      RangeError,
    );
  });

  it('switching from latency to pass never reorders bytes (new bytes queue behind delayed ones)', async () => {
    const { echo, proxy } = await setup();
    const client = await connect(proxy.port);
    proxy.setMode({ kind: 'latency', ms: 60, jitterMs: 20 });
    client.socket.write('abc');
    await sleep(5);
    proxy.setMode({ kind: 'pass' });
    client.socket.write('def');
    await until(() => client.data().length === 6);
    expect(echo.received().toString()).toBe('abcdef');
    expect(client.data().toString()).toBe('abcdef');
    client.socket.destroy();
  });

  it('close-after-bytes: lets N bytes through, then resets mid-stream', async () => {
    const { echo, proxy } = await setup();
    proxy.setMode({ kind: 'close-after-bytes', bytes: 4, direction: 'upstream' });
    const client = await connect(proxy.port);
    client.socket.write('0123456789');
    await until(() => client.closed());
    await until(() => echo.received().length === 4);
    expect(echo.received().toString()).toBe('0123');
    expect(client.error()?.code).toBe('ECONNRESET');
  });

  it('drop-responses: the server gets the request, the client never gets the answer', async () => {
    const { echo, proxy } = await setup();
    const client = await connect(proxy.port);
    proxy.setMode({ kind: 'drop-responses' });
    client.socket.write('COMMIT');
    await until(() => echo.received().toString() === 'COMMIT');
    await sleep(50);
    expect(client.data().length).toBe(0);
    expect(client.closed()).toBe(false);
    expect(proxy.stats.bytesDropped).toBe(6);
  });

  it('rewrites connection strings and refuses non-loopback targets and bad modes', async () => {
    const { proxy } = await setup();
    expect(proxy.rewrite('postgres://postgres@127.0.0.1:5432/db?x=1')).toBe(
      `postgres://postgres@127.0.0.1:${proxy.port}/db?x=1`,
    );
    await expect(FaultProxy.start({ targetHost: '10.1.2.3', targetPort: 5432 })).rejects.toThrow(
      /only loopback/,
    );
    expect(() => proxy.setMode({ kind: 'latency', ms: -1 })).toThrow(RangeError);
    expect(() => proxy.setMode({ kind: 'close-after-bytes', bytes: 1.5 })).toThrow(RangeError);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('192.168.0.1')).toBe(false);
    expect(() => assertLoopbackUrl('postgres://u@db.example.com/x', 'test')).toThrow(
      /only loopback/,
    );
  });
});
