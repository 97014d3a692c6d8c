/**
 * {@link PostgresEventBus}: LISTEN/NOTIFY wake-ups for live subscriptions.
 *
 * @module
 */
import {
  type AppendListener,
  type AppendNotification,
  type EventBus,
  InvalidConfigError,
} from '@es/core';
import { calculateBackoff, RetryConfig, type RetryConfigOptions } from '@es/resilience';
import {
  type PostgresConnection,
  type ResolvedConnection,
  resolveConnection,
} from './connection.js';
import { PostgresEventBusError } from './errors.js';
import { describeDriverError, sqlStateOf } from './internal/driver-error.js';
import {
  type ListenerFactory,
  type ListenerHandle,
  listenerFactory,
} from './internal/notification-listener.js';
import { notifyChannel, validateSchemaName } from './schema-name.js';

/** The state of the listening connection. */
export const EventBusConnectionState = {
  /** Nobody subscribed yet and `start()` was not called. */
  IDLE: 'idle',
  /** Opening the first LISTEN. */
  CONNECTING: 'connecting',
  /** LISTEN is active. */
  LISTENING: 'listening',
  /** The connection was lost (or never opened); retrying with backoff. */
  RECONNECTING: 'reconnecting',
  /** `close()` was called. */
  CLOSED: 'closed',
} as const;

/** One of the {@link EventBusConnectionState} values. */
export type EventBusConnectionState =
  (typeof EventBusConnectionState)[keyof typeof EventBusConnectionState];

/** What {@link PostgresEventBus.health} reports. */
export interface PostgresEventBusHealth {
  readonly state: EventBusConnectionState;
  /** True while listening (or idle/closed on purpose); false while (re)connecting. */
  readonly healthy: boolean;
  /** The NOTIFY channel, `<schema>_events`. */
  readonly channel: string;
  /** Failed attempts since the connection was last lost (0 while listening). */
  readonly reconnectAttempts: number;
  /** Times the connection was re-established after a loss. */
  readonly reconnects: number;
  /** Notifications received so far. */
  readonly notificationsReceived: number;
  /** When the current (or last) LISTEN started. */
  readonly connectedAt: Date | null;
  /** Since when the bus has been without a listening connection (null while listening). */
  readonly disconnectedSince: Date | null;
  readonly lastNotificationAt: Date | null;
  /** The last connection failure: a `PostgresEventBusError` (driver error in `cause`). */
  readonly lastError: PostgresEventBusError | null;
  /** When the next reconnect attempt is due (null unless reconnecting). */
  readonly nextAttemptAt: Date | null;
}

/** Options of {@link PostgresEventBus}. */
export interface PostgresEventBusOptions {
  /**
   * A postgres.js client, a connection string, a PGlite instance or a drizzle database. On a
   * server the bus listens on its own dedicated connection, opened with the same settings.
   */
  readonly connection: PostgresConnection;
  /** The schema whose appends to listen to (channel `<schema>_events`); default `es`. */
  readonly schema?: string;
  /**
   * Backoff between reconnect attempts (`maxRetries` is ignored: the bus retries until closed).
   * Default `{ initialDelayMs: 100, maxDelayMs: 30000, exponentialBase: 2, jitter: 0.2 }`.
   */
  readonly reconnect?: RetryConfig | RetryConfigOptions;
  /**
   * How often to check the listening connection with a round trip, to find a half-open connection
   * that never reports its loss; 0 turns it off. Default 15 000.
   */
  readonly heartbeatIntervalMs?: number;
  /** How long a heartbeat may take before the connection counts as lost. Default 5 000. */
  readonly heartbeatTimeoutMs?: number;
  /** `application_name` of the listening connection. Default `'es-event-bus'`. */
  readonly applicationName?: string;
  /** Milliseconds since the epoch for the health timestamps. Default `Date.now`. */
  readonly clock?: () => number;
  /** Told about every connection failure (also visible in `health().lastError`). */
  readonly onError?: (error: PostgresEventBusError) => void;
}

