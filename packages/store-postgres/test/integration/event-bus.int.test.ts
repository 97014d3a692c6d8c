/**
 * LISTEN/NOTIFY wake-ups on the server and on PGlite; losing the listening connection
 * (`pg_terminate_backend`) and an unreachable server.
 */
import { randomBytes } from 'node:crypto';
import { ExpectedVersion } from '@es/core';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEventBus } from '../../src/postgres-event-bus.js';
import { PostgresEventStore } from '../../src/postgres-event-store.js';
import { created, testRegistry } from '../support/events.js';
import { connect, freshPGlite, freshSchema, newAggregateId } from '../support/test-database.js';

async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('PostgresEventBus on the PostgreSQL server', () => {
  let sql: Sql;
  let schema: string;
  let store: PostgresEventStore;

  beforeAll(async () => {
    sql = connect();
    schema = await freshSchema(sql, 'bus');
    store = new PostgresEventStore({ connection: sql, schema, registry: testRegistry });
  });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
  });

  it('wakes listeners when an append commits, and only then', async () => {
    const bus = new PostgresEventBus({ connection: sql, schema });
    let wakeUps = 0;
    bus.subscribe(() => {
      wakeUps++;
    });
    await bus.start();
    const id = newAggregateId();
    await sql.begin(async (tx) => {
      const inTx = new PostgresEventStore({ connection: tx, schema, registry: testRegistry });
      await inTx.appendEvents(id, 'Task', [created(id)], ExpectedVersion.NO_STREAM);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(wakeUps).toBe(0);
    });
    await until(() => wakeUps === 1);
    // A quiet store (notify: false) does not wake anyone.
    const quiet = new PostgresEventStore({
      connection: sql,
      schema,
      registry: testRegistry,
      notify: false,
    });
    const other = newAggregateId();
    await quiet.appendEvents(other, 'Task', [created(other)], ExpectedVersion.NO_STREAM);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(wakeUps).toBe(1);
    expect(bus.health()).toMatchObject({
      state: 'listening',
      healthy: true,
      notificationsReceived: 1,
    });
    await bus.close();
    expect(bus.health().state).toBe('closed');
  });

  it('reconnects when its connection is terminated, reports it, and keeps waking listeners', async () => {
    const applicationName = `es-bus-test-${randomBytes(4).toString('hex')}`;
    const errors: unknown[] = [];
    const bus = new PostgresEventBus({
      connection: sql,
      schema,
      applicationName,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      onError: (error) => errors.push(error),
    });
    let wakeUps = 0;
    bus.subscribe(() => {
      wakeUps++;
    });
    await bus.start();
    const killed = await sql.unsafe(
      'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(killed.map((r) => r.killed)).toEqual([true]);
    await until(() => bus.health().reconnects === 1 && bus.health().state === 'listening');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ code: 'ES_POSTGRES_EVENT_BUS' });
    // The reconnect itself wakes listeners (notifications may have been missed meanwhile).
    expect(wakeUps).toBeGreaterThanOrEqual(1);
    const before = wakeUps;
    const id = newAggregateId();
    await store.appendEvents(id, 'Task', [created(id)], ExpectedVersion.NO_STREAM);
    await until(() => wakeUps > before);
    const listening = await sql.unsafe(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(listening[0]?.n).toBe(1);
    await bus.close();
    await until(async () => {
      const rows = await sql.unsafe(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      return rows[0]?.n === 0;
    });
  });

  it('keeps retrying with backoff while the server is unreachable, and reports why', async () => {
    const unreachable = postgres('postgres://postgres@127.0.0.1:1/none', { connect_timeout: 2 });
    const bus = new PostgresEventBus({
      connection: unreachable,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const started = bus.start();
    await until(() => bus.health().reconnectAttempts >= 3);
    const health = bus.health();
    expect(health).toMatchObject({ state: 'reconnecting', healthy: false });
    expect(health.lastError?.message).toContain('ECONNREFUSED');
    expect(health.disconnectedSince).toBeInstanceOf(Date);
    await bus.close();
    await expect(started).rejects.toMatchObject({ code: 'ES_POSTGRES_EVENT_BUS' });
    await unreachable.end();
  });
});

describe('PostgresEventBus on PGlite', () => {
  it('wakes listeners on append in the same process', async () => {
    const pglite = await freshPGlite();
    try {
      const store = new PostgresEventStore({ connection: pglite, registry: testRegistry });
      const bus = new PostgresEventBus({ connection: pglite });
      let wakeUps = 0;
      bus.subscribe(() => {
        wakeUps++;
      });
      await bus.start();
      const id = newAggregateId();
      await store.appendEvents(id, 'Task', [created(id)], ExpectedVersion.NO_STREAM);
      await until(() => wakeUps === 1);
      expect(bus.health()).toMatchObject({ state: 'listening', notificationsReceived: 1 });
      await bus.close();
    } finally {
      await pglite.close();
    }
  });
});
