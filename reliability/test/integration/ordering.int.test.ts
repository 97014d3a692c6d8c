/**
 * B. Ordering and gap-free catch-up on PostgreSQL, end to end: writers in deterministic
 * interleavings and under concurrency, subscriptions run by the SubscriptionManager with the unit
 * of work, and the history checker over what they committed.
 *
 * The read horizon is cluster-wide: a positive assertion ("now it is delivered") waits until it
 * holds; a negative one ("not yet") is exact.
 */
import type { DomainEvent } from '@es/core';
import { PostgresEventStore, type PostgresTransaction } from '@es/store-postgres';
import type { Subscription } from '@es/subscriptions';
import type { ReservedSql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeResult } from '../../src/history/checker.js';
import { History } from '../../src/history/history.js';
import { REL_AGGREGATE_TYPE, relEvent } from '../../src/support/events.js';
import { figuresOf, recordFigures } from '../../src/support/figures.js';
import { fatedCount } from '../../src/support/pg-checks.js';
import {
  appliedProjection,
  connect,
  freshSchema,
  loadFates,
  loadStored,
  type PgStack,
  pgStack,
} from '../../src/support/postgres.js';
import { seededRandom, seedFromEnv, sleep, Writer, waitUntil } from '../../src/support/workload.js';

const url = inject('relDatabaseUrl');
let admin: ReturnType<typeof connect>;

beforeAll(() => {
  admin = connect(url, { max: 4, applicationName: 'rel-order-admin' });
});
afterAll(async () => {
  await admin.end({ timeout: 5 });
});

/** A store on a reserved connection inside an open transaction. */
async function openTransaction(schema: string): Promise<{
  connection: ReservedSql;
  store: PostgresEventStore;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}> {
  const connection = await admin.reserve();
  await connection.unsafe('BEGIN');
  return {
    connection,
    store: new PostgresEventStore({ connection, schema }),
    commit: async () => {
      await connection.unsafe('COMMIT');
      connection.release();
    },
    rollback: async () => {
      await connection.unsafe('ROLLBACK');
      connection.release();
    },
  };
}

/** A live subscription `p` on a fresh schema. */
async function liveSubscription(prefix: string): Promise<{
  schema: string;
  stack: PgStack;
  subscription: Subscription<PostgresTransaction>;
  stop(): Promise<void>;
}> {
  const schema = await freshSchema(admin, prefix);
  const stack = pgStack(url, schema, { applicationName: `rel-${prefix}` });
  const manager = stack.manager();
  const subscription = manager.subscribe(appliedProjection({ name: 'p', schema }), {
    batchSize: 50,
  });
  await manager.start();
  await subscription.whenIdle();
  return {
    schema,
    stack,
    subscription,
    stop: async () => {
      await manager.stop();
      await stack.close();
    },
  };
}

async function appliedIds(schema: string, subscriber = 'p'): Promise<string[]> {
  const rows = await admin.unsafe<{ event_id: string }[]>(
    `SELECT event_id FROM "${schema}".rel_applied WHERE subscriber = $1 ORDER BY seq`,
    [subscriber],
  );
  return rows.map((r) => r.event_id);
}

function one(stream: string, n: number): DomainEvent {
  return relEvent(stream, 1, n);
}

