/**
 * An in-process TCP proxy that injects network faults between a client and PostgreSQL (the model
 * is pg-boss's `test/halfOpenProxy.ts`, extended with the toxiproxy vocabulary).
 *
 * @module
 */
import net from 'node:net';
import { assertLoopback } from './loopback.js';

/** What the proxy does with the bytes of every connection, current and new. */
export type ProxyMode =
  /** Forward everything. */
  | { readonly kind: 'pass' }
  /**
   * Half-open: both directions are swallowed silently and the sockets stay open (no FIN, no RST),
   * as when a peer vanishes or a NAT forgets the connection. Swallowed bytes are gone for good.
   */
  | { readonly kind: 'blackhole' }
  /** Current connections are reset (RST) and new ones reset as soon as they are accepted. */
  | { readonly kind: 'reset' }
  /**
   * Every chunk is delayed by `ms` (+ up to `jitterMs`), order kept per direction; with
   * `resetProbability`, each chunk resets its connection with that probability instead (the
   * toxiproxy `latency` + `reset_peer` toxics).
   */
  | {
      readonly kind: 'latency';
      readonly ms: number;
      readonly jitterMs?: number;
      readonly resetProbability?: number;
    }
  /**
   * After `bytes` more bytes in `direction` (per connection, counted from the moment the mode is
   * set or the connection opened), the connection is reset mid-stream.
   */
  | {
      readonly kind: 'close-after-bytes';
      readonly bytes: number;
      readonly direction?: 'upstream' | 'downstream' | 'both';
    }
  /**
   * Client → server bytes pass, server → client bytes are swallowed: the request reaches the
   * server (a COMMIT is executed) but the answer never comes — the "commit outcome unknown" case.
   */
  | { readonly kind: 'drop-responses' };

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** The server to forward to; must be a loopback address. */
  readonly targetHost: string;
  readonly targetPort: number;
  /** Where to listen; default `127.0.0.1`, port chosen by the OS. */
  readonly listenHost?: string;
  /** The initial mode; default pass. */
  readonly mode?: ProxyMode;
  /** Random source for latency jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** Counters of a proxy. */
export interface FaultProxyStats {
  /** Connections accepted. */
  accepted: number;
  /** Connections reset by the proxy. */
  resets: number;
  /** Bytes forwarded client → server. */
  bytesUp: number;
  /** Bytes forwarded server → client. */
  bytesDown: number;
  /** Bytes swallowed (blackhole, drop-responses). */
  bytesDropped: number;
}

interface Link {
  readonly id: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  /** Bytes left before a close-after-bytes reset, per direction. */
  budgetUp: number;
  budgetDown: number;
  /** When the last delayed chunk of each direction is due (keeps order under latency). */
  dueUp: number;
  dueDown: number;
  /**
   * Chunks waiting for their due time, per direction, in arrival order. While one waits, later
   * chunks queue behind it whatever the mode, so bytes are never reordered (a switch from latency
   * to pass must not let new bytes overtake delayed ones).
   */
  queueUp: { due: number; chunk: Buffer }[];
  queueDown: { due: number; chunk: Buffer }[];
  closed: boolean;
  /** Swallowed for good whatever the mode (see {@link FaultProxy.blackholeConnections}). */
  blackholed: boolean;
}

