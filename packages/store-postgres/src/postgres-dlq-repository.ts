/**
 * {@link PostgresDLQRepository}: the dead-letter queue in PostgreSQL.
 *
 * @module
 */
import { InvalidConfigError, type Position } from '@es/core';
import {
  type AddFailedEventInput,
  type BlockedStreamHead,
  DAY_MS,
  type DLQEntry,
  type DLQLimits,
  DLQOverflowError,
  type DLQRepository,
  type DLQStats,
  type DLQStatus,
  type GetFailedEventsOptions,
  type ListDLQEntriesOptions,
  type MarkRetryingOptions,
  normalizeFailedEvent,
  type ProjectionFailureCount,
  resolveClaimLease,
  resolveDLQLimits,
  resolveGetFailedEventsOptions,
  resolveListEntriesOptions,
  resolveOlderThanDays,
} from '@es/dlq';
import type { PostgresConnection } from './connection.js';
import { PostgresDLQError } from './errors.js';
import { Database } from './internal/database.js';
import { describeDriverError, sqlStateOf } from './internal/driver-error.js';
import type { Executor, Row } from './internal/executor.js';
import {
  msOf,
  nowMs,
  storableJson,
  textOrNullWithoutNul,
  textWithoutNul,
  timestampParam,
  toDate,
  toDateOrNull,
  toJsonObject,
  toNumber,
  toNumberOrNull,
  toStringOrNull,
} from './internal/values.js';

/** Options of {@link PostgresDLQRepository}. */
export interface PostgresDLQRepositoryOptions extends DLQLimits {
  /** A postgres.js client, a connection string, a PGlite instance or a drizzle database/transaction. */
  readonly connection: PostgresConnection;
  /** The PostgreSQL schema (migrated with `migrate`); default `es`. */
  readonly schema?: string;
  /** Milliseconds since the epoch for the entries' timestamps. Default `Date.now`. */
  readonly clock?: () => number;
}

const UNRESOLVED = `('failed', 'retrying', 'parked')`;
/** First key of the advisory lock that serialises limited adds of one projection ('ESDQ'). */
const LIMIT_LOCK_CLASS = 0x45_53_44_51;
const ACTIVE = `('failed', 'retrying')`;
const INT8_MAX = 9223372036854775807n;
const DECIMAL_ID = /^[0-9]{1,19}$/;

/** Columns of an entry, in the order {@link toEntry} reads them. */
const ENTRY_COLUMNS = `id::text AS entry_id, event_id, projection_name, event_type, event_data, error_message,
  error_stacktrace, retry_count, ${msOf('first_failed_at')} AS first_failed_at_ms,
  ${msOf('last_failed_at')} AS last_failed_at_ms, status, ${msOf('resolved_at')} AS resolved_at_ms,
  resolved_by, stream_id, stream_position, position_kind, position_number, position_string,
  ${msOf('claimed_until')} AS claimed_until_ms`;

/** Stream order, as `compareStreamOrder` of `@es/dlq`: code point order, nulls last. */
const STREAM_ORDER = `stream_id COLLATE "C" NULLS LAST, stream_position NULLS LAST, first_failed_at, id`;

interface DLQStatements {
  readonly add: string;
  readonly getById: string;
  readonly getFailed: string;
  readonly getFailedOfProjection: string;
  readonly markRetrying: string;
  readonly limitLock: string;
  readonly limitCounts: string;
  readonly settle: string;
  readonly stats: string;
  readonly projectionCounts: string;
  readonly deleteResolved: string;
  readonly blockedStreams: string;
  readonly blockedStreamHeads: string;
  readonly depth: string;
  readonly table: string;
}

const statementsBySchema = new Map<string, DLQStatements>();