describe('B1–B3, B5: deterministic interleavings', () => {
  it('B1: a slow writer holds back a later commit until it commits; then both, in cursor order', async () => {
    const { schema, stack, stop } = await liveSubscription('b1');
    const slow = await openTransaction(schema);
    const e1 = one('a', 1);
    const e2 = one('b', 2);
    await slow.store.appendEvents('a', REL_AGGREGATE_TYPE, [e1], 0);
    await stack.store.appendEvents('b', REL_AGGREGATE_TYPE, [e2], 0);
    await sleep(400); // 20 polls
    expect(await appliedIds(schema)).toEqual([]);
    await slow.commit();
    await waitUntil(async () => (await appliedIds(schema)).length === 2, 30_000, 'both events');
    expect(await appliedIds(schema)).toEqual([e1.eventId, e2.eventId]);
    await stop();
  });

  it('B2: a rolled-back append between two commits is passed at once, without a gap timeout', async () => {
    const { schema, stack, stop } = await liveSubscription('b2');
    const e1 = one('a', 1);
    await stack.store.appendEvents('a', REL_AGGREGATE_TYPE, [e1], 0);
    const dead = await openTransaction(schema);
    const eDead = one('x', 2);
    await dead.store.appendEvents('x', REL_AGGREGATE_TYPE, [eDead], 0);
    await dead.rollback();
    const e3 = one('c', 3);
    const appendedAt = Date.now();
    await stack.store.appendEvents('c', REL_AGGREGATE_TYPE, [e3], 0);
    await waitUntil(async () => (await appliedIds(schema)).length === 2, 30_000, 'e1 and e3');
    const waited = Date.now() - appendedAt;
    expect(await appliedIds(schema)).toEqual([e1.eventId, e3.eventId]);
    expect(waited).toBeLessThan(2_000);
    await stop();
  });

  it('B3: the xid/position inversion: the older transaction with the lower position is still delivered', async () => {
    const { schema, stop } = await liveSubscription('b3');
    const ta = await openTransaction(schema);
    const tb = await openTransaction(schema);
    const [xa] = await ta.connection.unsafe('SELECT pg_current_xact_id()::text AS x');
    const [xb] = await tb.connection.unsafe('SELECT pg_current_xact_id()::text AS x');
    expect(BigInt(xa?.x) < BigInt(xb?.x)).toBe(true);
    const eb = one('b', 1);
    const ea = one('a', 2);
    await tb.store.appendEvents('b', REL_AGGREGATE_TYPE, [eb], 0); // lower global position
    await ta.store.appendEvents('a', REL_AGGREGATE_TYPE, [ea], 0); // higher global position
    await ta.commit();
    await waitUntil(async () => (await appliedIds(schema)).length === 1, 30_000, "T_a's event");
    expect(await appliedIds(schema)).toEqual([ea.eventId]);
    await tb.commit();
    await waitUntil(async () => (await appliedIds(schema)).length === 2, 30_000, "T_b's event");
    expect(await appliedIds(schema)).toEqual([ea.eventId, eb.eventId]);
    const positions = await admin.unsafe<{ event_id: string; gp: number }[]>(
      `SELECT event_id, global_position::int AS gp FROM "${schema}".events ORDER BY global_position`,
    );
    expect(positions.map((p) => p.event_id)).toEqual([eb.eventId, ea.eventId]);
    await stop();
  });

  it('B5: a long-open transaction stalls the subscription (reported in health), never skips, then it resumes', async () => {
    const { schema, stack, subscription, stop } = await liveSubscription('b5');
    const blocker = await openTransaction(schema);
    await blocker.connection.unsafe('SELECT pg_current_xact_id()'); // holds the horizon
    const events = [1, 2, 3, 4, 5].map((n) => one(`s${n}`, n));
    for (const e of events) {
      await stack.store.appendEvents(e.aggregateId, REL_AGGREGATE_TYPE, [e], 0);
    }
    await sleep(1_500);
    expect(await appliedIds(schema)).toEqual([]);
    const horizon = await stack.store.getHorizonStatus(1_000);
    expect(horizon).toMatchObject({ stalled: true });
    expect(horizon.heldBackEvents).toBeGreaterThanOrEqual(5);
    const health = await subscription.health();
    await blocker.commit();
    await waitUntil(async () => (await appliedIds(schema)).length === 5, 30_000, 'all five');
    expect(await appliedIds(schema)).toEqual(events.map((e) => e.eventId));
    recordFigures({
      id: 'B5',
      backend: 'postgres',
      events: 5,
      faults: 1,
      lost: 0,
      duplicated: 0,
      skipped: 0,
      notes: `1.5 s horizon stall; subscription health during the stall: status ${health.status}, lag.events ${health.lag.events}, warnings ${JSON.stringify(health.warnings)}`,
    });
    // The stall must be visible in the subscription's health, not only in the store.
    expect(
      { reported: health.status !== 'healthy', lagged: (health.lag.events ?? 0) >= 5 },
      `health during a 1.5 s stall: ${JSON.stringify({ status: health.status, lag: health.lag, warnings: health.warnings })}`,
    ).toEqual({ reported: true, lagged: true });
    await stop();
  });
});