/**
 * A TCP proxy with switchable fault modes, for one target on this machine.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: 5432 });
 * const sql = postgres(proxy.rewrite(databaseUrl));
 * proxy.setMode({ kind: 'blackhole' }); // the connection goes silent, half-open
 * proxy.setMode({ kind: 'pass' });
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly stats: FaultProxyStats = {
    accepted: 0,
    resets: 0,
    bytesUp: 0,
    bytesDown: 0,
    bytesDropped: 0,
  };
  readonly #server: net.Server;
  readonly #links = new Set<Link>();
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #random: () => number;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #mode: ProxyMode;
  #nextId = 1;
  #port = 0;
  #listenHost: string;

  private constructor(options: FaultProxyOptions) {
    assertLoopback(options.targetHost, 'FaultProxy target');
    this.#listenHost = options.listenHost ?? '127.0.0.1';
    assertLoopback(this.#listenHost, 'FaultProxy listen address');
    this.#targetHost = options.targetHost;
    this.#targetPort = options.targetPort;
    this.#random = options.random ?? Math.random;
    this.#mode = checkMode(options.mode ?? { kind: 'pass' });
    this.#server = net.createServer((client) => this.#accept(client));
  }

  /** Starts a proxy listening on a free port. */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, proxy.#listenHost, () => {
        proxy.#server.off('error', reject);
        resolve();
      });
    });
    proxy.#port = (proxy.#server.address() as net.AddressInfo).port;
    return proxy;
  }

  /** The port the proxy listens on. */
  get port(): number {
    return this.#port;
  }

  /** The host the proxy listens on. */
  get host(): string {
    return this.#listenHost;
  }

  /** The current mode. */
  get mode(): ProxyMode {
    return this.#mode;
  }

  /** Open connections. */
  get connections(): number {
    return this.#links.size;
  }

  /** `url` with its host and port replaced by the proxy's (for PostgreSQL connection strings). */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = this.#listenHost;
    parsed.port = String(this.#port);
    return parsed.toString();
  }

  /** Switches the mode for every current and future connection. */
  setMode(mode: ProxyMode): void {
    this.#mode = checkMode(mode);
    if (mode.kind === 'reset') {
      this.resetConnections();
    } else if (mode.kind === 'close-after-bytes') {
      for (const link of this.#links) {
        link.budgetUp = mode.bytes;
        link.budgetDown = mode.bytes;
      }
    }
  }

  /** Resets (RST) every open connection once; the mode stays as it is. */
  resetConnections(): number {
    let n = 0;
    for (const link of [...this.#links]) {
      this.#reset(link);
      n++;
    }
    return n;
  }

  /**
   * Turns every open connection half-open for good (both directions swallowed, nothing closed),
   * while new connections follow the mode: a dead peer that the client must detect by itself.
   */
  blackholeConnections(): number {
    for (const link of this.#links) link.blackholed = true;
    return this.#links.size;
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.resetConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.stats.accepted++;
    client.setNoDelay(true);
    if (this.#mode.kind === 'reset') {
      this.stats.resets++;
      client.on('error', () => {});
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: this.#targetHost, port: this.#targetPort });
    upstream.setNoDelay(true);
    const mode = this.#mode;
    const budget = mode.kind === 'close-after-bytes' ? mode.bytes : Number.POSITIVE_INFINITY;
    const link: Link = {
      id: this.#nextId++,
      client,
      upstream,
      budgetUp: budget,
      budgetDown: budget,
      dueUp: 0,
      dueDown: 0,
      queueUp: [],
      queueDown: [],
      closed: false,
      blackholed: false,
    };
    this.#links.add(link);
    client.on('data', (chunk: Buffer) => this.#forward(link, 'up', chunk));
    upstream.on('data', (chunk: Buffer) => this.#forward(link, 'down', chunk));
    const onEnd = (from: 'client' | 'upstream') => () => {
      // A half-open (blackholed) link does not pass a FIN on: the other side must notice alone.
      if (this.#mode.kind === 'blackhole' || link.blackholed) return;
      const other = from === 'client' ? upstream : client;
      other.end();
    };
    client.on('end', onEnd('client'));
    upstream.on('end', onEnd('upstream'));
    client.on('close', () => this.#drop(link));
    upstream.on('close', () => {
      // Half-open: the server side is gone but the client is told nothing.
      if (this.#mode.kind !== 'blackhole' && !link.blackholed) this.#drop(link);
    });
    // A failure of one side resets the other (as a broken network path would).
    client.on('error', () => this.#reset(link));
    upstream.on('error', () => this.#reset(link));
  }

  #forward(link: Link, direction: 'up' | 'down', chunk: Buffer): void {
    if (link.closed) return;
    const mode = link.blackholed ? BLACKHOLE : this.#mode;
    const target = direction === 'up' ? link.upstream : link.client;
    switch (mode.kind) {
      case 'pass':
        this.#send(link, direction, chunk, 0);
        return;
      case 'blackhole':
        this.stats.bytesDropped += chunk.length;
        return;
      case 'drop-responses':
        if (direction === 'up') this.#send(link, direction, chunk, 0);
        else this.stats.bytesDropped += chunk.length;
        return;
      case 'reset':
        this.#reset(link);
        return;
      case 'latency': {
        if (mode.resetProbability !== undefined && this.#random() < mode.resetProbability) {
          this.#reset(link);
          return;
        }
        this.#send(
          link,
          direction,
          chunk,
          mode.ms + (mode.jitterMs ? this.#random() * mode.jitterMs : 0),
        );
        return;
      }
      case 'close-after-bytes': {
        const counted = mode.direction ?? 'both';
        if (counted !== 'both' && counted !== (direction === 'up' ? 'upstream' : 'downstream')) {
          this.#send(link, direction, chunk, 0);
          return;
        }
        const budget = direction === 'up' ? link.budgetUp : link.budgetDown;
        if (chunk.length <= budget) {
          if (direction === 'up') link.budgetUp -= chunk.length;
          else link.budgetDown -= chunk.length;
          this.#send(link, direction, chunk, 0);
          return;
        }
        if (budget > 0) this.#write(target, direction, chunk.subarray(0, budget));
        this.stats.bytesDropped += chunk.length - budget;
        // Let the partial write leave before the reset.
        target.write(Buffer.alloc(0), () => this.#reset(link));
        link.closed = true;
        return;
      }
    }
  }

  /** Writes `chunk` after `delayMs`, never before a chunk of the same direction queued earlier. */
  #send(link: Link, direction: 'up' | 'down', chunk: Buffer, delayMs: number): void {
    const queue = direction === 'up' ? link.queueUp : link.queueDown;
    const target = direction === 'up' ? link.upstream : link.client;
    if (delayMs <= 0 && queue.length === 0) {
      this.#write(target, direction, chunk);
      return;
    }
    const now = Date.now();
    const previous = direction === 'up' ? link.dueUp : link.dueDown;
    const due = Math.max(previous, now + Math.max(0, delayMs));
    if (direction === 'up') link.dueUp = due;
    else link.dueDown = due;
    queue.push({ due, chunk });
    if (queue.length === 1) this.#schedule(link, direction);
  }

  /** Arms one timer for the head of a direction's queue; it drains everything that is due, in order. */
  #schedule(link: Link, direction: 'up' | 'down'): void {
    const queue = direction === 'up' ? link.queueUp : link.queueDown;
    const head = queue[0];
    if (head === undefined) return;
    const timer = setTimeout(
      () => {
        this.#timers.delete(timer);
        const target = direction === 'up' ? link.upstream : link.client;
        const now = Date.now();
        while (queue.length > 0 && (queue[0] as { due: number }).due <= now) {
          const next = queue.shift() as { due: number; chunk: Buffer };
          if (!link.closed) this.#write(target, direction, next.chunk);
        }
        if (queue.length > 0 && !link.closed) this.#schedule(link, direction);
        else if (link.closed) queue.length = 0;
      },
      Math.max(0, head.due - Date.now()),
    );
    this.#timers.add(timer);
  }

  #write(target: net.Socket, direction: 'up' | 'down', chunk: Buffer): void {
    if (target.destroyed) return;
    if (direction === 'up') this.stats.bytesUp += chunk.length;
    else this.stats.bytesDown += chunk.length;
    target.write(chunk);
  }

  #reset(link: Link): void {
    const wasOpen = this.#links.has(link);
    link.closed = true;
    this.#links.delete(link);
    if (wasOpen) this.stats.resets++;
    for (const socket of [link.client, link.upstream]) {
      socket.on('error', () => {});
      if (!socket.destroyed) {
        if (socket.connecting) socket.destroy();
        else socket.resetAndDestroy();
      }
    }
  }

  #drop(link: Link): void {
    if (!this.#links.has(link)) return;
    this.#links.delete(link);
    link.closed = true;
    if (!link.client.destroyed) link.client.destroy();
    if (!link.upstream.destroyed) link.upstream.destroy();
  }
}

const BLACKHOLE: ProxyMode = Object.freeze({ kind: 'blackhole' });

function checkMode(mode: ProxyMode): ProxyMode {
  switch (mode?.kind) {
    case 'pass':
    case 'blackhole':
    case 'reset':
    case 'drop-responses':
      return mode;
    case 'latency':
      if (!(mode.ms >= 0) || (mode.jitterMs !== undefined && !(mode.jitterMs >= 0))) {
        throw new RangeError('FaultProxy latency: ms and jitterMs must be >= 0');
      }
      if (
        mode.resetProbability !== undefined &&
        !(mode.resetProbability >= 0 && mode.resetProbability <= 1)
      ) {
        throw new RangeError('FaultProxy latency: resetProbability must be within [0, 1]');
      }
      return mode;
    case 'close-after-bytes':
      if (!Number.isInteger(mode.bytes) || mode.bytes < 0) {
        throw new RangeError('FaultProxy close-after-bytes: bytes must be an integer >= 0');
      }
      return mode;
    default:
      throw new RangeError(`FaultProxy: unknown mode ${JSON.stringify(mode)}`);
  }
}