function statementsFor(quotedSchema: string): DLQStatements {
  let statements = statementsBySchema.get(quotedSchema);
  if (statements !== undefined) return statements;
  const table = `${quotedSchema}.dead_letter_queue`;
  statements = {
    table,
    // Upsert on (event_id, projection_name), following statusAfterUpsert of @es/dlq: a 'failed'
    // request always gives 'failed'; a 'parked' one keeps 'failed'/'retrying' and parks the rest.
    add: `INSERT INTO ${table} AS d (event_id, projection_name, event_type, event_data, error_message,
  error_stacktrace, retry_count, first_failed_at, last_failed_at, status, stream_id, stream_position,
  position_kind, position_number, position_string)
VALUES ($1::text, $2::text, $3::text, $4::text::jsonb, $5::text, $6::text, $7::int4,
  ${timestampParam(8)}, ${timestampParam(8)}, $9::text, $10::text, $11::int4, $12::text, $13::float8, $14::text)
ON CONFLICT (event_id, projection_name) DO UPDATE SET
  retry_count = EXCLUDED.retry_count,
  last_failed_at = EXCLUDED.last_failed_at,
  error_message = EXCLUDED.error_message,
  error_stacktrace = EXCLUDED.error_stacktrace,
  status = CASE
    WHEN EXCLUDED.status = 'failed' THEN 'failed'
    WHEN d.status IN ${ACTIVE} THEN d.status
    ELSE 'parked' END,
  claimed_until = CASE
    WHEN EXCLUDED.status <> 'failed' AND d.status = 'retrying' THEN d.claimed_until END,
  resolved_at = NULL,
  resolved_by = NULL
RETURNING id::text AS entry_id`,
    getById: `SELECT ${ENTRY_COLUMNS} FROM ${table} WHERE id = $1::int8`,
    getFailed: `SELECT ${ENTRY_COLUMNS} FROM ${table} WHERE status = $1::text
ORDER BY first_failed_at DESC, id DESC LIMIT $2::int8`,
    getFailedOfProjection: `SELECT ${ENTRY_COLUMNS} FROM ${table}
WHERE status = $1::text AND projection_name = $3::text
ORDER BY first_failed_at DESC, id DESC LIMIT $2::int8`,
    // The claim, one conditional statement: of concurrent claimers one wins (the others re-check
    // the condition on the row the winner wrote, and find it claimed). $2 is now, $3 the lease
    // end or null (no expiry). A retrying entry is taken over once its lease has ended.
    markRetrying: `UPDATE ${table} SET status = 'retrying',
  claimed_until = CASE WHEN $3::int8 IS NULL THEN NULL ELSE ${timestampParam(3)} END
WHERE id = $1::int8 AND (status IN ('failed', 'parked')
  OR (status = 'retrying' AND claimed_until <= ${timestampParam(2)}))
RETURNING 1 AS updated`,
    limitLock: `SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))`,
    // Is the key there already, and how many unresolved entries has the projection (and the
    // stream)? Each count stops at its limit: the cost is bounded by the limit, not the queue.
    limitCounts: `SELECT
  EXISTS (SELECT 1 FROM ${table} WHERE event_id = $1::text AND projection_name = $2::text) AS present,
  (SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE projection_name = $2::text
    AND status IN ${UNRESOLVED} LIMIT $4::int8) AS p)::int8::text AS projection_depth,
  (SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE projection_name = $2::text
    AND (stream_id COLLATE "C") = $3::text AND status IN ${UNRESOLVED} LIMIT $5::int8) AS s)::int8::text AS stream_depth`,
    settle: `UPDATE ${table} SET status = $2::text, resolved_at = ${timestampParam(3)}, resolved_by = $4::text,
  claimed_until = NULL
WHERE id = $1::int8 AND status IN ${UNRESOLVED} RETURNING 1 AS updated`,
    stats: `SELECT
  count(*) FILTER (WHERE status = 'failed')::int8::text AS failed,
  count(*) FILTER (WHERE status = 'retrying')::int8::text AS retrying,
  count(*) FILTER (WHERE status = 'parked')::int8::text AS parked,
  count(DISTINCT projection_name) FILTER (WHERE status IN ${ACTIVE})::int8::text AS projections,
  ${msOf(`min(first_failed_at) FILTER (WHERE status IN ${ACTIVE})`)} AS oldest_ms
FROM ${table} WHERE status IN ${UNRESOLVED}`,
    projectionCounts: `SELECT projection_name, count(*)::int8::text AS failures,
  ${msOf('min(first_failed_at)')} AS oldest_ms, ${msOf('max(last_failed_at)')} AS most_recent_ms
FROM ${table} WHERE status IN ${ACTIVE}
GROUP BY projection_name
ORDER BY count(*) DESC, projection_name COLLATE "C"`,
    deleteResolved: `WITH deleted AS (
  DELETE FROM ${table} WHERE status = 'resolved' AND resolved_at <= ${timestampParam(1)} RETURNING 1
)
SELECT count(*)::int8::text AS deleted FROM deleted`,
    blockedStreams: `SELECT DISTINCT stream_id COLLATE "C" AS stream_id FROM ${table}
WHERE projection_name = $1::text AND status IN ${UNRESOLVED} AND stream_id IS NOT NULL
ORDER BY 1`,
    // The first unresolved entry of each blocked stream, in stream order (listEntries' order).
    blockedStreamHeads: `SELECT DISTINCT ON (stream_id COLLATE "C") stream_id, id::text AS entry_id,
  stream_position::int8::text AS stream_position
FROM ${table}
WHERE projection_name = $1::text AND status IN ${UNRESOLVED} AND stream_id IS NOT NULL
ORDER BY stream_id COLLATE "C", stream_position NULLS LAST, first_failed_at, id`,
    depth: `SELECT count(*)::int8::text AS depth, ${msOf('min(first_failed_at)')} AS oldest_ms
FROM ${table} WHERE projection_name = $1::text AND status IN ${UNRESOLVED}`,
  };
  statementsBySchema.set(quotedSchema, statements);
  return statements;
}

