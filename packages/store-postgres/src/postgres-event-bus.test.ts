import type { AppendNotification } from '@es/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fakeDrizzle, postgresError } from '../test/support/fake-drizzle.js';
import type {
  ListenerCallbacks,
  ListenerFactory,
  ListenerHandle,
} from './internal/notification-listener.js';
import { PostgresEventBus, type PostgresEventBusOptions } from './postgres-event-bus.js';

/** A scripted LISTEN: each call to the factory takes the next outcome. */
function scriptedListener() {
  const opened: Array<{
    callbacks: ListenerCallbacks;
    closed: boolean;
    ping: () => Promise<void>;
  }> = [];
  const outcomes: Array<'ok' | Error> = [];
  let pingBehaviour: 'ok' | 'hang' = 'ok';
  const factory: ListenerFactory = async (channel, callbacks) => {
    expect(channel).toBe('es_events');
    const outcome = outcomes.shift() ?? 'ok';
    if (outcome instanceof Error) throw outcome;
    const entry = {
      callbacks,
      closed: false,
      ping: () => (pingBehaviour === 'ok' ? Promise.resolve() : new Promise<void>(() => {})),
    };
    opened.push(entry);
    const handle: ListenerHandle = {
      ping: () => entry.ping(),
      close: async () => {
        entry.closed = true;
      },
    };
    return handle;
  };
  return {
    factory,
    opened,
    failNext: (...errors: Error[]) => outcomes.push(...errors),
    hangPings: () => {
      pingBehaviour = 'hang';
    },
    current: () => opened[opened.length - 1],
  };
}

function busWith(
  listener: ReturnType<typeof scriptedListener>,
  options: Partial<PostgresEventBusOptions> = {},
) {
  const { db } = fakeDrizzle(() => []);
  return new PostgresEventBus(
    {
      connection: db,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, exponentialBase: 2, jitter: 0 },
      heartbeatIntervalMs: 0,
      ...options,
    },
    listener.factory,
  );
}

