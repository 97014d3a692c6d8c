/**
 * {@link PostgresCheckpointRepository}: subscription checkpoints in PostgreSQL.
 *
 * @module
 */
import { InvalidConfigError, type Position } from '@es/core';
import {
  type CheckpointData,
  CheckpointPositionKindError,
  type CheckpointRepository,
  type SavePositionInput,
} from '@es/subscriptions';
import type { PostgresConnection } from './connection.js';
import { PostgresCheckpointError } from './errors.js';
import { Database } from './internal/database.js';
import { describeDriverError, sqlStateOf } from './internal/driver-error.js';
import type { Row } from './internal/executor.js';
import {
  msOf,
  nowMs,
  textOrNullWithoutNul,
  textWithoutNul,
  timestampParam,
  toDate,
  toNumber,
  toStringOrNull,
} from './internal/values.js';

/** Options of {@link PostgresCheckpointRepository}. */
export interface PostgresCheckpointRepositoryOptions {
  /** A postgres.js client, a connection string, a PGlite instance or a drizzle database/transaction. */
  readonly connection: PostgresConnection;
  /** The PostgreSQL schema (migrated with `migrate`); default `es`. */
  readonly schema?: string;
  /** Milliseconds since the epoch for `lastProcessedAt`. Default `Date.now`. */
  readonly clock?: () => number;
}

interface CheckpointStatements {
  readonly get: string;
  readonly save: string;
  readonly saveIfAbsent: string;
  readonly saveIfAt: string;
  readonly reset: string;
  readonly getOne: string;
  readonly getAll: string;
}

const statementsBySchema = new Map<string, CheckpointStatements>();

function statementsFor(quotedSchema: string): CheckpointStatements {
  let statements = statementsBySchema.get(quotedSchema);
  if (statements !== undefined) return statements;
  const table = `${quotedSchema}.checkpoints`;
  const columns = `subscription_id, position_kind, position_number, position_string, last_event_id, last_event_type, ${msOf('last_processed_at')} AS last_processed_at_ms, events_processed`;
  statements = {
    get: `SELECT position_kind, position_number, position_string FROM ${table} WHERE subscription_id = $1::text`,
    // One statement: insert, or update only when not moving backwards (compare-and-set). `prev`
    // reads the row as it was before the statement, to tell a kind mismatch from a step back.
    save: `WITH prev AS (
  SELECT position_kind FROM ${table} WHERE subscription_id = $1::text
), saved AS (
  INSERT INTO ${table} AS c (subscription_id, position_kind, position_number, position_string,
    last_event_id, last_event_type, last_processed_at, events_processed)
  VALUES ($1::text, $2::text, $3::float8, $4::text, $5::text, $6::text, ${timestampParam(7)}, 1)
  ON CONFLICT (subscription_id) DO UPDATE SET
    position_number = EXCLUDED.position_number,
    position_string = EXCLUDED.position_string,
    last_event_id = EXCLUDED.last_event_id,
    last_event_type = EXCLUDED.last_event_type,
    last_processed_at = EXCLUDED.last_processed_at,
    events_processed = c.events_processed + 1,
    updated_at = now()
  WHERE c.position_kind = EXCLUDED.position_kind AND (
    (c.position_kind = 'number' AND c.position_number <= EXCLUDED.position_number) OR
    (c.position_kind = 'string' AND c.position_string COLLATE "C" <= EXCLUDED.position_string COLLATE "C"))
  RETURNING 1
)
SELECT (SELECT count(*) FROM saved)::int4 AS saved, (SELECT position_kind FROM prev) AS previous_kind`,
    // The fenced saves (`expected` given): one statement each, like `save`. Under READ COMMITTED
    // an UPDATE that waited for a concurrent writer re-checks its WHERE on the committed row, and
    // an INSERT … DO NOTHING sees a committed conflicting row: of concurrent saves with the same
    // `expected`, exactly one writes.
    saveIfAbsent: `WITH prev AS (
  SELECT position_kind FROM ${table} WHERE subscription_id = $1::text
), saved AS (
  INSERT INTO ${table} (subscription_id, position_kind, position_number, position_string,
    last_event_id, last_event_type, last_processed_at, events_processed)
  VALUES ($1::text, $2::text, $3::float8, $4::text, $5::text, $6::text, ${timestampParam(7)}, 1)
  ON CONFLICT (subscription_id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM saved)::int4 AS saved, (SELECT position_kind FROM prev) AS previous_kind`,
    saveIfAt: `WITH prev AS (
  SELECT position_kind FROM ${table} WHERE subscription_id = $1::text
), saved AS (
  UPDATE ${table} AS c SET
    position_number = $3::float8,
    position_string = $4::text,
    last_event_id = $5::text,
    last_event_type = $6::text,
    last_processed_at = ${timestampParam(7)},
    events_processed = c.events_processed + 1,
    updated_at = now()
  WHERE c.subscription_id = $1::text AND c.position_kind = $2::text AND (
    (c.position_kind = 'number' AND c.position_number = $8::float8 AND $8::float8 <= $3::float8) OR
    (c.position_kind = 'string' AND c.position_string COLLATE "C" = $9::text COLLATE "C"
      AND $9::text COLLATE "C" <= $4::text COLLATE "C"))
  RETURNING 1
)
SELECT (SELECT count(*) FROM saved)::int4 AS saved, (SELECT position_kind FROM prev) AS previous_kind`,
    reset: `DELETE FROM ${table} WHERE subscription_id = $1::text`,
    getOne: `SELECT ${columns} FROM ${table} WHERE subscription_id = $1::text`,
    getAll: `SELECT ${columns} FROM ${table} ORDER BY subscription_id COLLATE "C"`,
  };
  statementsBySchema.set(quotedSchema, statements);
  return statements;
}