/**
 * The {@link DLQRepository} on PostgreSQL (table `<schema>.dead_letter_queue`). It follows the
 * lifecycle of `@es/dlq` exactly (upsert on `(eventId, projectionName)`, `statusAfterUpsert`,
 * `resolved` / `discarded` terminal for the `mark*` methods) and passes the DLQ conformance kit of
 * `@es/dlq/testing`, like `InMemoryDLQRepository`.
 *
 * - Input is normalised by `normalizeFailedEvent` of `@es/dlq` (JSON-safe event data, truncated
 *   messages and stacks). PostgreSQL cannot store NUL characters (nor lone surrogates in `jsonb`):
 *   they are stored as U+FFFD.
 * - Timestamps come from `clock` (default `Date.now`), in whole milliseconds.
 * - Concurrent adds of one key leave one entry (`INSERT … ON CONFLICT DO UPDATE`).
 * - Indexes: per status and per projection for `getFailedEvents` (newest first), a partial index
 *   on the unresolved entries in stream order per projection for `listEntries`,
 *   `getBlockedStreams` and `getProjectionDepth`, a partial one on failed/retrying entries for the
 *   statistics and one on `resolved_at` of resolved entries for `deleteResolvedEvents`.
 * - Bound to a drizzle transaction (`connection: tx`), its writes commit or roll back with it.
 *
 * @example
 * ```ts
 * const dlq = new PostgresDLQRepository({ connection: sql });
 * const id = await dlq.addFailedEvent({ eventId, projectionName: 'task-list', eventType, eventData, error });
 * await dlq.markResolved(id, 'ops@example.com');
 * ```
 */