describe('B4: concurrent writers with slow transactions and rollbacks', () => {
  it('8 writers × 100 appends, 0–20 ms inside the transaction, 10 % rollbacks; 3 live + 1 catch-up subscriber agree', async () => {
    const seed = seedFromEnv();
    const random = seededRandom(seed);
    const schema = await freshSchema(admin, 'b4');
    const stack = pgStack(url, schema, { applicationName: 'rel-b4', max: 4, txMax: 4 });
    const writers = connect(url, { max: 8, applicationName: 'rel-b4-writers' });
    const manager = stack.manager({ pollIntervalMs: 10 });
    const names = ['live1', 'live2', 'live3'];
    const subs = names.map((name) =>
      manager.subscribe(appliedProjection({ name, schema }), { batchSize: 40 }),
    );
    await manager.start();
    const history = new History();
    const perWriter = 100;
    let rollbacks = 0;
    let catchUp: Subscription<PostgresTransaction> | undefined;
    const writing = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < perWriter; i++) {
          const stream = `w${w}-s${i % 5}`;
          const size = 1 + Math.floor(random() * 3);
          const rollback = random() < 0.1;
          const delay = Math.floor(random() * 20);
          const existing = await stack.store.getEvents(stream, REL_AGGREGATE_TYPE);
          const events = Array.from({ length: size }, (_, k) =>
            relEvent(stream, existing.version + k + 1, w * 10_000 + i, {
              pad: 'x'.repeat(Math.floor(random() * 2_000)),
            }),
          );
          const handle = history.invoke(
            stream,
            events.map((e) => e.eventId),
          );
          try {
            await writers.begin(async (tx) => {
              const store = new PostgresEventStore({ connection: tx, schema });
              await store.appendEvents(stream, REL_AGGREGATE_TYPE, events, existing.version);
              await sleep(delay);
              if (rollback) throw new RollbackRequested();
            });
            handle.ok();
          } catch (error) {
            if (error instanceof RollbackRequested) {
              rollbacks++;
              handle.fail(error);
            } else {
              handle.unknown(error);
            }
          }
          if (w === 0 && i === perWriter / 2) {
            catchUp = manager.subscribe(appliedProjection({ name: 'catchup', schema }), {
              batchSize: 40,
              startFrom: 'beginning',
            });
          }
        }
      })(),
    );
    await Promise.all(writing);
    const stored = await loadStored(admin, schema);
    for (const name of [...names, 'catchup']) {
      await waitUntil(
        async () => (await fatedCount(admin, schema, name)) >= stored.length,
        60_000,
        `${name} to catch up`,
      );
    }
    await manager.stop();
    for (const name of [...names, 'catchup']) history.fates(await loadFates(admin, schema, name));
    const result = history.check({ stored, subscribers: [...names, 'catchup'] });
    recordFigures(
      figuresOf('B4', 'postgres', result, {
        faults: rollbacks,
        notes: `8 writers × ${perWriter} appends of 1–3 events, 0–20 ms sleeps in the transaction, ${rollbacks} rollbacks; 3 live + 1 catch-up subscriber (figures summed over the 4); seed ${seed}`,
      }),
    );
    expect(result.anomalies, `seed ${seed}\n${describeResult(result)}`).toEqual([]);
    expect(catchUp).toBeDefined();
    for (const s of subs) expect(s.state).toBe('stopped');
    await writers.end({ timeout: 5 });
    await stack.close();
  });
});

class RollbackRequested extends Error {}

describe('B7: catch-up → live handover while appends continue', () => {
  it('no gap and no duplicate at the switch (2 000 stored, then ~1 000/s for 2 s)', async () => {
    const schema = await freshSchema(admin, 'b7');
    const stack = pgStack(url, schema, { applicationName: 'rel-b7' });
    const history = new History();
    const writer = new Writer(stack.store, history);
    await writer.run({ events: 2_000, streams: 20, concurrency: 4, batch: 5 });
    const manager = stack.manager({ pollIntervalMs: 10 });
    const subscription = manager.subscribe(appliedProjection({ name: 'p', schema }), {
      batchSize: 100,
      startFrom: 'beginning',
    });
    const states = new Set<string>();
    const watch = setInterval(() => states.add(subscription.state), 2);
    await manager.start();
    // ~1 000 events/s for 2 s while it catches up and switches to live.
    await writer.run({ events: 2_000, streams: 20, concurrency: 2, batch: 2, pauseMs: 4 });
    const stored = await loadStored(admin, schema);
    await waitUntil(
      async () => (await fatedCount(admin, schema, 'p')) >= stored.length,
      60_000,
      'the subscription to catch up',
    );
    clearInterval(watch);
    await manager.stop();
    history.fates(await loadFates(admin, schema, 'p'));
    const result = history.check({ stored, subscribers: ['p'] });
    recordFigures(
      figuresOf('B7', 'postgres', result, {
        faults: 0,
        notes: `states seen: ${[...states].join(' → ')}`,
      }),
    );
    expect(result.anomalies, describeResult(result)).toEqual([]);
    expect(states.has('catching_up')).toBe(true);
    expect(states.has('live')).toBe(true);
    await stack.close();
  });
});
