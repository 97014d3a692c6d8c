import {
  EventVersionError,
  ExpectedVersion,
  OptimisticLockError,
  SerializationError,
  type StoredEvent,
} from '@es/core';
import { describe, expect, it, vi } from 'vitest';
import { created, testRegistry } from '../test/support/events.js';
import { drizzleQueryError, fakeDrizzle, postgresError } from '../test/support/fake-drizzle.js';
import { PostgresEventStoreError } from './errors.js';
import { PostgresEventStore } from './postgres-event-store.js';

/** An append result row: verdict, head, inserted, last position, store head, notified. */
function appendRow(
  verdict: string,
  head: number,
  inserted = 0,
  last: string | null = null,
  storeHead: string | null = null,
): unknown[] {
  return [verdict, head, inserted, last, storeHead, 1];
}

/** A row of the stored-ids lookup: ids (JSON), stream head, store head. */
function storedRow(ids: string[], head: number, storeHead: number): unknown[] {
  return [JSON.stringify(ids), head, String(storeHead)];
}

function storeOn(
  handler: Parameters<typeof fakeDrizzle>[0],
  options: {
    notify?: boolean;
    onNotifyError?: (error: unknown) => void;
    readBatchSize?: number;
    horizonWaitMs?: number;
  } = {},
) {
  const { db, calls } = fakeDrizzle(handler);
  const store = new PostgresEventStore({ connection: db, registry: testRegistry, ...options });
  return { store, calls };
}

async function collect(iterable: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const stored of iterable) out.push(stored);
  return out;
}