const DEFAULT_RECONNECT: RetryConfigOptions = {
  maxRetries: 0,
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  exponentialBase: 2,
  jitter: 0.2,
};

/** The wake-up delivered for a NOTIFY or after a reconnect: no events, re-read the store. */
const WAKE_UP: AppendNotification = Object.freeze({ events: Object.freeze([]) });

/**
 * The {@link EventBus} on PostgreSQL LISTEN/NOTIFY. `PostgresEventStore` sends
 * `NOTIFY <schema>_events` in every append's transaction; this bus listens on that channel and
 * wakes its listeners with an empty notification (`{ events: [] }`): a hint to re-read the store,
 * never the source of truth. Subscribers keep polling as a fallback.
 *
 * The LISTEN runs on a dedicated connection that the bus supervises: when it drops (server
 * restart, `pg_terminate_backend`, network) the bus reconnects with capped exponential backoff and
 * jitter, wakes its listeners once listening again (notifications sent meanwhile are lost), and
 * reports all of it in {@link PostgresEventBus.health}. A periodic heartbeat finds half-open
 * connections. `publish` delivers to this process's listeners only (the database delivers across
 * processes).
 *
 * @example
 * ```ts
 * const eventBus = new PostgresEventBus({ connection: sql });
 * const stop = eventBus.subscribe(() => poller.wake());
 * eventBus.health(); // { state: 'listening', healthy: true, … }
 * await eventBus.close();
 * ```
 */
export class PostgresEventBus implements EventBus {
  readonly channel: string;
  private readonly connection: ResolvedConnection;
  private readonly factory: ListenerFactory | undefined;
  private readonly reconnectConfig: RetryConfig;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly clock: () => number;
  private readonly onError: ((error: PostgresEventBusError) => void) | undefined;
  private readonly listeners = new Set<AppendListener>();

  private state: EventBusConnectionState = EventBusConnectionState.IDLE;
  private handle: ListenerHandle | undefined;
  private generation = 0;
  private attempts = 0;
  private reconnects = 0;
  private everConnected = false;
  private notificationsReceived = 0;
  private connectedAt: number | null = null;
  private disconnectedSince: number | null = null;
  private lastNotificationAt: number | null = null;
  private lastError: PostgresEventBusError | null = null;
  private nextAttemptAt: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private connecting: Promise<void> | undefined;
  private firstListen: Promise<void> | undefined;
  private resolveFirstListen: (() => void) | undefined;

