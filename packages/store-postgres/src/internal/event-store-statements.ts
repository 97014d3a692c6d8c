/**
 * The SQL of `PostgresEventStore`, built once per schema.
 *
 * @module
 * @internal
 */
import { notifyChannel } from '../schema-name.js';
import { msOf } from './values.js';

/** The statements of one schema. */
export interface EventStoreStatements {
  /** Append with NOTIFY (see {@link appendStatement}). */
  readonly appendNotify: string;
  /** Append without NOTIFY. */
  readonly append: string;
  /** The wake-up sent after an autocommit append (see `CoalescedNotifier`). */
  readonly notify: string;
  readonly streamVersion: string;
  /**
   * Which of the event ids `$1` (a JSON array) are stored, the head of the stream `($2, $3)` and
   * of the store. Run unprepared: it is rare and its `IN` list would favour a stale generic plan.
   */
  readonly storedIds: string;
  /** `getEvents` selects the serialized event only (`data`, column 0). */
  readonly getEventsByType: string;
  readonly getEventsAnyType: string;
  readonly resolveGlobalPosition: string;
  readonly readAll: string;
  readonly readAllOfTypes: string;
  readonly globalPosition: string;
  /** True when committed events after the cursor are held back by the horizon. */
  readonly heldBack: string;
  readonly heldBackOfTypes: string;
  readonly horizon: string;
}

/**
 * Columns of a read, in this order: global_position, transaction_id, version, aggregate_id,
 * aggregate_type, data, stored_at (epoch ms).
 */
const READ_COLUMNS = `global_position, transaction_id::text AS transaction_id_text, version, aggregate_id, aggregate_type, data, ${msOf('stored_at')} AS stored_at_ms`;

/** Indexes of the columns of {@link READ_COLUMNS}. */
export const READ = {
  globalPosition: 0,
  transactionId: 1,
  version: 2,
  aggregateId: 3,
  aggregateType: 4,
  data: 5,
  storedAt: 6,
} as const;

/**
 * Indexes of the result columns of the append statement: verdict, stream head before the append,
 * rows inserted, last inserted global position, and the store head (when nothing was inserted).
 */
export const APPEND = {
  verdict: 0,
  head: 1,
  inserted: 2,
  lastPosition: 3,
  storeHead: 4,
} as const;

/** Indexes of the result columns of {@link EventStoreStatements.storedIds}. */
export const STORED = { ids: 0, head: 1, storeHead: 2 } as const;

/**
 * The append statement: one round trip for a whole batch.
 *
 * Parameters: `$1` the batch as JSON text (objects `{o, id, t, ev, v, at, tn, d}`: 0-based
 * ordinal, event id, type, schema version, carried aggregate version, occurredAt ISO, tenant id,
 * serialized event), `$2` aggregate id, `$3` aggregate type, `$4` expected version.
 *
 * It reads the stream's head (one backward index probe), decides (`conflict` when the expected
 * version does not hold; `version` when an exact expected version meets events not numbered
 * `expected + 1…`; else `ok`) and inserts only on `ok`, stamping `head + o + 1` as the version (also
 * into the stored JSON when the event carried another one).
 *
 * It does not look for event ids that are already stored: the unique index on `event_id` does,
 * and a re-append fails with 23505, after which the caller looks the ids up and retries with the
 * new events only. An anti-join against the events table here would cost a probe per event and,
 * worse, a prepared statement's generic plan made while the table is small turns it into a hash
 * join over a sequential scan of the whole table, for every append, until the next ANALYZE.
 * A concurrent writer that commits the same version first also makes the INSERT fail with 23505.
 */