/**
 * The {@link CheckpointRepository} on PostgreSQL (table `<schema>.checkpoints`). Passes the
 * checkpoint conformance kit of `@es/subscriptions/testing` unchanged.
 *
 * - `savePosition` is one compare-and-set statement (`INSERT … ON CONFLICT DO UPDATE … WHERE
 *   stored <= new`): concurrent saves end at the highest position and never move backwards.
 *   Given `expected` (the position the caller last saved or loaded), it is `UPDATE … WHERE
 *   position = expected` (or an insert only when there is no row, for null): of concurrent saves
 *   with the same `expected` exactly one writes, which fences a second instance or a zombie.
 * - Numbers are compared numerically (`float8` column, exact for every safe integer); strings
 *   byte-wise (`COLLATE "C"`), which is JavaScript's order for every string without characters
 *   above U+FFFF, in particular for this package's cursors. One kind per subscription.
 * - Bound to a drizzle transaction (`connection: tx`), its writes commit or roll back with it:
 *   that is how `PostgresUnitOfWorkProvider` makes checkpoints exactly-once.
 *
 * @example
 * ```ts
 * const checkpoints = new PostgresCheckpointRepository({ connection: sql });
 * await checkpoints.savePosition('task-list', { position: event.position, eventId: event.event.eventId });
 * await checkpoints.getPosition('task-list');
 * ```
 */
export class PostgresCheckpointRepository implements CheckpointRepository {
  private readonly db: Database;
  private readonly sql: CheckpointStatements;
  private readonly clock: () => number;