describe('PostgresEventStore.appendEvents (statement and result mapping)', () => {
  it('sends one statement per batch: the batch as JSON, the stream and the expected version', async () => {
    const { store, calls } = storeOn(() => [appendRow('ok', 0, 2, '42')]);
    const a = created('t-1', 'one', 1);
    const b = created('t-1', 'two', 2);
    const result = await store.appendEvents('t-1', 'Task', [a, b, a], ExpectedVersion.NO_STREAM);
    expect(result).toEqual({ success: true, newVersion: 2, globalPosition: 42 });
    expect(calls.filter((c) => !c.text.includes('pg_notify'))).toHaveLength(1);
    const [batch, aggregateId, aggregateType, expected] = calls[0]!.params;
    expect([aggregateId, aggregateType, expected]).toEqual(['t-1', 'Task', 0]);
    const records = JSON.parse(batch as string) as Array<Record<string, unknown>>;
    // The repeated event is sent once.
    expect(records.map((r) => r.id)).toEqual([a.eventId, b.eventId]);
    expect(records[0]).toMatchObject({
      o: 0,
      t: 'TaskCreated',
      ev: 1,
      v: 1,
      at: a.occurredAt.toISOString(),
      tn: null,
    });
    expect(records[0]!.d).toEqual(testRegistry.serialize(a));
    // Autocommit: the wake-up follows the commit as its own statement, not inside the append.
    expect(calls[0]!.text).not.toContain('pg_notify');
    await store.close();
    expect(calls.map((c) => c.text)).toEqual([calls[0]!.text, "SELECT pg_notify('es_events', '')"]);
  });

  it('coalesces the wake-ups of concurrent appends: one in flight, one more after it', async () => {
    const { store, calls } = storeOn(() => [appendRow('ok', 0, 1, '1')]);
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        store.appendEvents(`t-${i}`, 'Task', [created(`t-${i}`)], ExpectedVersion.NO_STREAM),
      ),
    );
    await store.close();
    const notifies = calls.filter((c) => c.text.includes('pg_notify'));
    expect(calls).toHaveLength(8 + notifies.length);
    expect(notifies.length).toBeGreaterThanOrEqual(1);
    expect(notifies.length).toBeLessThanOrEqual(2);
  });

  it('sends no wake-up when nothing was stored (a retry of stored events, a conflict)', async () => {
    const event = created('t-1');
    const { store, calls } = storeOn((_t, _p, index) =>
      index === 0 ? [appendRow('conflict', 3)] : [storedRow([event.eventId], 3, 17)],
    );
    await store.appendEvents('t-1', 'Task', [event], 0);
    await store.close();
    expect(calls.some((c) => c.text.includes('pg_notify'))).toBe(false);
  });

  it('hands a failed wake-up to onNotifyError and still resolves the append', async () => {
    const boom = new Error('notify failed');
    const errors: unknown[] = [];
    const { store } = storeOn(
      (text) => {
        if (text.includes('pg_notify')) throw boom;
        return [appendRow('ok', 0, 1, '1')];
      },
      { onNotifyError: (e) => errors.push(e) },
    );
    await expect(
      store.appendEvents('t-1', 'Task', [created('t-1')], ExpectedVersion.NO_STREAM),
    ).resolves.toMatchObject({ success: true });
    await store.close();
    expect(errors).toHaveLength(1);
  });

  it('rejects an onNotifyError that is not a function', () => {
    expect(() => storeOn(() => [], { onNotifyError: 'log' as never })).toThrow(
      /PostgresEventStore\.onNotifyError/,
    );
  });

  it('leaves NOTIFY out when notify is false', async () => {
    const { store, calls } = storeOn(() => [appendRow('ok', 0, 1, '1')], { notify: false });
    await store.appendEvents('t-1', 'Task', [created('t-1')], ExpectedVersion.NO_STREAM);
    await store.close();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.text).not.toContain('pg_notify');
  });

  it('skips a batch whose events are all stored, whatever the expected version (a retry)', async () => {
    const event = created('t-1');
    const { store, calls } = storeOn((_t, _p, index) =>
      index === 0 ? [appendRow('conflict', 3)] : [storedRow([event.eventId], 3, 17)],
    );
    expect(await store.appendEvents('t-1', 'Task', [event], 0)).toEqual({
      success: true,
      newVersion: 3,
      globalPosition: 17,
    });
    expect(calls[1]!.params).toEqual([JSON.stringify([event.eventId]), 't-1', 'Task']);
  });

  it('re-sends only the events not stored yet, renumbered', async () => {
    const stored = created('t-1', 'old', 2);
    const next = created('t-1', 'new', 3);
    const { store, calls } = storeOn((_t, _p, index) => {
      if (index === 0) throw postgresError('23505', { constraint_name: 'events_event_id_key' });
      if (index === 1) return [storedRow([stored.eventId], 2, 8)];
      return [appendRow('ok', 2, 1, '9')];
    });
    expect(await store.appendEvents('t-1', 'Task', [stored, next], 2)).toEqual({
      success: true,
      newVersion: 3,
      globalPosition: 9,
    });
    const retried = JSON.parse(calls[2]!.params[0] as string) as Array<{ o: number; id: string }>;
    expect(retried.map((r) => [r.o, r.id])).toEqual([[0, next.eventId]]);
  });

  it('turns a conflict verdict into OptimisticLockError with the actual version', async () => {
    const { store } = storeOn((_t, _p, index) =>
      index === 0 ? [appendRow('conflict', 5)] : [storedRow([], 5, 40)],
    );
    const error = await store
      .appendEvents('t-1', 'Task', [created('t-1', 'x', 3)], 2)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({ aggregateId: 't-1', expectedVersion: 2, actualVersion: 5 });
  });

  it('turns a version verdict into EventVersionError naming the first bad event', async () => {
    const good = created('t-1', 'x', 2);
    const bad = created('t-1', 'y', 4);
    const { store } = storeOn((_t, _p, index) =>
      index === 0 ? [appendRow('version', 1)] : [storedRow([], 1, 1)],
    );
    const error = await store.appendEvents('t-1', 'Task', [good, bad], 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventVersionError);
    expect(error).toMatchObject({
      expectedVersion: 3,
      actualVersion: 4,
      eventId: bad.eventId,
      aggregateId: 't-1',
    });
  });

  it('maps a lost race on the version constraint to OptimisticLockError with the re-read version', async () => {
    const race = drizzleQueryError(
      postgresError('23505', { constraint_name: 'events_stream_version_key' }),
    );
    const { store, calls } = storeOn((_text, _params, index) => {
      if (index === 0) throw race;
      return [storedRow([], 1, 1)];
    });
    const error = await store
      .appendEvents('t-1', 'Task', [created('t-1')], ExpectedVersion.NO_STREAM)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({ expectedVersion: 0, actualVersion: 1, cause: race });
    expect(calls).toHaveLength(2);
  });

  it('retries a lost race when the winner rolled back, and always under ANY', async () => {
    const race = postgresError('23505', { constraint_name: 'events_stream_version_key' });
    const exact = storeOn((_t, _p, index) => {
      if (index === 0) throw race;
      if (index === 1) return [storedRow([], 0, 0)]; // still at the expected version
      return [appendRow('ok', 0, 1, '9')];
    });
    expect(
      (await exact.store.appendEvents('t-1', 'Task', [created('t-1')], 0)).globalPosition,
    ).toBe(9);
    await exact.store.close();
    expect(exact.calls.filter((c) => !c.text.includes('pg_notify'))).toHaveLength(3);

    const any = storeOn((_t, _p, index) => {
      if (index === 0) throw race;
      if (index === 1) return [storedRow([], 1, 9)];
      return [appendRow('ok', 1, 1, '10')];
    });
    expect(
      await any.store.appendEvents('t-1', 'Task', [created('t-1')], ExpectedVersion.ANY),
    ).toEqual({
      success: true,
      newVersion: 2,
      globalPosition: 10,
    });
    await any.store.close();
    expect(any.calls.filter((c) => !c.text.includes('pg_notify'))).toHaveLength(3);
  });

  it('gives up after repeated races with a PostgresEventStoreError', async () => {
    const { store, calls } = storeOn((text) => {
      if (text.includes('stored_ids')) return [storedRow([], 1, 1)];
      throw postgresError('23505', { constraint_name: 'events_stream_version_key' });
    });
    const error = await store
      .appendEvents('t-1', 'Task', [created('t-1')], ExpectedVersion.ANY)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostgresEventStoreError);
    expect(calls.filter((c) => !c.text.includes('stored_ids'))).toHaveLength(10);
  });

  it('wraps driver errors without SQL parameters in the message, keeping the SQLSTATE', async () => {
    const driver = postgresError('57P01');
    const { store } = storeOn(() => {
      throw drizzleQueryError(driver);
    });
    const error = (await store
      .appendEvents('t-1', 'Task', [created('t-1', 'secret-value')], 0)
      .catch((e: unknown) => e)) as PostgresEventStoreError;
    expect(error).toBeInstanceOf(PostgresEventStoreError);
    expect(error).toMatchObject({
      code: 'ES_POSTGRES_EVENT_STORE',
      operation: 'appendEvents',
      sqlState: '57P01',
    });
    expect(error.message).toBe(
      'PostgresEventStore.appendEvents failed: SQLSTATE 57P01 (admin_shutdown)',
    );
    expect(error.message).not.toContain('secret');
    expect((error.cause as Error).cause).toBe(driver);
  });

  it('refuses a NUL character before sending anything, and stores lone surrogates as U+FFFD', async () => {
    const { store, calls } = storeOn(() => [appendRow('ok', 0, 1, '1')]);
    const error = await store
      .appendEvents('t-1', 'Task', [created('t-1', 'a\u0000b')], 0)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SerializationError);
    expect(error).toMatchObject({ eventType: 'TaskCreated' });
    expect(calls).toHaveLength(0);
    await store.appendEvents('t-1', 'Task', [created('t-1', 'a\ud800b')], 0);
    const records = JSON.parse(calls[0]!.params[0] as string) as Array<{ d: { title: string } }>;
    expect(records[0]!.d.title).toBe('a\uFFFDb');
  });

  it('validates arguments before any query', async () => {
    const { store, calls } = storeOn(() => []);
    await expect(store.appendEvents('', 'Task', [], 0)).rejects.toMatchObject({
      code: 'ES_INVALID_CONFIG',
    });
    await expect(store.appendEvents('t-1', 'Task', [created('t-2')], 0)).rejects.toMatchObject({
      code: 'ES_AGGREGATE_MISMATCH',
    });
    expect(calls).toHaveLength(0);
  });
});

