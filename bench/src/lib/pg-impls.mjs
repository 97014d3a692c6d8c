// The three PostgreSQL implementations compared side by side, behind one small interface:
//
//   append(streamId, expectedVersion, n) → new version       (throws on a conflict)
//   tryAppend(streamId, expectedVersion) → { ok, version }   (1 event; on a conflict re-reads the version)
//   read(streamId) → number of events read (decoded)
//   loadAndSave(streamId) → load the order, add a line, save with the expected version
//   catchUp(count, batchSize, capMs) → { events, ms, capped }   (checkpointed catch-up)
//
// - raw: postgres.js doing the minimal equivalent SQL on tables created `LIKE` the @es ones (same
//   columns, constraints and indexes): one autocommit INSERT per append (multi-row for batches), the
//   unique (aggregate_id, aggregate_type, version) constraint enforcing the expected version, a
//   plain SELECT to read, and the same gap-free catch-up query as @es with a checkpoint upsert per
//   page. It is the reference: what the database gives a Node client without a library.
// - @es: PostgresEventStore / AggregateRepository / SubscriptionManager with
//   PostgresCheckpointRepository, on a postgres.js client we create (so the session settings are
//   ours), default options unless the name says otherwise.
// - Emmett: @event-driven-io/emmett-postgresql (node-postgres underneath): getPostgreSQLEventStore,
//   CommandHandler, and its consumer + reactor for catch-up.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import postgres from 'postgres';
import {
  AGGREGATE_TYPE,
  emmettEvents,
  esEvents,
  evolveOrder,
  LINE,
  META,
  orderRepository,
  rawEventDocument,
} from './events.mjs';

/** postgres.js options of every client we open; `syncOff` sets synchronous_commit for the session. */
export function clientOptions(syncOff, max = 10) {
  return {
    max,
    onnotice: () => {},
    ...(syncOff ? { connection: { synchronous_commit: 'off' } } : {}),
  };
}

/** The connection string with `synchronous_commit=off` as a startup option (node-postgres reads `options`). */
export function syncOffUrl(url) {
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}

// ---------------------------------------------------------------------------------------------
// raw postgres.js
// ---------------------------------------------------------------------------------------------