function appendStatement(quotedSchema: string, schema: string, notify: boolean): string {
  const events = `${quotedSchema}.events`;
  const notifyColumn = notify
    ? `,\n  (SELECT count(*) FROM (SELECT pg_notify('${notifyChannel(schema)}', '') WHERE EXISTS (SELECT 1 FROM ins)) n)::int4 AS notified`
    : '';
  return `WITH input AS (
  SELECT x.o, x.id, x.t, x.ev, x.v, x.at, x.tn, x.d
  FROM json_to_recordset($1::text::json) AS x(o int4, id text, t text, ev int4, v int4, at text, tn text, d jsonb)
), head AS (
  SELECT coalesce(max(version), 0)::int4 AS v FROM ${events}
  WHERE aggregate_id = $2::text AND aggregate_type = $3::text
), verdict AS (
  SELECT h.v AS head, CASE
    WHEN $4::int4 = -1 THEN 'ok'
    WHEN $4::int4 = -2 THEN CASE WHEN h.v > 0 THEN 'ok' ELSE 'conflict' END
    WHEN $4::int4 <> h.v THEN 'conflict'
    WHEN EXISTS (SELECT 1 FROM input i WHERE i.v <> h.v + i.o + 1) THEN 'version'
    ELSE 'ok' END AS verdict
  FROM head h
), ins AS (
  INSERT INTO ${events} (event_id, aggregate_id, aggregate_type, version, event_type, event_version, occurred_at, tenant_id, data)
  SELECT i.id, $2::text, $3::text, vd.head + i.o + 1, i.t, i.ev, i.at::timestamptz, i.tn,
    CASE WHEN i.v = vd.head + i.o + 1 THEN i.d ELSE jsonb_set(i.d, '{aggregateVersion}', to_jsonb(vd.head + i.o + 1)) END
  FROM input i CROSS JOIN verdict vd
  WHERE vd.verdict = 'ok'
  ORDER BY i.o
  RETURNING global_position
)
SELECT vd.verdict AS verdict, vd.head AS head, (SELECT count(*) FROM ins)::int4 AS inserted,
  (SELECT max(global_position) FROM ins)::text AS last_position,
  CASE WHEN NOT EXISTS (SELECT 1 FROM ins) THEN (SELECT coalesce(max(global_position), 0) FROM ${events})::text END AS store_head${notifyColumn}
FROM verdict vd`;
}

/** The read horizon of the statement's snapshot: the oldest transaction still running. */
const HORIZON = 'pg_snapshot_xmin(pg_current_snapshot())';

const bySchema = new Map<string, EventStoreStatements>();