export class PostgresDLQRepository implements DLQRepository {
  private readonly db: Database;
  private readonly sql: DLQStatements;
  private readonly clock: () => number;
  private readonly maxPerProjection: number | null;
  private readonly maxPerStream: number | null;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad connection, schema, clock or limit
   *   (`PostgresDLQRepository.maxEntriesPerProjection`, `….maxEntriesPerStream`: integers ≥ 1)
   */
  constructor(options: PostgresDLQRepositoryOptions) {
    this.db = new Database('PostgresDLQRepository', options);
    this.sql = statementsFor(this.db.quotedSchema);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError(
        'PostgresDLQRepository.clock',
        'must be a function returning milliseconds',
        options.clock,
      );
    }
    this.clock = options.clock ?? Date.now;
    const limits = resolveDLQLimits('PostgresDLQRepository', options);
    this.maxPerProjection = limits.maxEntriesPerProjection;
    this.maxPerStream = limits.maxEntriesPerStream;
  }

  /** The PostgreSQL schema this repository uses. */
  get schema(): string {
    return this.db.schema;
  }

  /**
   * Records a failed (or parked) event; upsert on `(eventId, projectionName)`.
   *
   * With overflow limits, the check and the insert run in one transaction (a savepoint inside
   * the caller's) under a transaction-level advisory lock of the projection, so limited adds of
   * one projection are serialised and a limit is never exceeded by writers that share it.
   *
   * @returns the entry id (a decimal string)
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad key or bookkeeping field
   * @throws {DLQOverflowError} ES_DLQ_OVERFLOW when the entry is new and a limit is reached
   *   (nothing is written)
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async addFailedEvent(input: AddFailedEventInput): Promise<string> {
    const row = normalizeFailedEvent(input);
    const position: Position | null = row.position;
    const params = [
      textWithoutNul(row.eventId),
      textWithoutNul(row.projectionName),
      textWithoutNul(row.eventType),
      storableJson(JSON.stringify(row.eventData)),
      textWithoutNul(row.errorMessage),
      textOrNullWithoutNul(row.errorStacktrace),
      row.retryCount,
      this.now(),
      row.status,
      textOrNullWithoutNul(row.streamId),
      row.streamPosition,
      position === null ? null : typeof position === 'number' ? 'number' : 'string',
      typeof position === 'number' ? position : null,
      typeof position === 'string' ? textWithoutNul(position) : null,
    ];
    if (this.maxPerProjection === null && this.maxPerStream === null) {
      const rows = await this.run('addFailedEvent', this.sql.add, params);
      return String((rows[0] as Row)[0]);
    }
    return this.addWithinLimits(params);
  }

  /** The limited add: lock the projection, check, insert — in one transaction. */
  private async addWithinLimits(params: readonly unknown[]): Promise<string> {
    const [eventId, projectionName, , , , , , , , streamId] = params as (string | null)[];
    let executor: Executor;
    try {
      executor = await this.db.executor();
    } catch (error) {
      throw this.failure('addFailedEvent', error);
    }
    try {
      return await executor.transaction(async (tx) => {
        await tx.query(this.sql.limitLock, [
          LIMIT_LOCK_CLASS,
          `${this.db.schema}/${projectionName}`,
        ]);
        const maxPerProjection = this.maxPerProjection;
        const maxPerStream = this.maxPerStream;
        const counts = (await tx.query(this.sql.limitCounts, [
          eventId,
          projectionName,
          streamId ?? null,
          maxPerProjection ?? 0,
          streamId === null || maxPerStream === null ? 0 : maxPerStream,
        ])) as Row[];
        const [present, projectionDepth, streamDepth] = counts[0] as Row;
        if (present !== true) {
          const refusal = this.overflow(
            toNumber(projectionDepth),
            toNumber(streamDepth),
            projectionName as string,
            streamId ?? null,
            eventId as string,
          );
          if (refusal !== null) throw refusal;
        }
        const rows = await tx.query(this.sql.add, params);
        return String((rows[0] as Row)[0]);
      });
    } catch (error) {
      if (error instanceof DLQOverflowError) throw error;
      throw this.failure('addFailedEvent', error);
    }
  }

  private overflow(
    projectionDepth: number,
    streamDepth: number,
    projectionName: string,
    streamId: string | null,
    eventId: string,
  ): DLQOverflowError | null {
    const maxPerProjection = this.maxPerProjection;
    if (maxPerProjection !== null && projectionDepth >= maxPerProjection) {
      return new DLQOverflowError(
        'maxEntriesPerProjection',
        maxPerProjection,
        projectionName,
        null,
        eventId,
      );
    }
    const maxPerStream = this.maxPerStream;
    if (maxPerStream !== null && streamId !== null && streamDepth >= maxPerStream) {
      return new DLQOverflowError(
        'maxEntriesPerStream',
        maxPerStream,
        projectionName,
        streamId,
        eventId,
      );
    }
    return null;
  }

  /**
   * Entries of one status (default `failed`), newest `firstFailedAt` first, ties newest id first.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad limit, status or projection name
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getFailedEvents(options?: GetFailedEventsOptions): Promise<DLQEntry[]> {
    const { projectionName, status, limit } = resolveGetFailedEventsOptions(options);
    if (limit === 0) return [];
    const rows =
      projectionName === undefined
        ? await this.run('getFailedEvents', this.sql.getFailed, [status, limit])
        : await this.run('getFailedEvents', this.sql.getFailedOfProjection, [
            status,
            limit,
            projectionName,
          ]);
    return rows.map(toEntry);
  }

  /**
   * One entry by id, or null (also for an id that is not a decimal number).
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `id` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getFailedEventById(id: string): Promise<DLQEntry | null> {
    const key = entryKey('getFailedEventById.id', id);
    if (key === null) return null;
    const rows = await this.run('getFailedEventById', this.sql.getById, [key]);
    const row = rows[0];
    return row === undefined ? null : toEntry(row);
  }

  /**
   * The claim: `failed` or `parked` → `retrying`, or the takeover of a `retrying` entry whose
   * lease ended (`claimed_until <= now`), in one conditional `UPDATE` (one winner among
   * concurrent claimers). Records `claimed_until = now + leaseMs` (null without a lease). False
   * when unknown, settled, or retrying inside its lease or without expiry.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `id` is not a string or the options are
   *   invalid
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async markRetrying(id: string, options?: MarkRetryingOptions): Promise<boolean> {
    const key = entryKey('markRetrying.id', id);
    const leaseMs = resolveClaimLease(options);
    if (key === null) return false;
    const now = this.now();
    const rows = await this.run('markRetrying', this.sql.markRetrying, [
      key,
      now,
      leaseMs === null ? null : now + leaseMs,
    ]);
    return rows.length > 0;
  }

  /**
   * Any unresolved status → `resolved`, with `resolvedAt = now` and `resolvedBy`.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `id` or `resolvedBy` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  markResolved(id: string, resolvedBy: string): Promise<boolean> {
    return this.settle('markResolved', 'resolvedBy', id, resolvedBy, 'resolved');
  }

  /**
   * Any unresolved status → `discarded`; `resolvedAt` / `resolvedBy` record when and by whom.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `id` or `discardedBy` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  markDiscarded(id: string, discardedBy: string): Promise<boolean> {
    return this.settle('markDiscarded', 'discardedBy', id, discardedBy, 'discarded');
  }

  /**
   * Figures over the unresolved entries (parked ones counted apart).
   *
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getFailureStats(): Promise<DLQStats> {
    const row = (await this.run('getFailureStats', this.sql.stats, []))[0] as Row;
    return {
      totalFailed: toNumber(row[0]),
      totalRetrying: toNumber(row[1]),
      totalParked: toNumber(row[2]),
      affectedProjections: toNumber(row[3]),
      oldestFailure: toDateOrNull(row[4]),
    };
  }

  /**
   * Failed + retrying entries per projection, most first (ties by projection name, code point order).
   *
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getProjectionFailureCounts(): Promise<ProjectionFailureCount[]> {
    const rows = await this.run('getProjectionFailureCounts', this.sql.projectionCounts, []);
    return rows.map((row) => ({
      projectionName: String(row[0]),
      failureCount: toNumber(row[1]),
      oldestFailure: toDateOrNull(row[2]),
      mostRecentFailure: toDateOrNull(row[3]),
    }));
  }

  /**
   * Deletes `resolved` entries resolved at or before `now − olderThanDays × 24 h` (default 30;
   * 0 deletes every resolved entry). Unresolved and discarded entries stay.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG unless `olderThanDays` is a finite number ≥ 0
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async deleteResolvedEvents(olderThanDays?: number): Promise<number> {
    const days = resolveOlderThanDays(olderThanDays);
    const cutoff = this.now() - Math.round(days * DAY_MS);
    const rows = await this.run('deleteResolvedEvents', this.sql.deleteResolved, [cutoff]);
    return toNumber((rows[0] as Row)[0]);
  }

  /**
   * Entries in stream order `(streamId, streamPosition, firstFailedAt, id)`, streams in code point
   * order, entries without a stream (or position) last; keyset-paged with `after`.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for bad options
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async listEntries(options?: ListDLQEntriesOptions): Promise<DLQEntry[]> {
    const o = resolveListEntriesOptions(options);
    if (o.limit === 0 || o.statuses.length === 0) return [];
    const params: unknown[] = [];
    const param = (value: unknown, type: string): string => {
      params.push(value);
      return `$${params.length}::${type}`;
    };
    // Statuses are validated against the fixed DLQStatus values, so they can be inlined as
    // literals: that lets PostgreSQL use the partial index of the unresolved entries.
    const where: string[] = [`status IN (${o.statuses.map((status) => `'${status}'`).join(', ')})`];
    if (o.projectionName !== undefined) {
      where.push(`projection_name = ${param(o.projectionName, 'text')}`);
    }
    if (o.streamId !== undefined) where.push(`stream_id = ${param(o.streamId, 'text')}`);
    if (o.eventType !== undefined) where.push(`event_type = ${param(o.eventType, 'text')}`);
    if (o.ids !== undefined) {
      const keys = o.ids.filter((id) => entryKey('listEntries.ids', id) !== null);
      if (keys.length === 0) return [];
      where.push(
        `id IN (SELECT json_array_elements_text(${param(JSON.stringify(keys), 'text')}::json)::int8)`,
      );
    }
    if (o.after !== undefined) where.push(keysetAfter(o.after, param));
    const text = `SELECT ${ENTRY_COLUMNS} FROM ${this.sql.table}
WHERE ${where.join('\n  AND ')}
ORDER BY ${STREAM_ORDER}
LIMIT ${param(o.limit, 'int8')}`;
    const rows = await this.run('listEntries', text, params);
    return rows.map(toEntry);
  }

  /**
   * Streams of the projection with an unresolved entry, in code point order.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `projectionName` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getBlockedStreams(projectionName: string): Promise<string[]> {
    checkString('getBlockedStreams.projectionName', projectionName);
    const rows = await this.run('getBlockedStreams', this.sql.blockedStreams, [projectionName]);
    return rows.map((row) => String(row[0]));
  }

  /**
   * Each blocked stream of the projection with its first unresolved entry, in stream order, in
   * one statement.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `projectionName` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getBlockedStreamHeads(projectionName: string): Promise<BlockedStreamHead[]> {
    checkString('getBlockedStreamHeads.projectionName', projectionName);
    const rows = await this.run('getBlockedStreamHeads', this.sql.blockedStreamHeads, [
      projectionName,
    ]);
    return rows.map((row) => ({
      streamId: String(row[0]),
      entryId: String(row[1]),
      streamPosition: row[2] === null ? null : Number(row[2]),
    }));
  }

  /**
   * Unresolved entries of the projection and the oldest `firstFailedAt` among them.
   *
   * @throws {InvalidConfigError} ES_INVALID_CONFIG when `projectionName` is not a string
   * @throws {PostgresDLQError} ES_DLQ_POSTGRES when the database fails
   */
  async getProjectionDepth(
    projectionName: string,
  ): Promise<{ depth: number; oldest: Date | null }> {
    checkString('getProjectionDepth.projectionName', projectionName);
    const row = (await this.run('getProjectionDepth', this.sql.depth, [projectionName]))[0] as Row;
    return { depth: toNumber(row[0]), oldest: toDateOrNull(row[1]) };
  }

  /** Ends the client when this repository created it (connection string); no-op otherwise. */
  close(): Promise<void> {
    return this.db.connection.close();
  }

  private async settle(
    method: 'markResolved' | 'markDiscarded',
    byField: string,
    id: string,
    by: string,
    status: 'resolved' | 'discarded',
  ): Promise<boolean> {
    const key = entryKey(`${method}.id`, id);
    if (typeof by !== 'string') {
      throw new InvalidConfigError(`${method}.${byField}`, 'must be a string', by);
    }
    if (key === null) return false;
    const rows = await this.run(method, this.sql.settle, [
      key,
      status,
      this.now(),
      textWithoutNul(by),
    ]);
    return rows.length > 0;
  }

  private now(): number {
    try {
      return nowMs(this.clock);
    } catch (error) {
      throw new InvalidConfigError(
        'PostgresDLQRepository.clock',
        'must return a finite number of milliseconds',
        undefined,
        { cause: error },
      );
    }
  }

  private async run(operation: string, text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return await this.db.query(text, params);
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  private failure(operation: string, error: unknown): PostgresDLQError {
    return new PostgresDLQError(
      operation,
      sqlStateOf(error),
      `PostgresDLQRepository.${operation} failed: ${describeDriverError(error)}`,
      { cause: error },
    );
  }
}