describe('PostgresEventStore.readAll (paging and cursors)', () => {
  const row = (gp: number, tx: string, id: string): unknown[] => [
    String(gp),
    tx,
    1,
    id,
    'Task',
    testRegistry.serialize(created(id)),
    1_700_000_000_000,
  ];

  it('pages with the cursor of the last row until a page comes back short', async () => {
    const pages = [
      [row(1, '10', 'a'), row(3, '10', 'b')],
      [row(2, '11', 'c'), row(4, '12', 'd')],
      [row(5, '13', 'e')],
    ];
    const { store, calls } = storeOn(
      (text, _p, index) => (text.includes('held_back') ? [[false]] : (pages[index] ?? [])),
      { readBatchSize: 2 },
    );
    const events = await collect(store.readAll());
    expect(events.map((e) => e.event.aggregateId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls.map((c) => c.params)).toEqual([
      ['0', 0, 2],
      ['10', 3, 2],
      ['12', 4, 2],
      ['13', 5], // anything held back by an open transaction? no: done
    ]);
    expect(events[2]).toMatchObject({
      globalPosition: 2,
      streamId: 'c:Task',
      streamPosition: 1,
      position: '00000000000000000011-00000000000000000002',
      storedAt: new Date(1_700_000_000_000),
    });
  });

  it('stops at limit and filters event types in SQL', async () => {
    const { store, calls } = storeOn(() => [row(1, '10', 'a'), row(2, '10', 'b')], {
      readBatchSize: 100,
    });
    const events = await collect(store.readAll({ limit: 2, eventTypes: ['TaskCreated'] }));
    expect(events).toHaveLength(2);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.params).toEqual(['0', 0, 2, '["TaskCreated"]']);
    expect(await collect(store.readAll({ limit: 0 }))).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it('resolves a global position to the cursor of the last event at or before it', async () => {
    const { store, calls } = storeOn((text, _p, index) =>
      text.includes('held_back') ? [[false]] : index === 0 ? [['77', '5']] : [],
    );
    await collect(store.readAll({ fromPosition: 6 }));
    expect(calls[0]!.params).toEqual([6]);
    expect(calls[1]!.params).toEqual(['77', 5, 1000]);
  });

  it('continues strictly after a cursor string', async () => {
    const { store, calls } = storeOn((text) => (text.includes('held_back') ? [[false]] : []));
    await collect(store.readAll({ fromPosition: '00000000000000000754-00000000000000000012' }));
    expect(calls[0]!.params).toEqual(['754', 12, 1000]);
  });

  it('waits for transactions that hold committed events back, up to horizonWaitMs', async () => {
    vi.useFakeTimers({ now: 0 });
    try {
      let held = 2;
      const { store, calls } = storeOn((text, _p, index) => {
        if (text.includes('held_back')) return [[held-- > 0]];
        return index === 0 ? [row(1, '10', 'a')] : index === 4 ? [row(2, '11', 'b')] : [];
      });
      const reading = collect(store.readAll());
      await vi.advanceTimersByTimeAsync(50);
      const events = await reading;
      expect(events.map((e) => e.event.aggregateId)).toEqual(['a', 'b']);
      expect(calls.map((c) => (c.text.includes('held_back') ? 'held?' : 'page'))).toEqual([
        'page',
        'held?',
        'page',
        'held?',
        'page',
        'held?',
      ]);

      const patient = storeOn((text) => (text.includes('held_back') ? [[true]] : []), {
        horizonWaitMs: 30,
      });
      const waiting = collect(patient.store.readAll());
      await vi.advanceTimersByTimeAsync(100);
      expect(await waiting).toEqual([]);
      const waited = patient.calls.filter((c) => c.text.includes('held_back')).length;
      expect(waited).toBeGreaterThan(2);
      expect(waited).toBeLessThan(15);

      const impatient = storeOn(() => [], { horizonWaitMs: 0 });
      await collect(impatient.store.readAll());
      expect(impatient.calls).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects bad options synchronously with ES_INVALID_CONFIG', () => {
    const { store } = storeOn(() => []);
    for (const options of [
      { fromPosition: -1 },
      { fromPosition: 1.5 },
      { fromPosition: 'not-a-cursor' },
      { limit: -1 },
      { eventTypes: [1] as unknown as string[] },
    ]) {
      expect(() => store.readAll(options)).toThrow(
        expect.objectContaining({ code: 'ES_INVALID_CONFIG' }),
      );
    }
  });
});

describe('PostgresEventStore options', () => {
  it('rejects bad options with ES_INVALID_CONFIG naming the field', () => {
    const { db } = fakeDrizzle(() => []);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ connection: 42 }, 'PostgresEventStore.connection'],
      [{ connection: 'mysql://x' }, 'PostgresEventStore.connection'],
      [{ connection: db, schema: 'Bad-Name' }, 'PostgresEventStore.schema'],
      [{ connection: db, registry: {} }, 'PostgresEventStore.registry'],
      [{ connection: db, notify: 'yes' }, 'PostgresEventStore.notify'],
      [{ connection: db, readBatchSize: 0 }, 'PostgresEventStore.readBatchSize'],
      [{ connection: db, horizonWaitMs: -1 }, 'PostgresEventStore.horizonWaitMs'],
    ];
    for (const [options, field] of bad) {
      expect(() => new PostgresEventStore(options as never)).toThrow(
        expect.objectContaining({ code: 'ES_INVALID_CONFIG', field }),
      );
    }
  });

  it('uses the given schema in every statement', async () => {
    const { db, calls } = fakeDrizzle(() => [['0']]);
    const store = new PostgresEventStore({ connection: db, schema: 'tenant_a' });
    expect(store.schema).toBe('tenant_a');
    await store.getGlobalPosition();
    expect(calls[0]!.text).toContain('"tenant_a".events');
  });
});