  /**
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for a bad connection, schema or clock
   */
  constructor(options: PostgresCheckpointRepositoryOptions) {
    this.db = new Database('PostgresCheckpointRepository', options);
    this.sql = statementsFor(this.db.quotedSchema);
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new InvalidConfigError(
        'PostgresCheckpointRepository.clock',
        'must be a function returning milliseconds',
        options.clock,
      );
    }
    this.clock = options.clock ?? Date.now;
  }

  /** The PostgreSQL schema this repository uses. */
  get schema(): string {
    return this.db.schema;
  }

  /**
   * The saved position, or null when there is none.
   *
   * @throws {PostgresCheckpointError} ES_POSTGRES_CHECKPOINT when the database fails
   */
  async getPosition(subscriptionId: string): Promise<Position | null> {
    assertSubscriptionId(subscriptionId);
    const rows = await this.run('getPosition', this.sql.get, [subscriptionId]);
    const row = rows[0];
    return row === undefined ? null : positionOf(row[0], row[1], row[2]);
  }

  /**
   * Saves `input.position` unless it is behind the stored one (compare-and-set, one statement).
   * With `input.expected` the statement is a true compare-and-set on the previous position:
   * `UPDATE … WHERE position = expected` (`INSERT … ON CONFLICT DO NOTHING` when `expected` is
   * null), still one round trip.
   *
   * @returns true when written (no checkpoint, ahead or equal — and, with `expected`, the stored
   *   position matched), false otherwise (nothing written)
   * @throws {CheckpointPositionKindError} ES_CHECKPOINT_POSITION_KIND when the kind (number vs
   *   string) differs from the stored one (nothing is written)
   * @throws {InvalidConfigError} ES_INVALID_CONFIG for an empty id, a position that is neither a
   *   string nor a finite number ≥ 0, or an `expected` that is neither null nor a position of the
   *   same kind
   * @throws {PostgresCheckpointError} ES_POSTGRES_CHECKPOINT when the database fails
   */
  async savePosition(subscriptionId: string, input: SavePositionInput): Promise<boolean> {
    assertSubscriptionId(subscriptionId);
    const position = input?.position;
    const isNumber = typeof position === 'number';
    if (!(isNumber ? Number.isFinite(position) && position >= 0 : typeof position === 'string')) {
      throw new InvalidConfigError(
        'savePosition.position',
        'must be a finite number >= 0 or a string',
        position,
      );
    }
    const expected = input.expected;
    if (
      expected != null &&
      (isNumber
        ? typeof expected !== 'number' || !Number.isFinite(expected) || expected < 0
        : typeof expected !== 'string')
    ) {
      throw new InvalidConfigError(
        'savePosition.expected',
        'must be null or a position of the same kind as position',
        expected,
      );
    }
    const params: unknown[] = [
      subscriptionId,
      isNumber ? 'number' : 'string',
      isNumber ? position : null,
      isNumber ? null : textWithoutNul(position as string),
      textOrNullWithoutNul(input.eventId),
      textOrNullWithoutNul(input.eventType),
      nowMs(this.clock),
    ];
    let text = this.sql.save;
    if (expected === null) {
      text = this.sql.saveIfAbsent;
    } else if (expected !== undefined) {
      text = this.sql.saveIfAt;
      params.push(isNumber ? expected : null, isNumber ? null : textWithoutNul(expected as string));
    }
    const rows = await this.run('savePosition', text, params);
    const row = rows[0] as Row;
    if (toNumber(row[0]) > 0) return true;
    let storedKind = toStringOrNull(row[1]);
    if (storedKind === null) {
      // Inserted concurrently after this statement's snapshot: look at what is there now.
      const current = await this.getPosition(subscriptionId);
      storedKind = current === null ? null : typeof current;
    }
    if (storedKind !== null && storedKind !== (isNumber ? 'number' : 'string')) {
      const stored = await this.getPosition(subscriptionId);
      throw new CheckpointPositionKindError(subscriptionId, stored ?? '', position as Position);
    }
    return false;
  }

  /**
   * Deletes the checkpoint; no-op when absent.
   *
   * @throws {PostgresCheckpointError} ES_POSTGRES_CHECKPOINT when the database fails
   */
  async resetCheckpoint(subscriptionId: string): Promise<void> {
    assertSubscriptionId(subscriptionId);
    await this.run('resetCheckpoint', this.sql.reset, [subscriptionId]);
  }

  /**
   * One checkpoint with its details, or null.
   *
   * @throws {PostgresCheckpointError} ES_POSTGRES_CHECKPOINT when the database fails
   */
  async getCheckpoint(subscriptionId: string): Promise<CheckpointData | null> {
    assertSubscriptionId(subscriptionId);
    const rows = await this.run('getCheckpoint', this.sql.getOne, [subscriptionId]);
    const row = rows[0];
    return row === undefined ? null : toCheckpointData(row);
  }

  /**
   * Every checkpoint, sorted by subscription id (byte order, `COLLATE "C"`).
   *
   * @throws {PostgresCheckpointError} ES_POSTGRES_CHECKPOINT when the database fails
   */
  async getAllCheckpoints(): Promise<CheckpointData[]> {
    const rows = await this.run('getAllCheckpoints', this.sql.getAll, []);
    return rows.map(toCheckpointData);
  }

  /** Ends the client when this repository created it (connection string); no-op otherwise. */
  close(): Promise<void> {
    return this.db.connection.close();
  }

  private async run(operation: string, text: string, params: readonly unknown[]): Promise<Row[]> {
    try {
      return await this.db.query(text, params);
    } catch (error) {
      throw new PostgresCheckpointError(
        operation,
        sqlStateOf(error),
        `PostgresCheckpointRepository.${operation} failed: ${describeDriverError(error)}`,
        { cause: error },
      );
    }
  }
}

function assertSubscriptionId(subscriptionId: unknown): asserts subscriptionId is string {
  if (typeof subscriptionId !== 'string' || subscriptionId.length === 0) {
    throw new InvalidConfigError('subscriptionId', 'must be a non-empty string', subscriptionId);
  }
}

function positionOf(kind: unknown, number: unknown, string: unknown): Position {
  return kind === 'number' ? toNumber(number) : String(string);
}

function toCheckpointData(row: Row): CheckpointData {
  return {
    subscriptionId: String(row[0]),
    position: positionOf(row[1], row[2], row[3]),
    lastEventId: toStringOrNull(row[4]),
    lastEventType: toStringOrNull(row[5]),
    lastProcessedAt: toDate(row[6]),
    eventsProcessed: toNumber(row[7]),
  };
}