describe('PostgresEventBus (scripted connection, fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts listening on the first subscribe and wakes listeners on every NOTIFY', async () => {
    const listener = scriptedListener();
    const bus = busWith(listener);
    expect(bus.health()).toMatchObject({ state: 'idle', healthy: true, channel: 'es_events' });
    const received: AppendNotification[] = [];
    bus.subscribe((n) => received.push(n));
    await vi.advanceTimersByTimeAsync(0);
    expect(bus.health()).toMatchObject({ state: 'listening', healthy: true, reconnects: 0 });
    listener.current()!.callbacks.onNotify('');
    listener.current()!.callbacks.onNotify('');
    expect(received).toEqual([{ events: [] }, { events: [] }]);
    expect(bus.health()).toMatchObject({
      notificationsReceived: 2,
      lastNotificationAt: new Date(Date.UTC(2025, 0, 1)),
    });
    await bus.close();
  });

  it('reconnects after a lost connection, reports it, and wakes listeners once back', async () => {
    const listener = scriptedListener();
    const errors: unknown[] = [];
    const bus = busWith(listener, { onError: (e) => errors.push(e) });
    const received: AppendNotification[] = [];
    bus.subscribe((n) => received.push(n));
    await bus.start();
    const first = listener.current()!;
    first.callbacks.onClose();
    expect(first.closed).toBe(true);
    expect(bus.health()).toMatchObject({
      state: 'reconnecting',
      healthy: false,
      disconnectedSince: new Date(Date.UTC(2025, 0, 1)),
      nextAttemptAt: new Date(Date.UTC(2025, 0, 1) + 100),
    });
    expect(bus.health().lastError).toMatchObject({ code: 'ES_POSTGRES_EVENT_BUS' });
    expect(errors).toHaveLength(1);
    // A late notification of the dead connection is ignored.
    first.callbacks.onNotify('');
    expect(received).toEqual([]);
    await vi.advanceTimersByTimeAsync(99);
    expect(listener.opened).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(listener.opened).toHaveLength(2);
    expect(bus.health()).toMatchObject({
      state: 'listening',
      healthy: true,
      reconnects: 1,
      disconnectedSince: null,
    });
    expect(received).toEqual([{ events: [] }]);
    await bus.close();
  });

  it('backs off exponentially (capped) while the database is unreachable, retrying until closed', async () => {
    const listener = scriptedListener();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    listener.failNext(refused, refused, refused, refused, refused);
    const bus = busWith(listener);
    let started = false;
    void bus.start().then(() => {
      started = true;
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(bus.health()).toMatchObject({ state: 'reconnecting', reconnectAttempts: 1 });
    expect(bus.health().lastError?.message).toContain('ECONNREFUSED');
    const delays: number[] = [];
    for (let attempt = 2; attempt <= 5; attempt++) {
      const due = bus.health().nextAttemptAt!.getTime() - Date.now();
      delays.push(due);
      await vi.advanceTimersByTimeAsync(due);
      expect(bus.health().reconnectAttempts).toBe(attempt);
    }
    expect(delays).toEqual([200, 400, 800, 1_000]);
    expect(started).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.health()).toMatchObject({ state: 'listening', reconnectAttempts: 0 });
    expect(started).toBe(true);
    await bus.close();
  });

  it('finds a half-open connection with the heartbeat and replaces it', async () => {
    const listener = scriptedListener();
    const bus = busWith(listener, { heartbeatIntervalMs: 1_000, heartbeatTimeoutMs: 500 });
    await bus.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(bus.health().state).toBe('listening');
    listener.hangPings();
    await vi.advanceTimersByTimeAsync(1_000 + 500);
    expect(bus.health().state).toBe('reconnecting');
    expect(bus.health().lastError?.message).toContain('lost');
    expect(listener.opened[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(bus.health()).toMatchObject({ state: 'listening', reconnects: 1 });
    await bus.close();
  });

  it('closes idempotently: timers cancelled, connection released, start refused', async () => {
    const listener = scriptedListener();
    listener.failNext(postgresError('57P03'));
    const bus = busWith(listener);
    const pending = bus.start();
    await vi.advanceTimersByTimeAsync(0);
    await bus.close();
    await bus.close();
    await expect(pending).rejects.toMatchObject({ code: 'ES_POSTGRES_EVENT_BUS' });
    await expect(bus.start()).rejects.toMatchObject({ code: 'ES_POSTGRES_EVENT_BUS' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(listener.opened).toHaveLength(0);
    expect(bus.health()).toMatchObject({ state: 'closed', nextAttemptAt: null });
  });

  it('publishes locally and survives throwing listeners', async () => {
    const listener = scriptedListener();
    const bus = busWith(listener);
    const seen: string[] = [];
    const stop = bus.subscribe(() => {
      throw new Error('listener bug');
    });
    bus.subscribe(() => seen.push('second'));
    bus.publish({ events: [] });
    expect(seen).toEqual(['second']);
    stop();
    bus.publish({ events: [] });
    expect(seen).toEqual(['second', 'second']);
    await bus.close();
  });

  it('rejects bad options with ES_INVALID_CONFIG naming the field', () => {
    const { db } = fakeDrizzle(() => []);
    const bad: Array<[Partial<PostgresEventBusOptions>, string]> = [
      [{ heartbeatIntervalMs: -1 }, 'PostgresEventBus.heartbeatIntervalMs'],
      [{ heartbeatTimeoutMs: 0 }, 'PostgresEventBus.heartbeatTimeoutMs'],
      [{ reconnect: { initialDelayMs: -5 } }, 'RetryConfig.initialDelayMs'],
      [{ schema: 'X' }, 'PostgresEventBus.schema'],
      [{ clock: 5 as never }, 'PostgresEventBus.clock'],
    ];
    const { factory } = scriptedListener();
    for (const [options, field] of bad) {
      expect(() => new PostgresEventBus({ connection: db, ...options }, factory)).toThrow(
        expect.objectContaining({ code: 'ES_INVALID_CONFIG', field }),
      );
    }
    // A drizzle transaction has no connection of its own to LISTEN on.
    expect(() => new PostgresEventBus({ connection: db })).toThrow(
      expect.objectContaining({ field: 'PostgresEventBus.connection' }),
    );
  });
});