/** The statements for a validated schema name. */
export function eventStoreStatements(schema: string): EventStoreStatements {
  let statements = bySchema.get(schema);
  if (statements !== undefined) return statements;
  const quotedSchema = `"${schema}"`;
  const events = `${quotedSchema}.events`;
  const gapFree = `(transaction_id, global_position) > ($1::text::xid8, $2::int8)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())`;
  // The held-back probe answers "is a committed event after the cursor still held back by the
  // horizon", that is EXISTS (row > cursor AND transaction_id >= xmin), in a form that can only
  // be served by the (transaction_id, global_position) index: a scan for that EXISTS is planned
  // for its first row and, without fresh statistics, as a sequential scan of the whole table.
  //
  // It looks at the greatest (transaction_id, global_position) visible to the statement, one
  // backward step on the index (ORDER BY … DESC LIMIT 1, no filter), and asks whether that row is
  // after the cursor and at or above the horizon. That is exact, both ways:
  // - a held-back row r after the cursor exists ⇒ the greatest row m ≥ r > cursor and
  //   m.transaction_id ≥ r.transaction_id ≥ xmin: true — no false negative, which would end the
  //   read while an event it should wait for is about to become readable;
  // - true ⇒ m itself is a row after the cursor with transaction_id ≥ xmin: no false positive
  //   (a false one would only make the read wait up to horizonWaitMs).
  // Rows the statement cannot see (still in flight) are skipped by both forms alike. The typed
  // variant runs this first and only then looks for a held-back row of the given types, from the
  // greater of the cursor and (xmin, 0) in index order (global positions start at 1, so
  // (transaction_id, global_position) > (xmin, 0) is transaction_id ≥ xmin); ORDER BY … LIMIT 1
  // keeps that an index range scan over the held-back rows only.
  const headHeldBack = `h.transaction_id >= ${HORIZON}
    AND (h.transaction_id, h.global_position) > ($1::text::xid8, $2::int8)`;
  const head = `(SELECT transaction_id, global_position FROM ${events}
    ORDER BY transaction_id DESC, global_position DESC LIMIT 1) h`;
  statements = {
    appendNotify: appendStatement(quotedSchema, schema, true),
    notify: `SELECT pg_notify('${notifyChannel(schema)}', '')`,
    append: appendStatement(quotedSchema, schema, false),
    storedIds: `SELECT
  (SELECT coalesce(json_agg(event_id), '[]'::json) FROM ${events}
    WHERE event_id IN (SELECT json_array_elements_text($1::text::json)))::text AS stored_ids,
  (SELECT coalesce(max(version), 0) FROM ${events}
    WHERE aggregate_id = $2::text AND aggregate_type = $3::text)::int4 AS head,
  (SELECT coalesce(max(global_position), 0) FROM ${events})::text AS store_head`,
    streamVersion: `SELECT coalesce(max(version), 0)::int4 AS version FROM ${events} WHERE aggregate_id = $1::text AND aggregate_type = $2::text`,
    getEventsByType: `SELECT data FROM ${events}
WHERE aggregate_id = $1::text AND aggregate_type = $2::text AND version > $3::int4
  AND ($4::text IS NULL OR occurred_at >= $4::text::timestamptz)
  AND ($5::text IS NULL OR occurred_at <= $5::text::timestamptz)
ORDER BY version`,
    getEventsAnyType: `SELECT data FROM ${events}
WHERE aggregate_id = $1::text AND version > $2::int4
  AND ($3::text IS NULL OR occurred_at >= $3::text::timestamptz)
  AND ($4::text IS NULL OR occurred_at <= $4::text::timestamptz)
ORDER BY global_position`,
    resolveGlobalPosition: `SELECT transaction_id::text AS transaction_id_text, global_position FROM ${events}
WHERE global_position <= $1::int8 ORDER BY global_position DESC LIMIT 1`,
    // The gap-free read: only transactions below the oldest one still running (they can no longer
    // change), in (transaction id, global position) order, served by the index on that pair.
    readAll: `SELECT ${READ_COLUMNS} FROM ${events}
WHERE ${gapFree}
ORDER BY transaction_id, global_position
LIMIT $3::int4`,
    readAllOfTypes: `SELECT ${READ_COLUMNS} FROM ${events}
WHERE ${gapFree}
  AND event_type IN (SELECT json_array_elements_text($4::text::json))
ORDER BY transaction_id, global_position
LIMIT $3::int4`,
    globalPosition: `SELECT coalesce(max(global_position), 0)::text AS global_position FROM ${events}`,
    heldBack: `SELECT coalesce((SELECT ${headHeldBack}
  FROM ${head}), false) AS held_back`,
    heldBackOfTypes: `SELECT coalesce((SELECT CASE WHEN ${headHeldBack} THEN coalesce((
  SELECT true FROM ${events}
  WHERE (transaction_id, global_position) > (
      greatest($1::text::xid8, ${HORIZON}),
      CASE WHEN $1::text::xid8 >= ${HORIZON} THEN $2::int8 ELSE 0 END)
    AND event_type IN (SELECT json_array_elements_text($3::text::json))
  ORDER BY transaction_id, global_position
  LIMIT 1), false) ELSE false END
  FROM ${head}), false) AS held_back`,
    horizon: `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
SELECT h.xmin::text AS horizon,
  (SELECT count(*) FROM ${events} e WHERE e.transaction_id >= h.xmin)::int8::text AS held_back,
  (SELECT ${msOf('min(a.xact_start)')} FROM pg_stat_activity a
    WHERE a.backend_xid IS NOT NULL OR a.backend_xmin IS NOT NULL) AS oldest_start_ms,
  ${msOf('now()')} AS now_ms
FROM h`,
  };
  bySchema.set(schema, statements);
  return statements;
}