/** Creates the raw tables in `raw` (same shape as the ones of `es`; run after `migrate`). */
export async function createRawSchema(sql, raw = 'raw', es = 'es') {
  await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${raw};
CREATE TABLE ${raw}.events (LIKE ${es}.events INCLUDING ALL);
CREATE TABLE ${raw}.checkpoints (LIKE ${es}.checkpoints INCLUDING ALL);
CREATE TABLE ${raw}.dead_letter_queue (LIKE ${es}.dead_letter_queue INCLUDING ALL);`);
}

const RAW_COLUMNS = [
  'event_id',
  'aggregate_id',
  'aggregate_type',
  'version',
  'event_type',
  'event_version',
  'occurred_at',
  'data',
];

function rawRow(doc) {
  return {
    event_id: doc.eventId,
    aggregate_id: doc.aggregateId,
    aggregate_type: AGGREGATE_TYPE,
    version: doc.aggregateVersion,
    event_type: doc.eventType,
    event_version: 1,
    occurred_at: doc.occurredAt,
    data: doc,
  };
}

export function rawImpl(sql, { name = 'raw postgres.js', schema = 'raw' } = {}) {
  const events = sql(`${schema}.events`);
  const checkpoints = sql(`${schema}.checkpoints`);
  const insertOne = (doc) =>
    sql`INSERT INTO ${events} (event_id, aggregate_id, aggregate_type, version, event_type, event_version, occurred_at, data)
      VALUES (${doc.eventId}, ${doc.aggregateId}, ${AGGREGATE_TYPE}, ${doc.aggregateVersion}, ${doc.eventType}, 1, ${doc.occurredAt}, ${doc})
      RETURNING global_position`;
  const version = async (streamId) =>
    (
      await sql`SELECT coalesce(max(version), 0)::int4 AS v FROM ${events}
        WHERE aggregate_id = ${streamId} AND aggregate_type = ${AGGREGATE_TYPE}`
    )[0].v;
  return {
    name,
    role: 'reference',
    sql,
    async append(streamId, expected, n) {
      if (n === 1) {
        await insertOne(rawEventDocument(streamId, expected + 1));
      } else {
        const rows = new Array(n);
        for (let i = 0; i < n; i++) rows[i] = rawRow(rawEventDocument(streamId, expected + i + 1));
        await sql`INSERT INTO ${events} ${sql(rows, RAW_COLUMNS)} RETURNING global_position`;
      }
      return expected + n;
    },
    async tryAppend(streamId, expected) {
      try {
        await insertOne(rawEventDocument(streamId, expected + 1));
        return { ok: true, version: expected + 1 };
      } catch (error) {
        if (error?.code !== '23505') throw error;
        return { ok: false, version: await version(streamId) };
      }
    },
    async read(streamId) {
      const rows =
        await sql`SELECT global_position, version, event_type, data, stored_at FROM ${events}
        WHERE aggregate_id = ${streamId} AND aggregate_type = ${AGGREGATE_TYPE} ORDER BY version`;
      return rows.length;
    },
    async loadAndSave(streamId) {
      const rows = await sql`SELECT version, event_type, data FROM ${events}
        WHERE aggregate_id = ${streamId} AND aggregate_type = ${AGGREGATE_TYPE} ORDER BY version`;
      if (rows.length === 0) throw new Error(`order ${streamId} not found`);
      let state = { lines: 0, total: 0 };
      for (const row of rows) state = evolveOrder(state, row.event_type, row.data);
      const last = rows[rows.length - 1].version;
      await insertOne(rawEventDocument(streamId, last + 1, 'OrderLineAdded', { ...LINE }));
    },
    async catchUp(count, batchSize, capMs) {
      const id = `raw-${randomUUID()}`;
      let txid = '0';
      let position = 0;
      let seen = 0;
      let handled = 0;
      const started = performance.now();
      for (;;) {
        const rows =
          await sql`SELECT global_position, transaction_id::text AS txid, aggregate_id, version, event_type, data, stored_at
          FROM ${events}
          WHERE (transaction_id, global_position) > (${txid}::xid8, ${position}::int8)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
          ORDER BY transaction_id, global_position LIMIT ${batchSize}`;
        if (rows.length === 0) {
          if (seen >= count || performance.now() - started > capMs) break;
          await new Promise((resolve) => setTimeout(resolve, 10)); // held back by the horizon
          continue;
        }
        for (const row of rows) {
          if (row.data.eventType !== undefined) handled++;
        }
        seen += rows.length;
        const last = rows[rows.length - 1];
        txid = last.txid;
        position = last.global_position;
        const cursor = `${txid.padStart(20, '0')}:${String(position).padStart(20, '0')}`;
        await sql`INSERT INTO ${checkpoints} (subscription_id, position_kind, position_string, last_event_id, last_event_type, last_processed_at, events_processed)
          VALUES (${id}, 'string', ${cursor}, ${last.data.eventId}, ${last.event_type}, now(), ${rows.length})
          ON CONFLICT (subscription_id) DO UPDATE SET position_string = EXCLUDED.position_string,
            last_event_id = EXCLUDED.last_event_id, last_event_type = EXCLUDED.last_event_type,
            last_processed_at = EXCLUDED.last_processed_at,
            events_processed = ${checkpoints}.events_processed + EXCLUDED.events_processed,
            updated_at = now()`;
        if (rows.length < batchSize && seen >= count) break;
      }
      const ms = performance.now() - started;
      if (handled !== seen) throw new Error('raw catch-up: handler count mismatch');
      return { events: seen, ms, capped: seen < count };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

// ---------------------------------------------------------------------------------------------
// @es
// ---------------------------------------------------------------------------------------------

export async function esImpl(
  sql,
  { notify = true, name = '@es PostgresEventStore', schema = undefined } = {},
) {
  const { OptimisticLockError } = await import('@es/core');
  const { PostgresCheckpointRepository, PostgresDLQRepository, PostgresEventStore } = await import(
    '@es/store-postgres'
  );
  const store = new PostgresEventStore({
    connection: sql,
    ...(schema === undefined ? {} : { schema }),
    ...(notify ? {} : { notify: false }),
  });
  const repository = orderRepository(store);
  return {
    name,
    role: 'es',
    sql,
    store,
    async append(streamId, expected, n) {
      const result = await store.appendEvents(
        streamId,
        AGGREGATE_TYPE,
        esEvents(streamId, expected, n),
        expected,
      );
      return result.newVersion;
    },
    async tryAppend(streamId, expected) {
      try {
        const result = await store.appendEvents(
          streamId,
          AGGREGATE_TYPE,
          esEvents(streamId, expected, 1),
          expected,
        );
        return { ok: true, version: result.newVersion };
      } catch (error) {
        if (!(error instanceof OptimisticLockError)) throw error;
        return { ok: false, version: error.actualVersion };
      }
    },
    async read(streamId) {
      return (await store.getEvents(streamId, AGGREGATE_TYPE)).events.length;
    },
    async loadAndSave(streamId) {
      const order = await repository.load(streamId);
      order.addLine(LINE);
      await repository.save(order);
    },
    async catchUp(count, batchSize, capMs) {
      const { SubscriptionManager } = await import('@es/subscriptions');
      const manager = new SubscriptionManager({
        eventStore: store,
        checkpointRepo: new PostgresCheckpointRepository({ connection: sql }),
        dlqRepo: new PostgresDLQRepository({ connection: sql }),
      });
      let handled = 0;
      const subscription = manager.subscribe(
        {
          name: `es-${randomUUID()}`,
          async handle(event) {
            if (event.eventType !== undefined) handled++;
          },
        },
        { startFrom: 'beginning', ...(batchSize === 100 ? {} : { batchSize }) },
      );
      const started = performance.now();
      await manager.start();
      // whenIdle resolves when a read comes back short: that may happen early when another
      // transaction on the server holds the read horizon back, so wait until everything is in.
      while (handled < count && performance.now() - started < capMs) {
        await subscription.whenIdle();
        if (subscription.state === 'error' || subscription.state === 'stopped') {
          throw new Error(`subscription ${subscription.state}: ${subscription.lastError?.message}`);
        }
        if (handled < count) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const ms = performance.now() - started;
      await manager.stop();
      return { events: handled, ms, capped: handled < count };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

// ---------------------------------------------------------------------------------------------
// Emmett
// ---------------------------------------------------------------------------------------------

export async function emmettImpl(url, { name = 'Emmett 0.42 (emmett-postgresql)' } = {}) {
  const { getPostgreSQLEventStore } = await import('@event-driven-io/emmett-postgresql');
  // (emmett-postgresql may load its own copy of @event-driven-io/emmett: match conflicts by code,
  // not by class identity)
  const { CommandHandler, isExpectedVersionConflictError } = await import(
    '@event-driven-io/emmett'
  );
  const store = getPostgreSQLEventStore(url);
  const handle = CommandHandler({
    evolve: (state, event) => evolveOrder(state, event.type, event.data),
    initialState: () => ({ lines: 0, total: 0 }),
  });
  const addLine = (state) => {
    if (state.lines === 0) throw new Error('order does not exist');
    return { type: 'OrderLineAdded', data: { ...LINE }, metadata: { ...META } };
  };
  return {
    name,
    role: 'peer',
    store,
    async append(streamId, expected, n) {
      const result = await store.appendToStream(
        `order-${streamId}`,
        emmettEvents(n),
        expected > 0 ? { expectedStreamVersion: BigInt(expected) } : undefined,
      );
      return Number(result.nextExpectedStreamVersion);
    },
    async tryAppend(streamId, expected) {
      try {
        const result = await store.appendToStream(
          `order-${streamId}`,
          emmettEvents(1),
          expected > 0 ? { expectedStreamVersion: BigInt(expected) } : undefined,
        );
        return { ok: true, version: Number(result.nextExpectedStreamVersion) };
      } catch (error) {
        if (!isExpectedVersionConflictError(error)) throw error;
        // Emmett 0.42 does not report the actual version (it says -1): read the stream's tail.
        const tail = await store.readStream(`order-${streamId}`, { from: BigInt(expected + 1) });
        return { ok: false, version: Math.max(expected, Number(tail.currentStreamVersion)) };
      }
    },
    async read(streamId) {
      return (await store.readStream(`order-${streamId}`)).events.length;
    },
    async loadAndSave(streamId) {
      await handle(store, `order-${streamId}`, addLine);
    },
    // `pulling` carries Emmett's batch size and sleep; without it Emmett's defaults apply
    async catchUp(count, _batchSize, capMs, pulling) {
      let handled = 0;
      const consumer = store.consumer({
        stopWhen: { noMessagesLeft: true },
        ...(pulling === undefined ? {} : { pulling }),
      });
      consumer.reactor({
        processorId: `emmett-${randomUUID()}`,
        startFrom: 'BEGINNING',
        eachMessage: async (message) => {
          if (message.type !== undefined) handled++;
        },
      });
      const started = performance.now();
      let capped = false;
      const timer = setTimeout(() => {
        capped = true;
        consumer.stop();
      }, capMs);
      await consumer.start();
      clearTimeout(timer);
      const ms = performance.now() - started;
      // Do not call consumer.close(): it would close the store's shared pool.
      if (!capped && handled < count) {
        throw new Error(`Emmett catch-up saw ${handled} of ${count} events`);
      }
      return { events: handled, ms, capped: capped && handled < count };
    },
    close: () => store.close(),
  };
}

/** The postgres.js client for an implementation. */
export function client(url, syncOff) {
  return postgres(url, clientOptions(syncOff));
}