/**
 * SQL: "comes after `after` in stream order", as one row comparison over null-free keys
 * (`stream_id IS NULL` first, so entries without a stream come last).
 */
function keysetAfter(after: DLQEntry, param: (value: unknown, type: string) => string): string {
  // compareEntryIds of @es/dlq puts decimal ids first: a non-decimal cursor id is after them all.
  const afterId =
    DECIMAL_ID.test(after.id) && BigInt(after.id) <= INT8_MAX ? after.id : INT8_MAX.toString();
  const noStream = param(after.streamId === null, 'bool');
  const streamId = param(after.streamId ?? '', 'text');
  const noPosition = param(after.streamPosition === null, 'bool');
  const streamPosition = param(after.streamPosition ?? 0, 'int8');
  const firstFailedAt = param(Math.round(after.firstFailedAt.getTime()), 'int8');
  const id = param(afterId, 'int8');
  return `(stream_id IS NULL, coalesce(stream_id, '') COLLATE "C", stream_position IS NULL,
    coalesce(stream_position, 0), first_failed_at, id)
  > (${noStream}, ${streamId}, ${noPosition}, ${streamPosition},
    (TIMESTAMPTZ 'epoch' + ${firstFailedAt} * INTERVAL '1 millisecond'), ${id})`;
}