  /**
   * @param factory - @internal how to open a LISTEN (tests replace it)
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad connection, schema or option
   */
  constructor(options: PostgresEventBusOptions, factory?: ListenerFactory) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidConfigError(
        'PostgresEventBus',
        'needs an options object with a connection',
        options,
      );
    }
    const schema = validateSchemaName(options.schema, 'PostgresEventBus.schema');
    this.channel = notifyChannel(schema);
    this.connection = resolveConnection(options.connection, 'PostgresEventBus.connection');
    const applicationName = options.applicationName ?? 'es-event-bus';
    if (typeof applicationName !== 'string' || applicationName.length > 63) {
      throw new InvalidConfigError(
        'PostgresEventBus.applicationName',
        'must be a string of at most 63 characters',
        applicationName,
      );
    }
    const source = this.connection.notificationSource;
    if (factory === undefined && source === undefined) {
      throw new InvalidConfigError(
        'PostgresEventBus.connection',
        'must be a database, not a transaction: LISTEN needs a connection of its own',
        'drizzle transaction',
      );
    }
    this.factory =
      factory ?? (source === undefined ? undefined : listenerFactory(source, applicationName));
    this.reconnectConfig =
      options.reconnect instanceof RetryConfig
        ? options.reconnect
        : new RetryConfig({ ...DEFAULT_RECONNECT, ...options.reconnect });
    this.heartbeatIntervalMs = checkMs(
      'PostgresEventBus.heartbeatIntervalMs',
      options.heartbeatIntervalMs,
      15_000,
    );
    this.heartbeatTimeoutMs = checkMs(
      'PostgresEventBus.heartbeatTimeoutMs',
      options.heartbeatTimeoutMs,
      5_000,
    );
    if (this.heartbeatTimeoutMs === 0) {
      throw new InvalidConfigError('PostgresEventBus.heartbeatTimeoutMs', 'must be > 0', 0);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError('PostgresEventBus.clock', 'must be a function', options.clock);
    }
    this.clock = options.clock ?? Date.now;
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new InvalidConfigError(
        'PostgresEventBus.onError',
        'must be a function',
        options.onError,
      );
    }
    this.onError = options.onError;
  }

  /**
   * Delivers `notification` to this process's listeners (the database delivers NOTIFYs across
   * processes). Never throws because a listener threw.
   */
  publish(notification: AppendNotification): void {
    this.deliver(notification);
  }

  /**
   * Adds a listener and starts listening if the bus is idle; returns the function that removes it.
   * Listeners get `{ events: [] }` for every NOTIFY and after every reconnect.
   */
  subscribe(listener: AppendListener): () => void {
    if (typeof listener !== 'function') {
      throw new InvalidConfigError(
        'PostgresEventBus.subscribe.listener',
        'must be a function',
        listener,
      );
    }
    this.listeners.add(listener);
    if (this.state === EventBusConnectionState.IDLE) void this.start().catch(() => {});
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Starts listening; resolves once LISTEN is active. While the database is unreachable it keeps
   * retrying in the background (see `health()`) and the promise waits; it rejects only when the
   * bus is closed first.
   *
   * @throws {PostgresEventBusError} ES_POSTGRES_EVENT_BUS when closed before listening
   */
  start(): Promise<void> {
    if (this.state === EventBusConnectionState.CLOSED) {
      return Promise.reject(
        new PostgresEventBusError('start', undefined, 'PostgresEventBus is closed'),
      );
    }
    if (this.firstListen === undefined) {
      this.firstListen = new Promise<void>((resolve) => {
        this.resolveFirstListen = resolve;
      });
      this.state = EventBusConnectionState.CONNECTING;
      this.disconnectedSince = this.clock();
      void this.connect();
    }
    return this.firstListen.then(() => {
      if (this.state === EventBusConnectionState.CLOSED && !this.everConnected) {
        throw new PostgresEventBusError(
          'start',
          undefined,
          'PostgresEventBus closed before listening',
        );
      }
    });
  }

  /** A snapshot of the listening connection's health. */
  health(): PostgresEventBusHealth {
    const state = this.state;
    return {
      state,
      healthy:
        state === EventBusConnectionState.LISTENING ||
        state === EventBusConnectionState.IDLE ||
        state === EventBusConnectionState.CLOSED,
      channel: this.channel,
      reconnectAttempts: this.attempts,
      reconnects: this.reconnects,
      notificationsReceived: this.notificationsReceived,
      connectedAt: dateOrNull(this.connectedAt),
      disconnectedSince: dateOrNull(this.disconnectedSince),
      lastNotificationAt: dateOrNull(this.lastNotificationAt),
      lastError: this.lastError,
      nextAttemptAt: dateOrNull(this.nextAttemptAt),
    };
  }

  /** Stops listening, cancels timers, and ends the client when the bus created it. Idempotent. */
  async close(): Promise<void> {
    if (this.state === EventBusConnectionState.CLOSED) return;
    this.state = EventBusConnectionState.CLOSED;
    this.generation++;
    this.clearTimers();
    this.nextAttemptAt = null;
    this.resolveFirstListen?.();
    const handle = this.handle;
    this.handle = undefined;
    await this.connecting?.catch(() => {});
    await handle?.close().catch(() => {});
    await this.connection.close();
  }

  private connect(): Promise<void> {
    const generation = ++this.generation;
    const attempt = this.openListener(generation);
    this.connecting = attempt;
    return attempt;
  }

  private async openListener(generation: number): Promise<void> {
    let handle: ListenerHandle;
    try {
      handle = await (this.factory as ListenerFactory)(this.channel, {
        onNotify: () => {
          if (generation !== this.generation) return;
          this.notificationsReceived++;
          this.lastNotificationAt = this.clock();
          this.deliver(WAKE_UP);
        },
        onClose: () => {
          if (generation !== this.generation) return;
          this.lost(undefined, 'connection closed');
        },
      });
    } catch (error) {
      if (generation !== this.generation) return;
      this.fail(error, 'listen');
      return;
    }
    if (generation !== this.generation || this.state === EventBusConnectionState.CLOSED) {
      await handle.close().catch(() => {});
      return;
    }
    this.handle = handle;
    const wasConnected = this.everConnected;
    this.everConnected = true;
    this.state = EventBusConnectionState.LISTENING;
    this.attempts = 0;
    this.nextAttemptAt = null;
    this.connectedAt = this.clock();
    this.disconnectedSince = null;
    this.resolveFirstListen?.();
    this.resolveFirstListen = undefined;
    this.scheduleHeartbeat(generation);
    if (wasConnected) {
      this.reconnects++;
      // Notifications sent while the connection was down are lost: wake everyone to re-read.
      this.deliver(WAKE_UP);
    }
  }

  /** The listening connection is gone: drop it and reconnect. */
  private lost(error: unknown, operation: string): void {
    if (this.state === EventBusConnectionState.CLOSED) return;
    const handle = this.handle;
    this.handle = undefined;
    this.generation++;
    this.clearTimers();
    void handle?.close().catch(() => {});
    this.state = EventBusConnectionState.RECONNECTING;
    this.disconnectedSince = this.clock();
    this.record(error, operation);
    this.scheduleReconnect();
  }

  /** An attempt to listen failed: retry later. */
  private fail(error: unknown, operation: string): void {
    if (this.state === EventBusConnectionState.CLOSED) return;
    this.attempts++;
    this.state = EventBusConnectionState.RECONNECTING;
    this.record(error, operation);
    this.scheduleReconnect();
  }

  private record(error: unknown, operation: string): void {
    const wrapped = new PostgresEventBusError(
      operation,
      sqlStateOf(error),
      `PostgresEventBus: LISTEN on ${this.channel} ${operation === 'listen' ? 'could not be opened' : 'was lost'}: ${
        error === undefined ? operation : describeDriverError(error)
      }`,
      error === undefined ? undefined : { cause: error },
    );
    this.lastError = wrapped;
    try {
      this.onError?.(wrapped);
    } catch {
      // A failing error callback must not break reconnection.
    }
  }

  private scheduleReconnect(): void {
    const delay = calculateBackoff(Math.min(this.attempts, 64), this.reconnectConfig);
    this.nextAttemptAt = this.clock() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === EventBusConnectionState.CLOSED) return;
      void this.connect();
    }, delay);
    this.retryTimer.unref?.();
  }

  private scheduleHeartbeat(generation: number): void {
    if (this.heartbeatIntervalMs === 0) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      void this.heartbeat(generation);
    }, this.heartbeatIntervalMs);
    this.heartbeatTimer.unref?.();
  }

  private async heartbeat(generation: number): Promise<void> {
    const handle = this.handle;
    if (handle === undefined || generation !== this.generation) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.heartbeatTimeoutMs} ms`)),
        this.heartbeatTimeoutMs,
      );
      timer.unref?.();
    });
    try {
      await Promise.race([handle.ping(), timeout]);
    } catch (error) {
      if (generation === this.generation) this.lost(error, 'heartbeat');
      return;
    } finally {
      clearTimeout(timer);
    }
    if (generation === this.generation) this.scheduleHeartbeat(generation);
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.retryTimer = undefined;
    this.heartbeatTimer = undefined;
  }

  private deliver(notification: AppendNotification): void {
    for (const listener of this.listeners) {
      try {
        listener(notification);
      } catch {
        // The port: never throw because a listener threw.
      }
    }
  }
}

function checkMs(field: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 2_147_483_647) {
    throw new InvalidConfigError(
      field,
      'must be a number of milliseconds from 0 to 2147483647',
      value,
    );
  }
  return value;
}

function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
