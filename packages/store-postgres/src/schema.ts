/**
 * The drizzle schema of the store: the source from which drizzle-kit generates the SQL migrations
 * in `migrations/`, and typed tables for queries of your own (reporting, tooling).
 *
 * Do not import relative modules here: drizzle-kit loads this file on its own.
 *
 * @module
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

/** PostgreSQL's 64-bit, epoch-extended transaction id (`xid8`), read as a decimal string. */
const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => 'xid8',
});

/**
 * Builds the tables of the store in the PostgreSQL schema `schemaName` (validate it first; see
 * `validateSchemaName`).
 *
 * @example
 * ```ts
 * import { drizzle } from 'drizzle-orm/postgres-js';
 * const { events } = createStoreSchema('es');
 * const rows = await drizzle(client).select().from(events).limit(10);
 * ```
 */
export function createStoreSchema(schemaName: string) {
  const schema = pgSchema(schemaName);

  /** Every event, in one table. `global_position` is the store-wide position. */
  const events = schema.table(
    'events',
    {
      globalPosition: bigint('global_position', { mode: 'number' })
        .primaryKey()
        .generatedAlwaysAsIdentity(),
      /** The writing transaction: the first half of the gap-free subscription cursor. */
      transactionId: xid8('transaction_id').notNull().default(sql`pg_current_xact_id()`),
      eventId: text('event_id').notNull(),
      aggregateId: text('aggregate_id').notNull(),
      aggregateType: text('aggregate_type').notNull(),
      /** The aggregate version after this event (`aggregateVersion`, the stream position). */
      version: integer('version').notNull(),
      eventType: text('event_type').notNull(),
      eventVersion: integer('event_version').notNull().default(1),
      occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
      tenantId: text('tenant_id'),
      /** The event as its registry serializes it. */
      data: jsonb('data').notNull(),
      storedAt: timestamp('stored_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    },
    (t) => [
      unique('events_event_id_key').on(t.eventId),
      unique('events_stream_version_key').on(t.aggregateId, t.aggregateType, t.version),
      index('events_transaction_id_global_position_idx').on(t.transactionId, t.globalPosition),
    ],
  );

  /** One row per subscription: the last position it committed. */
  const checkpoints = schema.table(
    'checkpoints',
    {
      subscriptionId: text('subscription_id').primaryKey(),
      /** `'number'` or `'string'`: one kind per subscription. */
      positionKind: text('position_kind').notNull(),
      positionNumber: doublePrecision('position_number'),
      positionString: text('position_string'),
      lastEventId: text('last_event_id'),
      lastEventType: text('last_event_type'),
      lastProcessedAt: timestamp('last_processed_at', {
        withTimezone: true,
        mode: 'date',
      }).notNull(),
      eventsProcessed: bigint('events_processed', { mode: 'number' }).notNull().default(0),
      createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' })
        .notNull()
        .defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' })
        .notNull()
        .defaultNow(),
    },
    (t) => [
      check(
        'checkpoints_position_check',
        sql`(${t.positionKind} = 'number' AND ${t.positionNumber} IS NOT NULL AND ${t.positionString} IS NULL) OR (${t.positionKind} = 'string' AND ${t.positionString} IS NOT NULL AND ${t.positionNumber} IS NULL)`,
      ),
    ],
  );

  /** Dead-lettered and parked events, one row per `(event_id, projection_name)`. */
  const deadLetterQueue = schema.table(
    'dead_letter_queue',
    {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      eventId: text('event_id').notNull(),
      projectionName: text('projection_name').notNull(),
      eventType: text('event_type').notNull(),
      eventData: jsonb('event_data').notNull(),
      errorMessage: text('error_message').notNull(),
      errorStacktrace: text('error_stacktrace'),
      retryCount: integer('retry_count').notNull().default(0),
      firstFailedAt: timestamp('first_failed_at', { withTimezone: true, mode: 'date' }).notNull(),
      lastFailedAt: timestamp('last_failed_at', { withTimezone: true, mode: 'date' }).notNull(),
      status: text('status').notNull().default('failed'),
      resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
      resolvedBy: text('resolved_by'),
      streamId: text('stream_id'),
      streamPosition: integer('stream_position'),
      positionKind: text('position_kind'),
      positionNumber: doublePrecision('position_number'),
      positionString: text('position_string'),
      /** Until when a `retrying` claim holds (null: no lease, or not retrying). Migration 0001. */
      claimedUntil: timestamp('claimed_until', { withTimezone: true, mode: 'date' }),
    },
    (t) => [
      unique('dead_letter_queue_event_projection_key').on(t.eventId, t.projectionName),
      check(
        'dead_letter_queue_status_check',
        sql`${t.status} IN ('failed', 'retrying', 'resolved', 'parked', 'discarded')`,
      ),
      check(
        'dead_letter_queue_position_check',
        sql`(${t.positionKind} IS NULL AND ${t.positionNumber} IS NULL AND ${t.positionString} IS NULL) OR (${t.positionKind} = 'number' AND ${t.positionNumber} IS NOT NULL) OR (${t.positionKind} = 'string' AND ${t.positionString} IS NOT NULL)`,
      ),
      // getFailedEvents: one status (and projection), newest first.
      index('dead_letter_queue_status_first_failed_idx').on(t.status, t.firstFailedAt),
      index('dead_letter_queue_projection_status_first_failed_idx').on(
        t.projectionName,
        t.status,
        t.firstFailedAt,
      ),
      // listEntries (stream order), getBlockedStreams, getProjectionDepth: unresolved only.
      index('dead_letter_queue_unresolved_stream_idx')
        .on(
          t.projectionName,
          sql`(${t.streamId} COLLATE "C")`,
          t.streamPosition,
          t.firstFailedAt,
          t.id,
        )
        .where(sql`${t.status} IN ('failed', 'retrying', 'parked')`),
      // getFailureStats / getProjectionFailureCounts: failed + retrying only.
      index('dead_letter_queue_active_idx')
        .on(t.projectionName, t.firstFailedAt)
        .where(sql`${t.status} IN ('failed', 'retrying')`),
      // deleteResolvedEvents.
      index('dead_letter_queue_resolved_at_idx')
        .on(t.resolvedAt)
        .where(sql`${t.status} = 'resolved'`),
    ],
  );

  return { schema, events, checkpoints, deadLetterQueue };
}

const defaultSchema = createStoreSchema('es');

/** The default schema `es` (what drizzle-kit generates the migrations from). */
export const es = defaultSchema.schema;
/** `es.events`. */
export const events = defaultSchema.events;
/** `es.checkpoints`. */
export const checkpoints = defaultSchema.checkpoints;
/** `es.dead_letter_queue`. */
export const deadLetterQueue = defaultSchema.deadLetterQueue;