function checkString(field: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new InvalidConfigError(field, 'must be a string', value);
}

/** The id as a `bigint` key, or null when no entry can have it. */
function entryKey(field: string, id: unknown): string | null {
  checkString(field, id);
  if (!DECIMAL_ID.test(id) || BigInt(id) > INT8_MAX) return null;
  return id;
}

function positionOf(kind: unknown, number: unknown, string: unknown): Position | null {
  if (kind === 'number') return toNumber(number);
  if (kind === 'string') return String(string);
  return null;
}

function toEntry(row: Row): DLQEntry {
  return Object.freeze({
    id: String(row[0]),
    eventId: String(row[1]),
    projectionName: String(row[2]),
    eventType: String(row[3]),
    eventData: deepFreeze(toJsonObject(row[4])),
    errorMessage: String(row[5]),
    errorStacktrace: toStringOrNull(row[6]),
    retryCount: toNumber(row[7]),
    firstFailedAt: toDate(row[8]),
    lastFailedAt: toDate(row[9]),
    status: String(row[10]) as DLQStatus,
    resolvedAt: toDateOrNull(row[11]),
    resolvedBy: toStringOrNull(row[12]),
    streamId: toStringOrNull(row[13]),
    streamPosition: toNumberOrNull(row[14]),
    position: positionOf(row[15], row[16], row[17]),
    claimedUntil: toDateOrNull(row[18]),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
